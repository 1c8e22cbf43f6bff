import { describe, expect, it } from 'vitest';
import {
  decide,
  initialScalerState,
  type Decision,
  type Policy,
  type ScalerState,
} from '../../functions/shared/engine';
import type { Pool } from '../../functions/shared/modelarts/schemas';
import { GPU, T0, policy, pool } from './fixtures';

/** The pool once a PATCH is applied and its nodes are up (as the next GET would return it). */
function settled(current: Pool, decision: Decision): Pool {
  const resources = decision.patch?.spec?.resources ?? current.spec.resources;
  return pool({ resources: structuredClone(resources) });
}

/** Evaluates every `stepSeconds` under constant demand and returns the GPU count after each evaluation. */
function counts(
  scalingPolicy: Policy,
  start: Pool,
  pendingUnits: number,
  runningUnits: number,
  steps: number,
  stepSeconds: number,
  initialState: ScalerState = initialScalerState(),
) {
  let current = start;
  let state = initialState;
  const seen: number[] = [];
  for (let step = 0; step < steps; step += 1) {
    const now = T0 + step * stepSeconds * 1000;
    const decision = decide({
      policy: scalingPolicy,
      pool: current,
      depth: { [GPU]: { pendingUnits, runningUnits, updatedAt: now } },
      state,
      now,
    });
    current = settled(current, decision);
    state = decision.state;
    seen.push(current.spec.resources[0]?.count ?? -1);
  }
  return seen;
}

describe('decisions over time', () => {
  it('a Nodes 4/60s policy adds 4 nodes per minute, counting the whole period', () => {
    const rampPolicy = policy(
      {},
      { scaleUp: { policies: [{ type: 'Nodes', value: 4, periodSeconds: 60 }] } },
    );
    expect(counts(rampPolicy, pool(), 128, 0, 10, 15)).toEqual([6, 6, 6, 6, 10, 10, 10, 10, 14, 14]);
  });

  it('HPA defaults double or add 4 per 15 s, whichever is more', () => {
    const start = pool({ resources: [{ flavor: GPU, count: 1, maxCount: 1 }] });
    const wide = policy({}, { maxCount: 64 });
    expect(counts(wide, start, 8 * 60, 0, 5, 15)).toEqual([5, 10, 20, 40, 60]);
  });

  it('HPA defaults keep the highest recommendation of the last 300 s, then drop at once', () => {
    const start = pool({ resources: [{ flavor: GPU, count: 10, maxCount: 10 }] });
    // The pool was last recommended 10 nodes 15 s before the demand fell to one node's worth of running jobs.
    const history: ScalerState = {
      version: 1,
      flavors: {
        [GPU]: {
          recommendations: [{ at: T0 - 15_000, nodes: 10 }],
          scaleUpEvents: [],
          scaleDownEvents: [],
          azs: {},
        },
      },
    };
    const seen = counts(policy(), start, 0, 8, 24, 15, history);
    expect(seen.slice(0, 19)).toEqual(Array.from({ length: 19 }, () => 10));
    expect(seen.slice(19)).toEqual([1, 1, 1, 1, 1]);
  });

  it('a Percent 50/300s policy halves at most every five minutes', () => {
    const halving = policy(
      {},
      {
        scaleDown: {
          stabilizationSeconds: 0,
          policies: [{ type: 'Percent', value: 50, periodSeconds: 300 }],
        },
      },
    );
    const start = pool({ resources: [{ flavor: GPU, count: 16, maxCount: 16 }] });
    const seen = counts(halving, start, 0, 0, 12, 60);
    expect(seen).toEqual([8, 8, 8, 8, 8, 4, 4, 4, 4, 4, 2, 2]);
  });
});
