import type { Policy } from '../functions/shared/engine';
import { SimulationInputError } from './errors';
import { checkTraceAgainstFlavors, flavorSetupsFromPolicy } from './flavor-setup';
import { Replay, type ReplayResult } from './replay';
import { simulationResult, strategyResult, type SimulationResult, type SimulationSettings } from './results';
import { deriveSeed, seededRandom } from './rng';
import { ClusterAutoscalerStrategy } from './strategies/cluster-autoscaler';
import { HpaStrategy } from './strategies/hpa';
import { IdleReferenceStrategy } from './strategies/idle-reference';
import { KedaStrategy } from './strategies/keda';
import { oracleFlavor, traceEndS } from './strategies/oracle';
import { PolicyStrategy } from './strategies/policy';
import { StaticStrategy } from './strategies/static';
import type { ScaleInMode, ScalingStrategy } from './strategies/strategy';
import type { TraceJob } from './trace';
import {
  BASELINES,
  IDLE_REFERENCES,
  type BaselineName,
  type FlavorSetup,
  type IdleReferenceName,
  type StrategyResult,
} from './types';

export interface SimulationOptions {
  /** Seconds from a node's request until it is available (ARCHITECTURE 3.4 default: 300). */
  provisionDelaySeconds?: number;
  /** Per flavor and AZ delays that override `provisionDelaySeconds`. */
  provisionDelayOverrides?: Record<string, Record<string, number>>;
  /** Each new node's delay moves by up to this many seconds either way, drawn from the seeded RNG. */
  provisionJitterSeconds?: number;
  baselines?: readonly BaselineName[];
  /** The evaluator's schedule (default 60 s). */
  sweepSeconds?: number;
  /** From a job event to the evaluation it triggers (default 1 s). */
  eventLatencySeconds?: number;
  seed?: number;
  /** How long the replay runs past the moment the last job ended, in any strategy (default 3600 s). */
  tailSeconds?: number;
  /**
   * Latest instant a replay runs to while jobs are still queued or running (a policy that starves a job would
   * otherwise run for ever); reported when reached. Default: the trace's zero-wait end plus the longer of that
   * time and 7 days.
   */
  maxHorizonSeconds?: number;
  /** Epoch ms of the trace's second 0 (default 2026-01-05T00:00:00Z, a Monday), for the policy's schedules. */
  startEpochMs?: number;
  /**
   * Replaces the policy's `scaleIn` for a what-if: `nodes` removes chosen idle nodes by name
   * (`nodes/batch-delete`), `patch` lowers the count and lets the service pick the nodes, busy or not. Default:
   * the policy's own field.
   */
  policyScaleIn?: ScaleInMode;
}

export const DEFAULT_PROVISION_DELAY_S = 300;
export const DEFAULT_SWEEP_SECONDS = 60;
export const DEFAULT_EVENT_LATENCY_S = 1;
export const DEFAULT_TAIL_S = 3600;
/** The shortest cap on how long a replay may run past the trace's zero-wait end. */
export const MIN_HORIZON_CAP_EXTRA_S = 7 * 86_400;
export const DEFAULT_START_EPOCH_MS = Date.UTC(2026, 0, 5);

/** Replays the trace against the policy, the chosen baselines and the oracle. Deterministic for given inputs. */
export function simulate(
  allJobs: readonly TraceJob[],
  policy: Policy,
  options: SimulationOptions = {},
): SimulationResult {
  return simulatePolicies(allJobs, [policy], options).result;
}

/** The replay of several versions of one policy against the same baselines, all measured to one horizon. */
export interface PoliciesSimulation {
  /** The first policy, the baselines and the oracle, as `simulate` gives them. */
  result: SimulationResult;
  /** Each policy's figures, in the order given (the first one's are also `result`'s). */
  policies: StrategyResult[];
}

/**
 * Replays the trace against each policy (versions of one pool's policy: same pool, flavors and units per node),
 * the chosen baselines (from the first policy's flavors) and the oracle. Every strategy runs until its last job
 * has ended; then all are measured to one horizon, so their figures compare.
 */
