import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlavorSetup, JobOutcome } from '../../policy-sim/types';
import { VirtualPool } from '../../policy-sim/virtual-pool';

const FLAVOR: FlavorSetup = {
  flavor: 'gpu',
  unitsPerNode: 8,
  targetUtilization: 1,
  minCount: 1,
  maxCount: 12,
  azs: ['az-a', 'az-b'],
  azWeights: { 'az-a': 1, 'az-b': 1 },
  reversalWindowS: 300,
};

const action = fc.oneof(
  fc.record({
    kind: fc.constant('submit' as const),
    units: fc.constantFrom(1, 2, 4, 8, 16),
    durationS: fc.integer({ min: 1, max: 500 }),
  }),
  fc.record({
    kind: fc.constant('resize' as const),
    a: fc.integer({ min: 0, max: 6 }),
    b: fc.integer({ min: 0, max: 6 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 400 }) }),
);

describe('VirtualPool invariants', () => {
  it('conserves units, never over-fills a node, counts every job as queued, running or finished, and shows its occupancy as its counts', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
        const pool = new VirtualPool({
          flavors: [FLAVOR],
          provisionDelayS: () => 100,
          initialNodes: { gpu: { 'az-a': 1 } },
        });
        const outcomes: JobOutcome[] = [];
        let t = 0;
        let lastNodeSeconds = 0;
        for (const step of actions) {
          if (step.kind === 'submit') {
            const outcome: JobOutcome = {
              job: {
                jobId: `j${outcomes.length}`,
                submitS: t,
                flavor: 'gpu',
                units: step.units,
                durationS: step.durationS,
              },
              preemptions: 0,
            };
            outcomes.push(outcome);
            pool.submit(outcome, outcomes.length - 1);
            pool.place(t);
          } else if (step.kind === 'resize') {
            pool.resize('gpu', { 'az-a': step.a, 'az-b': step.b }, t);
            pool.place(t);
          } else if (step.kind === 'delete') {
            const names = pool.nodeNames('gpu');
            if (names.length > 0) pool.deleteNodes([names[step.pick % names.length]!], t);
            pool.place(t);
          } else {
            const until = t + step.seconds;
            for (
              let next = pool.nextEventTime();
              next !== undefined && next <= until;
              next = pool.nextEventTime()
            ) {
              pool.advanceTo(next);
            }
            t = until;
            pool.advanceTo(t);
          }
          const snapshot = pool.snapshot('gpu');
          const finished = outcomes.filter((outcome) => outcome.finishS !== undefined);
          const submitted = outcomes.reduce((sum, outcome) => sum + outcome.job.units, 0);
          const done = finished.reduce((sum, outcome) => sum + outcome.job.units, 0);
          expect(snapshot.pendingUnits + snapshot.runningUnits).toBe(submitted - done);
          const nodes = (snapshot.nodes['az-a'] ?? 0) + (snapshot.nodes['az-b'] ?? 0);
          const available = (snapshot.available['az-a'] ?? 0) + (snapshot.available['az-b'] ?? 0);
          expect(snapshot.runningUnits).toBeLessThanOrEqual(available * FLAVOR.unitsPerNode);
          expect(snapshot.busyNodes).toBeLessThanOrEqual(available);
          expect(available).toBeLessThanOrEqual(nodes);
          for (const outcome of finished) {
            expect(outcome.startS).toBeDefined();
            expect(outcome.finishS! - outcome.startS!).toBeGreaterThanOrEqual(outcome.job.durationS);
          }
          const occupancy = pool.occupancy();
          expect(new Set(occupancy.nodes.map((node) => node.name)).size).toBe(nodes);
          expect(occupancy.nodes.filter((node) => node.busy).length).toBe(snapshot.busyNodes);
          const queued = occupancy.pending.gpu ?? [];
          expect(queued.reduce((sum, queuedJob) => sum + queuedJob.units, 0)).toBe(snapshot.pendingUnits);
          const freeUnits = occupancy.nodes
            .filter((node) => node.phase === 'Available')
            .reduce((sum, node) => sum + node.acceleratorsFree, 0);
          expect(freeUnits).toBe(available * FLAVOR.unitsPerNode - snapshot.runningUnits);
          const nodeSeconds = pool.nodeSeconds(t).gpu ?? 0;
          expect(nodeSeconds).toBeGreaterThanOrEqual(lastNodeSeconds);
          lastNodeSeconds = nodeSeconds;
        }
      }),
      { numRuns: 200, seed: 4242 },
    );
  });
});
