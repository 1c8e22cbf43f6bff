import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type EvaluationStatus, PIPELINE_METRICS as NAMES } from './metric-names';

/** Figures the pipeline reports; one implementation emits CloudWatch EMF, another keeps them for tests. */
export interface PipelineTelemetry {
  evaluation(status: EvaluationStatus, latencyMs: number): void;
  decisionLatency(ms: number): void;
  /** Every PATCH outcome; a failure includes a 200 whose response does not show the decided sizes. */
  patch(outcome: 'Successful' | 'Failed', pool: string): void;
  throttled(): void;
  flavor(pool: string, flavor: string, figures: FlavorFigures): void;
  /**
   * Age of the pool's newest depth update when an enabled policy is evaluated. Optional: a telemetry that
   * reports through its own output (the command line's) has no use for it.
   */
  depthAge?(pool: string, ageSeconds: number): void;
  events(counts: { applied: number; ignored: number; invalid: number }): void;
}

/** One flavor's figures at decision time: demand, the decided target and the nodes the pool status showed. */
export interface FlavorFigures {
  demandUnits: number;
  targetNodes: number;
  availableNodes: number;
  creatingNodes: number;
}

type MetricUnitName = (typeof MetricUnit)[keyof typeof MetricUnit];

export interface PowertoolsTelemetryOptions {
  /**
   * `false`: only the fleet-level series are emitted. Each pool and flavor adds series that CloudWatch bills
   * monthly, which at a thousand pools is most of the cost.
   * @default true
   */
  perPool?: boolean;
}

/**
 * EMF metrics through Powertools. Per-flavor figures carry `pool` and `flavor` dimensions; per-pool figures
 * carry `pool`; `DepthAgeSeconds` is also emitted without `pool`, so that one series (its Maximum) serves an
 * alarm over the whole fleet, and `PatchesFailed` counts the fleet's failures. Powertools adds the `service`
 * dimension to each. Without per-pool series, only the `service`-only figures remain.
 */
export class PowertoolsTelemetry implements PipelineTelemetry {
  private readonly perPoolSeries: boolean;

  constructor(
    private readonly metrics: Metrics,
    options: PowertoolsTelemetryOptions = {},
  ) {
    this.perPoolSeries = options.perPool ?? true;
  }

  evaluation(status: EvaluationStatus, latencyMs: number): void {
    this.metrics.addMetric(NAMES.evaluations, MetricUnit.Count, 1);
    this.metrics.addMetric(`${NAMES.evaluations}${status}`, MetricUnit.Count, 1);
    this.metrics.addMetric(NAMES.evaluationLatency, MetricUnit.Milliseconds, latencyMs);
  }

  decisionLatency(ms: number): void {
    this.metrics.addMetric(NAMES.decisionLatency, MetricUnit.Milliseconds, ms);
  }

  patch(outcome: 'Successful' | 'Failed', pool: string): void {
    const fleet = outcome === 'Successful' ? NAMES.patchesSuccessful : NAMES.patchesFailed;
    this.metrics.addMetric(fleet, MetricUnit.Count, 1);
    // Only failures get a per-pool series: a pool's series then exists (and costs) only while it fails.
    if (outcome === 'Failed') this.perPool(pool, NAMES.patchFailures, MetricUnit.Count, 1);
  }

  throttled(): void {
    this.metrics.addMetric(NAMES.throttles, MetricUnit.Count, 1);
  }

  flavor(pool: string, flavor: string, figures: FlavorFigures): void {
    if (!this.perPoolSeries) return;
    // A single metric is flushed (and its dimensions cleared) by each addMetric: one instance per figure.
    for (const [name, value] of [
      [NAMES.demandUnits, figures.demandUnits],
      [NAMES.targetNodes, figures.targetNodes],
      [NAMES.availableNodes, figures.availableNodes],
      [NAMES.creatingNodes, figures.creatingNodes],
    ] as const) {
      const single = this.metrics.singleMetric();
      single.addDimensions({ [NAMES.dimensions.pool]: pool, [NAMES.dimensions.flavor]: flavor });
      single.addMetric(name, MetricUnit.Count, value);
    }
  }

  depthAge(pool: string, ageSeconds: number): void {
    this.perPool(pool, NAMES.depthAgeSeconds, MetricUnit.Seconds, ageSeconds);
    this.metrics.addMetric(NAMES.depthAgeSeconds, MetricUnit.Seconds, ageSeconds);
  }

  private perPool(pool: string, name: string, unit: MetricUnitName, value: number): void {
    if (!this.perPoolSeries) return;
    const single = this.metrics.singleMetric();
    single.addDimensions({ [NAMES.dimensions.pool]: pool });
    single.addMetric(name, unit, value);
  }

  events(counts: { applied: number; ignored: number; invalid: number }): void {
    this.metrics.addMetric(NAMES.eventsApplied, MetricUnit.Count, counts.applied);
    this.metrics.addMetric(NAMES.eventsIgnored, MetricUnit.Count, counts.ignored);
    this.metrics.addMetric(NAMES.invalidMessages, MetricUnit.Count, counts.invalid);
  }
}

/** Keeps every figure in memory: for tests, benchmarks and the local runner's report. */
export class RecordingTelemetry implements PipelineTelemetry {
  readonly evaluations: Array<{ status: EvaluationStatus; latencyMs: number }> = [];
  readonly decisionLatencies: number[] = [];
  readonly patches: Array<'Successful' | 'Failed'> = [];
  /** Failed PATCH outcomes, one entry per failure. */
  readonly patchFailures: string[] = [];
  throttles = 0;
  readonly flavors: Array<{ pool: string; flavor: string } & FlavorFigures> = [];
  readonly depthAges: Array<{ pool: string; ageSeconds: number }> = [];
  readonly eventCounts = { applied: 0, ignored: 0, invalid: 0 };

  evaluation(status: EvaluationStatus, latencyMs: number): void {
    this.evaluations.push({ status, latencyMs });
  }
  decisionLatency(ms: number): void {
    this.decisionLatencies.push(ms);
  }
  patch(outcome: 'Successful' | 'Failed', pool: string): void {
    this.patches.push(outcome);
    if (outcome === 'Failed') this.patchFailures.push(pool);
  }
  throttled(): void {
    this.throttles += 1;
  }
  flavor(pool: string, flavor: string, figures: FlavorFigures): void {
    this.flavors.push({ pool, flavor, ...figures });
  }
  depthAge(pool: string, ageSeconds: number): void {
    this.depthAges.push({ pool, ageSeconds });
  }
  events(counts: { applied: number; ignored: number; invalid: number }): void {
    this.eventCounts.applied += counts.applied;
    this.eventCounts.ignored += counts.ignored;
    this.eventCounts.invalid += counts.invalid;
  }
}
