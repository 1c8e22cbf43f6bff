import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runEntry } from './run-cli';

interface Summary {
  pool: string;
  trace: { name: string; jobs: number };
  results: Array<{
    strategy: string;
    patches: number;
    scale_operations: number;
    preempted_jobs: number;
    unfinished_jobs: number;
    node_seconds: number;
  }>;
}

interface RunInfo {
  stop_reason: string;
  moves: Record<string, { scaleUps: number; scaleDowns: number; targets: number[] }>;
  killed_workloads: number;
  queue: { received: number; failed: number; deadLetters: number };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('npm start (bin/local-run.ts)', () => {
  it('replays a short trace through the real handlers to the end, scaling up and back down, and writes the report', async () => {
    const out = await mkdtemp(join(tmpdir(), 'local-run-'));
    dirs.push(out);
    const run = await runEntry(
      'bin/local-run.ts',
      ['--trace', 'test/cli/fixtures/tiny.csv', '--speed', '200', '--duration', '45', '--out', out],
      {},
      90_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Not a terminal: plain progress lines, then the closing summary.
    expect(run.stdout).toMatch(/^\[\d\d:\d\d:\d\d\] jobs \d+\/5 done/m);
    expect(run.stdout).toMatch(
      /^ {2}gpu\.8v100 +all +demand +\d+ units +target +\d+ +creating +\d+ +available +\d+/m,
    );
    expect(run.stdout).toContain('Run finished after');

    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Summary;
    expect(summary.trace).toMatchObject({ name: 'tiny.csv', jobs: 5 });
    expect(summary.results.map((result) => result.strategy)).toEqual(['policy', 'oracle']);
    const policy = summary.results[0]!;
    // Up by PATCH, down by removing idle nodes by name.
    expect(policy.patches).toBeGreaterThanOrEqual(1);
    expect(policy.scale_operations).toBeGreaterThanOrEqual(2);
    expect(policy.preempted_jobs).toBe(0);
    expect(policy.unfinished_jobs).toBe(0);
    expect(policy.node_seconds).toBeGreaterThan(0);

    const info = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as RunInfo;
    expect(info.stop_reason).toBe('finished');
    const gpu = info.moves['modelarts.vm.gpu.8v100']!;
    // Up for the four 8-GPU jobs, then down once they are done.
    const peak = gpu.targets.indexOf(Math.max(...gpu.targets));
    expect(peak).toBeGreaterThan(0);
    expect(gpu.targets[peak]).toBeGreaterThan(gpu.targets[0]!);
    expect(gpu.targets.slice(peak + 1).length).toBeGreaterThan(0);
    expect(gpu.targets[gpu.targets.length - 1]).toBeLessThan(gpu.targets[peak]!);
    // Jobs killed by a scale-in, as the replay counted them from the transitions and as the simulator did.
    expect(policy.preempted_jobs).toBe(info.killed_workloads);
    expect(info.queue.failed).toBe(0);
    expect(info.queue.deadLetters).toBe(0);

    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain(`<h1>Local run: ${summary.pool}</h1>`);
    expect(html).toContain('pool on the ModelArts simulator');
    expect(html).not.toContain('seed 0');
    // The PATCH up and the removal by name, marked with the engine's reasons; the nodes split by AZ.
    expect(html).toMatch(/data-kind="patch" data-count="\d+"[^>]*><title>[^<]*PATCH \d+ → \d+ nodes: [^<]+</);
    expect(html).toMatch(/data-kind="batch-delete"/);
    expect(html).toContain('aria-label="policy: nodes per AZ"');
  }, 100_000);

  it('rejects bad flags naming the flag, before starting anything', async () => {
    const run = await runEntry('bin/local-run.ts', ['--speed', '-3']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: --speed must be above 0\n');
  });
});
