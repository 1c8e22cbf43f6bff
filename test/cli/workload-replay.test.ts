import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../functions/shared/events';
import type { TraceJob } from '../../policy-sim/trace';
import type { FlavorSetup } from '../../policy-sim/types';
import {
  physicalPoolRequest,
  startModelArtsSimulator,
  type ModelArtsSimulator,
  type WorkloadTransition,
} from '../../simulator';
import { jobEventOf } from '../../local/workload-events';
import { WorkloadReplay, simulatorFlavors, workloadSubmission } from '../../local/workload-replay';
import { anchoredNow } from '../clock-anchor';

const GPU = 'modelarts.vm.gpu.8v100';
const CPU = 'modelarts.vm.cpu.8ud';
const AZ = 'cn-north-4a';
const POOL_LABEL = 'pool-replay';

const setup = (flavor: string, unitsPerNode: number): FlavorSetup => ({
  flavor,
  unitsPerNode,
  targetUtilization: 1,
  minCount: 1,
  maxCount: 16,
  azs: [AZ],
  azWeights: { [AZ]: 1 },
  reversalWindowS: 300,
});
const GPU_SETUP = setup(GPU, 8);

const job = (jobId: string, submitS: number, units: number, durationS: number): TraceJob => ({
  jobId,
  submitS,
  flavor: GPU,
  units,
  durationS,
});

/** A pool of `nodes` available GPU nodes on a hand-moved simulation clock, with a replay over it. */
interface Bench {
  simulator: ModelArtsSimulator;
  pool: string;
  replay: WorkloadReplay;
  /** Moves the clock to trace second `tS` and steps the replay there. */
  at(tS: number): JobEvent[];
  resize(nodes: number): void;
}

let open: ModelArtsSimulator[] = [];
afterEach(async () => {
  for (const simulator of open) await simulator.close();
  open = [];
});

async function bench(jobs: TraceJob[], nodes: number): Promise<Bench> {
  const start = anchoredNow();
  let now = start;
  const simulator = await startModelArtsSimulator({
    now: () => now,
    provisioningDelayMs: 60_000,
    deletionDelayMs: 30_000,
    availabilityZones: [AZ],
  });
  open.push(simulator);
  const pool = simulator.seedPool(
    physicalPoolRequest({
      label: POOL_LABEL,
      description: 'replay test',
      network: 'network-test-6f5da086876d4cd084d36f8bd3346036',
      resources: [{ flavor: GPU, count: nodes, maxCount: nodes }],
    }),
  ).metadata.name;
  const replay = new WorkloadReplay(jobs, [GPU_SETUP], simulator, {
    pool,
    workloadPool: pool,
    runId: 'r',
    startEpochMs: start,
  });
  return {
    simulator,
    pool,
    replay,
    at: (tS) => {
      now = start + tS * 1000;
      return replay.step(tS);
    },
    resize: (count) => {
      simulator.updatePool(pool, { spec: { resources: [{ flavor: GPU, count, maxCount: count }] } });
    },
  };
}

const brief = (events: JobEvent[]) => events.map((event) => `${event.type} ${event.jobId}`);

