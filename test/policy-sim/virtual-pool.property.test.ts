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
  fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 400 }) }),
);

describe('VirtualPool invariants', () => {
  it('conserves units, never over-fills a node, and counts every job as queued, running or finished', () => {
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
          const nodeSeconds = pool.nodeSeconds(t).gpu ?? 0;
          expect(nodeSeconds).toBeGreaterThanOrEqual(lastNodeSeconds);
          lastNodeSeconds = nodeSeconds;
        }
      }),
      { numRuns: 200, seed: 4242 },
    );
  });
});