export function simulatePolicies(
  allJobs: readonly TraceJob[],
  policies: readonly Policy[],
  options: SimulationOptions = {},
): PoliciesSimulation {
  const policy = policies[0];
  if (policy === undefined) throw new SimulationInputError('no policy to replay');
  const flavors = flavorSetupsFromPolicy(policy);
  const policyFlavors = policies.map((version) => flavorSetupsFromPolicy(version));
  for (const setups of policyFlavors) {
    const same =
      setups.length === flavors.length &&
      setups.every((setup, index) => {
        const base = flavors[index];
        return base !== undefined && base.flavor === setup.flavor && base.unitsPerNode === setup.unitsPerNode;
      });
    if (!same) throw new SimulationInputError('every policy replayed together must have the same flavors');
  }
  const jobs = allJobs.filter((job) => job.pool === undefined || job.pool === policy.pool);
  for (const setups of policyFlavors) checkTraceAgainstFlavors(jobs, setups);
  const baselines = options.baselines ?? BASELINES;
  const seed = options.seed ?? 1;
  const delay = options.provisionDelaySeconds ?? DEFAULT_PROVISION_DELAY_S;
  const tailS = options.tailSeconds ?? DEFAULT_TAIL_S;
  const traceEnd = traceEndS(jobs);
  const capS = options.maxHorizonSeconds ?? traceEnd + Math.max(traceEnd, MIN_HORIZON_CAP_EXTRA_S);
  const startEpochMs = options.startEpochMs ?? DEFAULT_START_EPOCH_MS;
  const scaleIn = options.policyScaleIn ?? policy.scaleIn;
  const sweepSeconds = options.sweepSeconds ?? DEFAULT_SWEEP_SECONDS;
  const eventLatencySeconds = options.eventLatencySeconds ?? DEFAULT_EVENT_LATENCY_S;
  const jitterS = options.provisionJitterSeconds ?? 0;

  const strategies: Array<{ strategy: ScalingStrategy; flavors: readonly FlavorSetup[] }> = policies.map(
    (version, index) => ({
      strategy: new PolicyStrategy({
        policy: version,
        flavors: policyFlavors[index] as FlavorSetup[],
        sweepSeconds,
        eventLatencySeconds,
        startEpochMs,
        scaleIn: options.policyScaleIn ?? version.scaleIn,
      }),
      flavors: policyFlavors[index] as FlavorSetup[],
    }),
  );
  const peaks = Object.fromEntries(
    flavors.map((setup) => [setup.flavor, oracleFlavor(jobs, setup, traceEnd).peakNodes]),
  );
  const baselineStrategies: ScalingStrategy[] = [];
  for (const baseline of baselines) {
    if (baseline === 'static') baselineStrategies.push(new StaticStrategy(flavors, peaks));
    if (baseline === 'keda') baselineStrategies.push(new KedaStrategy(flavors));
    if (baseline === 'hpa') baselineStrategies.push(new HpaStrategy(flavors));
    if (baseline === 'cluster-autoscaler') baselineStrategies.push(new ClusterAutoscalerStrategy(flavors));
    if (isIdleReference(baseline)) {
      baselineStrategies.push(new IdleReferenceStrategy({ name: baseline, flavors, eventLatencySeconds }));
    }
  }
  strategies.push(...baselineStrategies.map((strategy) => ({ strategy, flavors })));
  // Every strategy runs until its last job has ended; then all, and the oracle, are measured to one horizon.
  const replays = strategies.map(
    ({ strategy, flavors: setups }) =>
      new Replay({
        jobs,
        flavors: setups,
        strategy,
        provisionDelayS: (flavor, az) => options.provisionDelayOverrides?.[flavor]?.[az] ?? delay,
        jitterS,
        random: seededRandom(deriveSeed(seed, strategy.name)),
        startEpochMs,
      }),
  );
  const ends = replays.map((run) => run.runUntilAllEnded(capS));
  const lastJobEnd = Math.max(traceEnd, ...ends);
  const capped = replays.some((run) => !run.allEnded());
  const horizonS = capped ? capS : lastJobEnd + tailS;
  for (const run of replays) run.runTo(horizonS);

  const settings: SimulationSettings = {
    provision_delay_s: delay,
    provision_jitter_s: jitterS,
    sweep_seconds: sweepSeconds,
    event_latency_s: eventLatencySeconds,
    seed,
    tail_s: tailS,
    horizon_s: horizonS,
    last_job_end_s: lastJobEnd,
    horizon_cap_s: capS,
    horizon_capped: capped,
    start: new Date(startEpochMs).toISOString(),
    baselines: [...baselines],
    policy_scale_in: scaleIn,
  };
  const runs = replays.map((replay) => replay.result(horizonS));
  const policyCount = policies.length;
  const result = simulationResult({
    pool: policy.pool,
    jobs,
    skippedJobs: allJobs.length - jobs.length,
    flavors,
    settings,
    runs: [
      { strategy: 'policy', run: runs[0] as ReplayResult },
      ...baselineStrategies.map((strategy, index) => ({
        strategy: strategy.name,
        run: runs[policyCount + index] as ReplayResult,
      })),
    ],
  });
  const oracleSeconds = flavors.reduce(
    (sum, setup) => sum + oracleFlavor(jobs, setup, horizonS).nodeSeconds,
    0,
  );
  const policyResults = runs
    .slice(0, policyCount)
    .map((run, index) =>
      strategyResult('policy', run, policyFlavors[index] as FlavorSetup[], settings, oracleSeconds),
    );
  return { result, policies: policyResults };
}

function isIdleReference(name: BaselineName): name is IdleReferenceName {
  return (IDLE_REFERENCES as readonly string[]).includes(name);
}
