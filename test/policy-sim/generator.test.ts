import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/shared/engine';
import { formatTrace, parseTrace } from '../../policy-sim/trace';
import {
  DEFAULT_POLICY,
  generateTrace,
  policyFile,
  policyForTrace,
  TRACE_NAMES,
} from '../../scripts/generate-traces';

const SHIPPED = join(__dirname, '..', '..', 'examples', 'traces');
const SHIPPED_SEED = 20261123;

describe('trace generator', () => {
  it.each(TRACE_NAMES.map((name, index) => [name, index] as const))(
    'regenerates the shipped %s trace and policy byte for byte',
    async (name, index) => {
      const jobs = generateTrace(name, SHIPPED_SEED + index);
      expect(await readFile(join(SHIPPED, `${name}.csv`), 'utf8')).toBe(formatTrace(jobs));
      const policy = JSON.parse(await readFile(join(SHIPPED, `${name}.policy.json`), 'utf8')) as unknown;
      expect(policy).toEqual(policyFile(policyForTrace(jobs)));
      expect(() => parsePolicy(policy)).not.toThrow();
      expect(jobs.length).toBeLessThanOrEqual(10_000);
      expect(parseTrace(formatTrace(jobs))).toEqual(jobs);
    },
  );

  it('ships the default policy it tunes', async () => {
    const shipped = JSON.parse(await readFile(join(SHIPPED, 'default.policy.json'), 'utf8')) as unknown;
    expect(shipped).toEqual(policyFile(DEFAULT_POLICY));
    expect(() => parsePolicy(shipped)).not.toThrow();
  });

  it('ships the demo trace with the default policy limited to its flavors', async () => {
    const demo = parseTrace(await readFile(join(SHIPPED, 'demo.csv'), 'utf8'));
    const shipped = JSON.parse(await readFile(join(SHIPPED, 'demo.policy.json'), 'utf8')) as unknown;
    expect(shipped).toEqual(policyForTrace(demo));
  });

  it.each([
    ['gpu-weeks', 14, 1],
    ['two-flavor-weeks', 21, 2],
  ] as const)('shapes %s like a real cluster over %i days on %i flavor(s)', (name, days, flavorCount) => {
    const jobs = generateTrace(name, 5);
    expect(new Set(jobs.map((job) => job.flavor)).size).toBe(flavorCount);
    expect(Math.max(...jobs.map((job) => job.submitS))).toBeGreaterThan((days - 1) * 86_400);
    const share = (test: (units: number) => boolean) =>
      jobs.filter((job) => test(job.units)).length / jobs.length;
    expect(share((units) => units === 1)).toBeGreaterThan(0.6);
    expect(share((units) => units === 8)).toBeGreaterThan(0.03);
    expect(share((units) => units > 8)).toBeGreaterThan(0.01);
    const durations = jobs.map((job) => job.durationS).sort((a, b) => a - b);
    // Long-tailed: the median is minutes, the longest run a day and more.
    expect(durations[Math.floor(durations.length / 2)]).toBeLessThan(3600);
    expect(durations[durations.length - 1]).toBeGreaterThan(86_400);
  });

  it('puts large multi-node jobs in the multi-flavor trace', () => {
    const jobs = generateTrace('multi-flavor', 1);
    expect(new Set(jobs.map((job) => job.flavor)).size).toBe(3);
    expect(jobs.some((job) => job.units >= 64)).toBe(true);
  });
});
