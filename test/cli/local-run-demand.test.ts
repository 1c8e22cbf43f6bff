import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEntry } from './run-cli';

/*
 * `npm start --demand ...` for real: DynamoDB Local, the SQS emulator, the simulator and the real handlers, on the
 * five-job trace. Speed 100 keeps an evaluation period (60 s of trace) at 0.6 s of real time, so the queued jobs
 * are seen even on a busy machine.
 */

interface RunInfo {
  stop_reason: string;
  demand: string;
  moves: Record<string, { scaleUps: number; scaleDowns: number; targets: number[] }>;
  killed_workloads: number;
  queue: { received: number; failed: number; deadLetters: number; byType: Record<string, number> };
  job_events: { published: number; dropped: number; withheld: number };
  reconciliations: { repaired: number; drift_units: number };
  watcher_invocations: number;
}

interface Summary {
  results: Array<{ strategy: string; unfinished_jobs: number; preempted_jobs: number }>;
}

const GPU = 'modelarts.vm.gpu.8v100';
const NPU = 'modelarts.vm.npu.8snt9b';
/** Jobs in the trace, each sending submitted, started and finished. */
const TRACE = 'test/cli/fixtures/tiny.csv';
const TRACE_EVENTS = 15;

let dir: string;
/** The demo policy, reconciling every minute so that the short trace sees several reconciliations. */
let reconcilingPolicy: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-run-demand-'));
  const demo = JSON.parse(await readFile('local/demo-policy.json', 'utf8')) as Record<string, unknown>;
  reconcilingPolicy = join(dir, 'policy.json');
  await writeFile(reconcilingPolicy, JSON.stringify({ ...demo, reconcileSeconds: 60 }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function localRun(
  name: string,
  args: readonly string[],
): Promise<{ info: RunInfo; summary: Summary; stdout: string }> {
  const out = join(dir, name);
  const run = await runEntry(
    'bin/local-run.ts',
    ['--trace', TRACE, '--speed', '100', '--duration', '60', '--out', out, ...args],
    {},
    110_000,
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const info = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as RunInfo;
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Summary;
  return { info, summary, stdout: run.stdout };
}

/** The GPU flavor went above where it started, then came back below its peak by the end. */
function expectUpAndDown(info: RunInfo): void {
  const { scaleUps, scaleDowns, targets } = info.moves[GPU]!;
  expect(scaleUps).toBeGreaterThanOrEqual(1);
  expect(scaleDowns).toBeGreaterThanOrEqual(1);
  const peak = Math.max(...targets);
  expect(peak).toBeGreaterThan(targets[0]!);
  expect(targets.indexOf(peak)).toBeLessThan(targets.length - 1);
  expect(targets[targets.length - 1]).toBeLessThan(peak);
}

function expectEveryJobDone(result: { info: RunInfo; summary: Summary }): void {
  const policy = result.summary.results.find((entry) => entry.strategy === 'policy')!;
  expect(policy.unfinished_jobs).toBe(0);
  expect(policy.preempted_jobs).toBe(0);
  expect(result.info.killed_workloads).toBe(0);
  expect(result.info.queue.failed).toBe(0);
  expect(result.info.queue.deadLetters).toBe(0);
}

describe('npm start --demand', () => {
  it('workloads: not one job event reaches the queue, and the pool scales up and back down from the workloads', async () => {
    const run = await localRun('workloads', ['--demand', 'workloads']);
    const { info } = run;
    expect(info.stop_reason).toBe('finished');
    expect(info.demand).toBe('workloads');
    expect(info.job_events).toEqual({ published: 0, dropped: 0, withheld: TRACE_EVENTS });
    // What the consumer received: only the watcher's and the sweep's evaluations, no job.* at all.
    expect(Object.keys(info.queue.byType)).toEqual(['pool.evaluate']);
    expect(info.queue.byType['pool.evaluate']).toBeGreaterThan(0);
    expect(info.watcher_invocations).toBeGreaterThan(0);
    expectUpAndDown(info);
    // The NPU flavor had its job too, and ends at its floor like the GPU one: nothing held for want of events.
    expect(info.moves[GPU]!.targets.at(-1)).toBe(1);
    expect(info.moves[NPU]!.targets.at(-1)).toBe(1);
    expectEveryJobDone(run);
    expect(run.stdout).toMatch(
      /^ {2}demand: workloads: no job event sent \(15 transitions seen only as workloads\), \d+ watcher polls$/m,
    );
  }, 120_000);

  it('events+workloads with lost events: the reconciliation repairs the drift, and the run says by how much', async () => {
    const run = await localRun('reconciled', [
      '--policy',
      reconcilingPolicy,
      '--demand',
      'events+workloads',
      '--drop-events',
      '0.3',
    ]);
    const { info } = run;
    expect(info.stop_reason).toBe('finished');
    expect(info.demand).toBe('events+workloads');
    expect(info.job_events.dropped).toBeGreaterThan(0);
    expect(info.job_events.published + info.job_events.dropped).toBe(TRACE_EVENTS);
    expect(info.job_events.withheld).toBe(0);
    const jobEventsConsumed = Object.entries(info.queue.byType)
      .filter(([type]) => type.startsWith('job.'))
      .reduce((sum, [, count]) => sum + count, 0);
    expect(jobEventsConsumed).toBe(info.job_events.published);
    expect(info.reconciliations.repaired).toBeGreaterThan(0);
    expect(info.reconciliations.drift_units).toBeGreaterThan(0);
    expect(info.watcher_invocations).toBe(0);
    // With the lost job.finished events repaired, both flavors come back to their floor.
    expect(info.moves[GPU]!.targets.at(-1)).toBe(1);
    expect(info.moves[NPU]!.targets.at(-1)).toBe(1);
    expectEveryJobDone(run);
    expect(run.stdout).toMatch(
      /^\[\d+ s\] modelarts\.vm\.\w+\.\w+: reconciled with the pool’s workloads: .*\(off by \d+ units\)$/m,
    );
    expect(run.stdout).toContain(
      `reconciliations repaired ${info.reconciliations.drift_units} units of drift (${info.reconciliations.repaired} flavor reconciliations found the counters off)`,
    );
  }, 120_000);

  it.each<[string, string[], string]>([
    ['a share above 1', ['--drop-events', '2'], 'error: --drop-events must be from 0 to 1\n'],
    ['a share that is not a number', ['--drop-events', 'lots'], 'error: --drop-events must be a number\n'],
    [
      'events to drop where none is sent',
      ['--demand', 'workloads', '--drop-events', '0.3'],
      'error: --drop-events: --demand workloads sends no job event to drop\n',
    ],
  ])('refuses %s, naming the flag, before starting anything', async (_name, args, message) => {
    const run = await runEntry('bin/local-run.ts', args);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(message);
  });
});