describe('the trace replayed as simulator workloads', () => {
  it('submits at trace time, starts on available nodes, finishes after the run time, timed by the simulator', async () => {
    const b = await bench([job('a', 10, 8, 100), job('b', 20, 8, 100)], 1);
    expect(brief(b.at(5))).toEqual([]);
    expect(brief(b.at(20))).toEqual(['job.submitted r-a', 'job.started r-a', 'job.submitted r-b']);
    expect(b.replay.demand(GPU)).toEqual({ pendingUnits: 8, runningUnits: 8 });
    // A second node is asked for at 30 s and comes up 60 s later: b starts the moment it is available.
    b.at(30);
    b.resize(2);
    expect(brief(b.at(89))).toEqual([]);
    const started = b.at(95);
    expect(brief(started)).toEqual(['job.started r-b']);
    expect(started[0]?.at).toBe(new Date(b.simulator.now() - 5000).toISOString());
    const end = b.at(400);
    expect(brief(end)).toEqual(['job.finished r-a', 'job.finished r-b']);
    expect(b.replay.done()).toBe(true);
    expect(b.replay.jobOutcomes().map((outcome) => [outcome.startS, outcome.finishS])).toEqual([
      [20, 120],
      [90, 190],
    ]);
    expect(b.replay.progress()).toEqual({ total: 2, submitted: 2, ended: 2, preempted: 0 });
  });

  it('packs small jobs first fit and runs a job larger than a node on whole free nodes', async () => {
    const b = await bench(
      [job('s1', 0, 4, 50), job('s2', 0, 4, 50), job('big', 0, 16, 50), job('s3', 0, 2, 50)],
      2,
    );
    // Two nodes: s1 and s2 share the first, big needs two free nodes and waits, s3 fits on the second.
    expect(brief(b.at(0))).toEqual([
      'job.submitted r-s1',
      'job.started r-s1',
      'job.submitted r-s2',
      'job.started r-s2',
      'job.submitted r-big',
      'job.submitted r-s3',
      'job.started r-s3',
    ]);
    expect(b.simulator.workloads(b.pool).find((w) => w.jobName === 'big')).toMatchObject({ units: 16 });
    // The small ones end at 50 s: big takes both nodes.
    expect(brief(b.at(60))).toEqual([
      'job.finished r-s1',
      'job.finished r-s2',
      'job.finished r-s3',
      'job.started r-big',
    ]);
    expect(b.replay.demand(GPU)).toEqual({ pendingUnits: 0, runningUnits: 16 });
  });

  it('ends a job killed by a node removal as failed, counts it preempted and does not run it again', async () => {
    const b = await bench([job('a', 0, 8, 1000), job('b', 0, 8, 1000)], 2);
    b.at(0);
    b.at(10);
    // The service picks the newest available node whatever runs on it: b's.
    b.resize(1);
    const events = b.at(10);
    expect(brief(events)).toEqual(['job.failed r-b']);
    expect(b.replay.preempted(GPU)).toBe(1);
    expect(b.simulator.killedWorkloads(b.pool)).toBe(1);
    expect(b.replay.demand(GPU)).toEqual({ pendingUnits: 0, runningUnits: 8 });
    expect(b.replay.jobOutcomes()[1]).toMatchObject({ startS: 0, finishS: 10, preemptions: 1 });
    // The run is not done until a has ended too; nothing is submitted again.
    expect(b.replay.done()).toBe(false);
    expect(brief(b.at(2000))).toEqual(['job.finished r-a']);
    expect(b.replay.done()).toBe(true);
    expect(b.replay.progress()).toEqual({ total: 2, submitted: 2, ended: 2, preempted: 1 });
  });

  it('turns every transition into one event, exactly once and in order per job, whatever the pool does', async () => {
    const trace = fc.array(
      fc.record({
        submitS: fc.integer({ min: 0, max: 300 }),
        units: fc.constantFrom(1, 2, 4, 8, 16),
        durationS: fc.integer({ min: 1, max: 200 }),
      }),
      { minLength: 1, maxLength: 12 },
    );
    const steps = fc.array(
      fc.record({ advanceS: fc.integer({ min: 0, max: 90 }), nodes: fc.integer({ min: 1, max: 4 }) }),
      {
        minLength: 1,
        maxLength: 12,
      },
    );
    await fc.assert(
      fc.asyncProperty(trace, steps, async (rows, moves) => {
        const jobs = rows.map((row, index) => job(`j${index}`, row.submitS, row.units, row.durationS));
        const b = await bench(jobs, 2);
        const feed: WorkloadTransition[] = [];
        const stop = b.simulator.onWorkloadTransition((transition) => feed.push(transition));
        const events: JobEvent[] = [];
        let tS = 0;
        for (const move of moves) {
          tS += move.advanceS;
          events.push(...b.at(tS));
          b.resize(move.nodes);
        }
        // Enough nodes and time for everything left to be submitted, then to run to its end.
        b.resize(4);
        events.push(...b.at(tS + 5000));
        events.push(...b.at(tS + 10_000));
        stop();
        await b.simulator.close();
        open = open.filter((simulator) => simulator !== b.simulator);

        const uids = new Map(b.simulator.workloads(b.pool).map((w) => [w.uid, `r-${w.jobName}`]));
        expect(events).toEqual(feed.map((t) => jobEventOf(t, { pool: b.pool, jobId: uids.get(t.uid) })));
        for (const [index] of jobs.entries()) {
          const types = events.filter((event) => event.jobId === `r-j${index}`).map((event) => event.type);
          // Only a running workload loses its node.
          expect([
            ['job.submitted', 'job.started', 'job.finished'],
            ['job.submitted', 'job.started', 'job.failed'],
          ]).toContainEqual(types);
        }
        expect(b.replay.done()).toBe(true);
        expect(b.replay.progress().preempted).toBe(b.simulator.killedWorkloads(b.pool));
      }),
      { numRuns: 50 },
    );
  });
});

describe('trace jobs as workload submissions', () => {
  it.each([
    ['a job within one node: its accelerators', 4, true, { accelerators: 4 }],
    ['a job of exactly one node', 8, true, { accelerators: 8 }],
    ['a job of two whole nodes', 16, true, { nodeCount: 2, acceleratorsPerNode: 8 }],
    [
      'a job larger than a node, not whole nodes: whole free nodes by placement',
      12,
      true,
      { accelerators: 12 },
    ],
    ['units of a flavor without accelerators: whole nodes', 3, false, { nodeCount: 3 }],
  ])('%s', (_name, units, accelerators, shape) => {
    const submission = workloadSubmission({ ...job('t-1', 0, units, 90) }, 'uid-1', {
      unitsPerNode: 8,
      accelerators,
    });
    expect(submission).toEqual({ flavor: GPU, uid: 'uid-1', jobName: 't-1', durationSeconds: 90, ...shape });
  });

  it("gives the simulator the policy's units per node where the flavor's name says otherwise", () => {
    expect(simulatorFlavors([GPU_SETUP, setup(CPU, 1), setup('modelarts.vm.gpu.tnt004', 4)])).toEqual({
      'modelarts.vm.gpu.tnt004': { accelerators: 4 },
    });
  });
});
