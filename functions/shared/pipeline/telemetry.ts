import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ActivityStatus } from '../store/activity-repository';

/** Figures the pipeline reports; one implementation emits CloudWatch EMF, another keeps them for tests. */
export interface PipelineTelemetry {
  evaluation(status: EvaluationStatus, latencyMs: number): void;
  decisionLatency(ms: number): void;
  patch(outcome: 'Successful' | 'Failed'): void;
  throttled(): void;
  flavor(pool: string, flavor: string, demandUnits: number, targetNodes: number): void;
  events(counts: { applied: number; ignored: number; invalid: number }): void;
}

/** How an evaluation ended; the activity statuses plus the two outcomes that record nothing. */
export type EvaluationStatus = ActivityStatus | 'LeaseHeld' | 'NoPolicy';

/** EMF metrics through Powertools; per-flavor figures carry `pool` and `flavor` dimensions. */
export class PowertoolsTelemetry implements PipelineTelemetry {
  constructor(private readonly metrics: Metrics) {}

  evaluation(status: EvaluationStatus, latencyMs: number): void {
    this.metrics.addMetric('Evaluations', MetricUnit.Count, 1);
    this.metrics.addMetric(`Evaluations${status}`, MetricUnit.Count, 1);
    this.metrics.addMetric('EvaluationLatency', MetricUnit.Milliseconds, latencyMs);
  }

  decisionLatency(ms: number): void {
    this.metrics.addMetric('DecisionLatency', MetricUnit.Milliseconds, ms);
  }

  patch(outcome: 'Successful' | 'Failed'): void {
    this.metrics.addMetric(`Patches${outcome}`, MetricUnit.Count, 1);
  }

  throttled(): void {
    this.metrics.addMetric('Throttles', MetricUnit.Count, 1);
  }

  flavor(pool: string, flavor: string, demandUnits: number, targetNodes: number): void {
    // A single metric is flushed (and its dimensions cleared) by each addMetric: one instance per figure.
    for (const [name, value] of [
      ['DemandUnits', demandUnits],
      ['TargetNodes', targetNodes],
    ] as const) {
      const single = this.metrics.singleMetric();
      single.addDimensions({ pool, flavor });
      single.addMetric(name, MetricUnit.Count, value);
    }
  }

  events(counts: { applied: number; ignored: number; invalid: number }): void {
    this.metrics.addMetric('EventsApplied', MetricUnit.Count, counts.applied);
    this.metrics.addMetric('EventsIgnored', MetricUnit.Count, counts.ignored);
    this.metrics.addMetric('InvalidMessages', MetricUnit.Count, counts.invalid);
  }
}

/** Keeps every figure in memory: for tests, benchmarks and the local runner's report. */
export class RecordingTelemetry implements PipelineTelemetry {
  readonly evaluations: Array<{ status: EvaluationStatus; latencyMs: number }> = [];
  readonly decisionLatencies: number[] = [];
  readonly patches: Array<'Successful' | 'Failed'> = [];
  throttles = 0;
  readonly flavors: Array<{ pool: string; flavor: string; demandUnits: number; targetNodes: number }> = [];
  readonly eventCounts = { applied: 0, ignored: 0, invalid: 0 };

  evaluation(status: EvaluationStatus, latencyMs: number): void {
    this.evaluations.push({ status, latencyMs });
  }
  decisionLatency(ms: number): void {
    this.decisionLatencies.push(ms);
  }
  patch(outcome: 'Successful' | 'Failed'): void {
    this.patches.push(outcome);
  }
  throttled(): void {
    this.throttles += 1;
  }
  flavor(pool: string, flavor: string, demandUnits: number, targetNodes: number): void {
    this.flavors.push({ pool, flavor, demandUnits, targetNodes });
  }
  events(counts: { applied: number; ignored: number; invalid: number }): void {
    this.eventCounts.applied += counts.applied;
    this.eventCounts.ignored += counts.ignored;
    this.eventCounts.invalid += counts.invalid;
  }
}
