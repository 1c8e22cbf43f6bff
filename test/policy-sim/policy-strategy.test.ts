import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/shared/engine';
import { flavorSetupsFromPolicy } from '../../policy-sim/flavor-setup';
import { Replay } from '../../policy-sim/replay';
import { PolicyStrategy } from '../../policy-sim/strategies/policy';
import type { PoolView, ScaleInMode, StrategyStep } from '../../policy-sim/strategies/strategy';
import { parseTrace } from '../../policy-sim/trace';

const policy = parsePolicy({
  pool: 'pool-policy-strategy',
  cooldownSeconds: 0,
  flavors: {
    gpu: {
      minCount: 1,
      maxCount: 4,
      unitsPerNode: 8,
      azs: { 'az-a': 1 },
      scaleDown: { stabilizationSeconds: 300, policies: [{ type: 'Nodes', value: 4, periodSeconds: 60 }] },
    },
  },
});
const flavors = flavorSetupsFromPolicy(policy);
const START = Math.floor(Date.now() / 3_600_000) * 3_600_000;

// j1 runs on the first node (node-00000) for 150 s; j2 waits for the second node the policy asks for at its
// first evaluation (node-00001, up at 100 s) and runs on it for hours. Once j1 has ended only one node is
// needed: the idle, older node-00000 or the busy, newer node-00001.
const trace = parseTrace('job_id,submit_s,flavor,units,duration_s\nj1,0,gpu,8,150\nj2,0,gpu,8,20000\n');

interface Evaluation {
  t: number;
  step: StrategyStep;
  /** Nodes of the flavor as the evaluation saw them: name and busy. */
  nodes: Array<[string, boolean]>;
}

function replay(scaleIn?: ScaleInMode) {
  const strategy = new PolicyStrategy({
    policy,
    flavors,
    sweepSeconds: 60,
    eventLatencySeconds: 1,
    startEpochMs: START,
    ...(scaleIn !== undefined ? { scaleIn } : {}),
  });
  const evaluations: Evaluation[] = [];
  const evaluate = strategy.evaluate.bind(strategy);
  strategy.evaluate = (t: number, view: PoolView) => {
    const nodes = view.occupancy().nodes.map((node): [string, boolean] => [node.name, node.busy]);
    const step = evaluate(t, view);
    evaluations.push({ t, step, nodes });
    return step;
  };
  const run = new Replay({ jobs: trace, flavors, strategy, provisionDelayS: () => 100, startEpochMs: START });
  run.runTo(3000);
  return { result: run.result(3000), evaluations };
}

describe('PolicyStrategy: the engine decides, asks for the occupancy when it needs it, and its change is applied', () => {
  it('scales in by name (the policy default): removes the idle node, preempts nothing, one batch-delete', () => {
    const { result, evaluations } = replay();
    const removals = evaluations.filter((evaluation) => evaluation.step.removeNodes.length > 0);
    expect(removals).toHaveLength(1);
    const [removal] = removals;
    expect(removal!.nodes).toEqual([
      ['node-00000', false],
      ['node-00001', true],
    ]);
    expect(removal!.step).toMatchObject({
      removeNodes: ['node-00000'],
      resize: {},
      batchDeletes: 1,
      patches: 0,
    });
    expect(result.preemptedJobs).toEqual({ gpu: 0 });
    expect(result.outcomes.map((outcome) => outcome.preemptions)).toEqual([0, 0]);
    // One PATCH up (to 2 nodes) and the batch-delete: both are scale operations.
    expect(result).toMatchObject({ patches: 1, scaleOperations: 2 });
  });

  it('with the what-if `patch` lowers the count and the service takes the newest node, killing j2', () => {
    const { result, evaluations } = replay('patch');
    expect(evaluations.every((evaluation) => evaluation.step.removeNodes.length === 0)).toBe(true);
    const lowering = evaluations.find((evaluation) => evaluation.step.resize.gpu?.['az-a'] === 1);
    expect(lowering).toBeDefined();
    expect(result.preemptedJobs).toEqual({ gpu: 1 });
    expect(result.outcomes[1]!.preemptions).toBe(1);
    expect(result).toMatchObject({ patches: 2, scaleOperations: 2 });
  });

  it('reads the occupancy only when the decision asks for it: a quiet pool at minCount costs one decision', () => {
    const strategy = new PolicyStrategy({
      policy,
      flavors,
      sweepSeconds: 60,
      eventLatencySeconds: 1,
      startEpochMs: START,
    });
    let occupancyReads = 0;
    const snapshot = {
      nodes: { 'az-a': 1 },
      creating: { 'az-a': 0 },
      available: { 'az-a': 1 },
      pendingUnits: 0,
      runningUnits: 0,
      pendingWorkers: 0,
      runningWorkers: 0,
      busyNodes: 0,
    };
    const view: PoolView = {
      flavors,
      snapshot: () => snapshot,
      occupancy: () => {
        occupancyReads++;
        return { nodes: [], pending: {}, pendingKnown: true };
      },
    };
    for (let t = 0; t <= 600; t += 60) expect(strategy.evaluate(t, view).patches).toBe(0);
    expect(occupancyReads).toBe(0);
    // Queued jobs: placing them by shape needs the nodes and the queue.
    strategy.evaluate(660, {
      ...view,
      snapshot: () => ({ ...snapshot, pendingUnits: 8, pendingWorkers: 1 }),
    });
    expect(occupancyReads).toBe(1);
  });
});
