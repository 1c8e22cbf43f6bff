import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerSimulateCommand } from '../../bin/commands/simulate';
import { TIMELINE_HEADER } from '../../policy-sim/outputs/timeline-csv';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'policy-sim-cli-'));
  await writeFile(
    join(dir, 'trace.csv'),
    'job_id,submit_s,flavor,units,duration_s\nj1,0,gpu,8,900\nj2,30,gpu,4,600\nj3,60,gpu,16,300\n',
  );
  await writeFile(
    join(dir, 'policy.json'),
    JSON.stringify({ pool: 'pool-cli', flavors: { gpu: { minCount: 1, maxCount: 6, unitsPerNode: 8 } } }),
  );
  await writeFile(join(dir, 'broken.csv'), 'job_id,submit_s,flavor,units,duration_s\nj1,0,gpu,eight,900\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command; what it printed (stdout, then the status lines on stderr), or its error as a rejection. */
async function run(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerSimulateCommand(program);
  let printed = '';
  let errors = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  });
  const errorSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    errors += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'pool-autoscaler', 'simulate', ...args]);
  } finally {
    spy.mockRestore();
    errorSpy.mockRestore();
  }
  const failed = process.exitCode;
  process.exitCode = undefined;
  if (failed) throw new Error(errors);
  return printed + errors;
}

describe('simulate command', () => {
  it('writes summary.json, timeline.csv and report.html and prints a summary table', async () => {
    const out = join(dir, 'out');
    const printed = await run([
      '--trace',
      join(dir, 'trace.csv'),
      '--policy',
      join(dir, 'policy.json'),
      '--out',
      out,
      '--provision-delay',
      '120',
      '--baselines',
      'static,hpa',
      '--sweep-seconds',
      '30',
      '--seed',
      '3',
    ]);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
      results: Array<{ strategy: string; node_seconds: number; wait_s: Record<string, number> }>;
      settings: { provision_delay_s: number; sweep_seconds: number };
      trace: { name: string };
    };
    expect(summary.results.map((entry) => entry.strategy)).toEqual(['policy', 'static', 'hpa', 'oracle']);
    expect(summary.settings).toMatchObject({ provision_delay_s: 120, sweep_seconds: 30 });
    expect(summary.trace.name).toBe('trace.csv');
    for (const entry of summary.results) {
      expect(Object.keys(entry.wait_s)).toEqual(['mean', 'p50', 'p95', 'p99', 'max']);
    }
    const timeline = await readFile(join(out, 'timeline.csv'), 'utf8');
    expect(timeline.split('\n')[0]).toBe(TIMELINE_HEADER);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    for (const heading of [
      'node-hours',
      'ratio to oracle',
      'p95',
      'PATCHes',
      'scale operations',
      'reversals',
      'preempted jobs',
      'starved jobs',
    ]) {
      expect(html).toContain(`<th>${heading}</th>`);
    }
    expect(html).toContain('wait-time distribution');
    expect(html).toContain('policy: demand vs nodes');
    expect(printed).toContain('oracle');
    expect(printed).toContain('report.html');
  });

  it("takes the policy's scaleIn unless --policy-scale-in replaces it, and prints scale operations", async () => {
    const read = async (out: string) =>
      JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
        settings: { policy_scale_in: string; baselines: string[] };
        results: Array<{ strategy: string; scale_operations: number; starved_jobs: number }>;
      };
    const base = ['--trace', join(dir, 'trace.csv'), '--policy', join(dir, 'policy.json')];
    const printed = await run([...base, '--out', join(dir, 'own'), '--baselines', 'cluster-autoscaler']);
    const own = await read(join(dir, 'own'));
    expect(own.settings).toMatchObject({ policy_scale_in: 'nodes', baselines: ['cluster-autoscaler'] });
    expect(own.results.map((entry) => entry.strategy)).toEqual(['policy', 'cluster-autoscaler', 'oracle']);
    for (const entry of own.results) expect(entry.scale_operations).toBeGreaterThanOrEqual(0);
    expect(printed).toContain('scale ops');
    expect(printed).toContain('starved');
    await run([...base, '--out', join(dir, 'what-if'), '--baselines', 'none', '--policy-scale-in', 'patch']);
    expect((await read(join(dir, 'what-if'))).settings.policy_scale_in).toBe('patch');
    await expect(run([...base, '--out', dir, '--policy-scale-in', 'idle-nodes'])).rejects.toThrow(
      /idle-nodes/,
    );
  });

  it('names the line and column of a broken trace', async () => {
    await expect(
      run([
        '--trace',
        join(dir, 'broken.csv'),
        '--policy',
        join(dir, 'policy.json'),
        '--out',
        join(dir, 'x'),
      ]),
    ).rejects.toThrow(/trace line 2, column units/);
  });

  it('rejects an unknown baseline', async () => {
    await expect(
      run([
        '--trace',
        join(dir, 'trace.csv'),
        '--policy',
        join(dir, 'policy.json'),
        '--out',
        dir,
        '--baselines',
        'karpenter',
      ]),
    ).rejects.toThrow(/unknown baseline karpenter/);
  });
});
