import { z } from 'zod';

/**
 * What the engine remembers between evaluations of one pool. Plain JSON (epoch milliseconds, no Dates, no
 * undefined values) so the pipeline can store it as one DynamoDB attribute and hand it back unchanged.
 */

/** An unstabilized recommendation, as the HPA keeps them for its stabilization windows. */
export const TimedRecommendationSchema = z.object({ at: z.number(), nodes: z.int().min(0) });

/** A scale applied to a flavor; `change` is the number of nodes added or removed (always positive). */
export const ScaleEventSchema = z.object({ at: z.number(), change: z.int().min(1) });

/** Health tracking of one AZ of a flavor, for the Karpenter-style back-off. */
export const AzHealthSchema = z.object({
  /** Since when nodes are creating without progress, or abnormal. */
  troubleSince: z.number().optional(),
  /** Available nodes seen at the last evaluation: an increase is progress. */
  lastAvailable: z.int().min(0).optional(),
  /** New nodes avoid this AZ until then. */
  backoffUntil: z.number().optional(),
});

/** Nodes by which the flavor's nodes in use rose since the evaluation before, for the arrival rate. */
export const DemandArrivalSchema = z.object({ at: z.number(), nodes: z.int().min(1) });

export const FlavorScalerStateSchema = z.object({
  recommendations: z.array(TimedRecommendationSchema).default([]),
  scaleUpEvents: z.array(ScaleEventSchema).default([]),
  scaleDownEvents: z.array(ScaleEventSchema).default([]),
  lastScaleAt: z.number().optional(),
  /** When the engine first decided for this flavor: no scale-down before a scale-down window has passed. */
  observedSince: z.number().optional(),
  azs: z.record(z.string(), AzHealthSchema).default({}),
  /** Since when each node of the flavor has been seen idle (kept only for nodes idle at the last look). */
  idleSince: z.record(z.string(), z.number()).optional(),
  /** Rises of the nodes running jobs within the arrival-rate window (kept only for headroom or reuse). */
  arrivals: z.array(DemandArrivalSchema).optional(),
  /** The nodes running jobs the last evaluation saw (kept only for headroom or reuse). */
  lastNodesInUse: z.int().min(0).optional(),
});

export const ScalerStateSchema = z.object({
  version: z.literal(1).default(1),
  flavors: z.record(z.string(), FlavorScalerStateSchema).default({}),
});

export type TimedRecommendation = z.output<typeof TimedRecommendationSchema>;
export type ScaleEvent = z.output<typeof ScaleEventSchema>;
export type AzHealth = z.output<typeof AzHealthSchema>;
export type FlavorScalerState = z.output<typeof FlavorScalerStateSchema>;
export type DemandArrival = z.output<typeof DemandArrivalSchema>;
export type ScalerState = z.output<typeof ScalerStateSchema>;

export function initialScalerState(): ScalerState {
  return { version: 1, flavors: {} };
}

export function emptyFlavorState(): FlavorScalerState {
  return { recommendations: [], scaleUpEvents: [], scaleDownEvents: [], azs: {} };
}

/** The state of a flavor seen for the first time (a new policy, or a lost state). */
export function newFlavorState(now: number): FlavorScalerState {
  return { ...emptyFlavorState(), observedSince: now };
}

/** Reads a stored state; anything unreadable starts afresh (the windows refill within minutes). */
export function parseScalerState(input: unknown): ScalerState {
  const result = ScalerStateSchema.safeParse(input ?? {});
  return result.success ? result.data : initialScalerState();
}

/**
 * A flavor's state once a change of its entry from `current` to `count` nodes took effect at `at`: the change
 * counts in the rate policies' periods and starts the cooldown.
 */
export function withScale(
  state: FlavorScalerState,
  current: number,
  count: number,
  at: number,
): FlavorScalerState {
  const scaled = { ...state, lastScaleAt: at };
  if (count > current) {
    return { ...scaled, scaleUpEvents: [...state.scaleUpEvents, { at, change: count - current }] };
  }
  if (count < current) {
    return { ...scaled, scaleDownEvents: [...state.scaleDownEvents, { at, change: current - count }] };
  }
  return scaled;
}

/** The pool's state once a change of one flavor, found after the fact (a reconciled intent), is counted in. */
export function withScaleOf(
  state: ScalerState,
  flavor: string,
  current: number,
  count: number,
  at: number,
): ScalerState {
  const previous = state.flavors[flavor] ?? newFlavorState(at);
  return { ...state, flavors: { ...state.flavors, [flavor]: withScale(previous, current, count, at) } };
}
