import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../functions/shared/events';
import type { TraceJob } from '../../policy-sim/trace';
import type { FlavorSetup } from '../../policy-sim/types';
import { JobReplay } from '../../local/job-replay';
import { ScaledClock } from '../../local/scaled-clock';
import { parseLocalRunOptions } from '../../local/options';

const GPU = 'modelarts.vm.gpu.8v100';
const setup: FlavorSetup = {
  flavor: GPU,
  unitsPerNode: 8,
  targetUtilization: 1,
  minCount: 1,
  maxCount: 8,
  azs: ['a'],
  azWeights: { a: 1 },
  reversalWindowS: 300,
};

const job = (jobId: string, submitS: number, units: number, durationS: number): TraceJob => ({
  jobId,
  submitS,
  flavor: GPU,
  units,
  durationS,
});

function replay(jobs: TraceJob[]): JobReplay {
  return new JobReplay(jobs, [setup], {
    pool: 'p',
    runId: 'r',
    isoAt: (s) => new Date(s * 1000).toISOString(),
  });
}

const brief = (events: JobEvent[]) => events.map((event) => `${event.type} ${event.jobId}`);

describe('JobReplay', () => {
  it('submits at trace time, starts only on available nodes, and finishes after the run time', () => {
    const r = replay([job('a', 10, 8, 100), job('b', 20, 8, 100)]);
    expect(brief(r.step(5, { [GPU]: 1 }))).toEqual([]);
    expect(brief(r.step(20, { [GPU]: 1 }))).toEqual([
      'job.submitted r-a',
      'job.submitted r-b',
      'job.started r-a',
    ]);
    expect(r.demand(GPU)).toEqual({ pendingUnits: 8, runningUnits: 8 });
    // A second node becomes available: b starts.
    expect(brief(r.step(50, { [GPU]: 2 }))).toEqual(['job.started r-b']);
    const end = r.step(160, { [GPU]: 2 });
    expect(brief(end)).toEqual(['job.finished r-a', 'job.finished r-b']);
    expect(end[0]?.at).toBe(new Date(120 * 1000).toISOString());
    expect(r.done()).toBe(true);
    expect(r.jobOutcomes().map((outcome) => [outcome.startS, outcome.finishS])).toEqual([
      [20, 120],
      [50, 150],
    ]);
  });

  it('packs small jobs first fit and gives a multi-node job whole free nodes', () => {
    const r = replay([job('s1', 0, 4, 50), job('s2', 0, 4, 50), job('big', 0, 16, 50), job('s3', 0, 2, 50)]);
    // Two nodes: s1 and s2 share the first, big needs two free nodes and waits, s3 fits on the second.
    expect(brief(r.step(0, { [GPU]: 2 }))).toEqual([
      'job.submitted r-s1',
      'job.submitted r-s2',
      'job.submitted r-big',
      'job.submitted r-s3',
      'job.started r-s1',
      'job.started r-s2',
      'job.started r-s3',
    ]);
    expect(brief(r.step(1, { [GPU]: 4 }))).toEqual(['job.started r-big']);
    expect(r.demand(GPU)).toEqual({ pendingUnits: 0, runningUnits: 26 });
  });

  it('removes idle nodes first; a job on a removed busy node fails and runs again as a new attempt', () => {
    const r = replay([job('a', 0, 8, 100), job('b', 0, 8, 100)]);
    r.step(0, { [GPU]: 3 });
    expect(brief(r.step(10, { [GPU]: 2 }))).toEqual([]);
    expect(brief(r.step(20, { [GPU]: 1 }))).toEqual(['job.failed r-b', 'job.submitted r-b.r1']);
    expect(r.preempted(GPU)).toBe(1);
    expect(brief(r.step(100, { [GPU]: 2 }))).toEqual(['job.finished r-a', 'job.started r-b.r1']);
    // The wait of b counts from its first start; it finishes 100 s after its restart.
    expect(brief(r.step(200, { [GPU]: 2 }))).toEqual(['job.finished r-b.r1']);
    expect(r.jobOutcomes()[1]).toMatchObject({ startS: 0, finishS: 200, preemptions: 1 });
  });
});

describe('ScaledClock', () => {
  it('stands still until it begins, then runs speed times faster, in whole milliseconds', () => {
    let real = 1000;
    const clock = new ScaledClock(60, Date.UTC(2026, 0, 1), () => real);
    real += 5000;
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1));
    clock.begin();
    real += 1500.5;
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1) + 90_030);
    expect(clock.elapsedS()).toBe(90.03);
    expect(clock.realMs(60_000)).toBe(1000);
    expect(() => clock.startAt(0)).toThrow('already running');
  });
});

describe('local run options', () => {
  it('applies the defaults and names the flag of a bad value', () => {
    expect(parseLocalRunOptions({})).toMatchObject({
      trace: 'examples/traces/demo.csv',
      speed: 60,
      duration: 120,
      out: 'out/local-run',
      apply: false,
    });
    expect(() => parseLocalRunOptions({ duration: 'soon' })).toThrow('--duration must be a number');
    expect(() => parseLocalRunOptions({ endpoint: 'http://modelarts.example.com' })).toThrow(
      '--endpoint must be an https URL (http only for loopback)',
    );
    expect(() => parseLocalRunOptions({ logLevel: 'LOUD' })).toThrow(/^--log-level: /);
  });
});
