import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PowertoolsTelemetry } from '../../functions/shared/pipeline/telemetry';
import { ACTIVITY_STATUSES } from '../../functions/shared/store/activity-repository';
import { ModelArtsPoolAutoscaler } from '../../lib/modelarts-pool-autoscaler';
import { PIPELINE_METRICS } from '../../lib/pipeline-metrics';
import { dashboardWidgets, resourcesOfType } from './template-queries';

// The CloudFormation schema check built into synth costs seconds per process and is advisory only;
// `npm run synth` keeps it. Everything asserted here comes from the templates.
vi.stubEnv('CDK_VALIDATION', 'false');
afterAll(() => {
  vi.unstubAllEnvs();
});

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, '../..');
const NAMESPACE = 'PoolAutoscaler';
const SERVICE = 'pool-autoscaler';

/** `<metric name> [<dimension>,...]`, the identity of a CloudWatch metric within a namespace. */
type MetricKey = string;
const keyOf = (name: string, dimensions: readonly string[]): MetricKey =>
  `${name} [${[...dimensions].sort().join(',')}]`;

let emitted: Set<MetricKey>;
let template: Template;

/** Every metric the functions' telemetry emits, captured from the EMF records Powertools writes. */
function emittedMetrics(): Set<MetricKey> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const metrics = new Metrics({ namespace: NAMESPACE, serviceName: SERVICE });
    const telemetry = new PowertoolsTelemetry(metrics);
    for (const status of [...ACTIVITY_STATUSES, 'LeaseHeld', 'NoPolicy'] as const)
      telemetry.evaluation(status, 12);
    telemetry.decisionLatency(1);
    telemetry.patch('Successful', 'pool-a');
    telemetry.patch('Failed', 'pool-a');
    telemetry.throttled();
    telemetry.flavor('pool-a', 'modelarts.vm.gpu.8v100', {
      demandUnits: 16,
      targetNodes: 2,
      availableNodes: 1,
      creatingNodes: 1,
    });
    telemetry.depthAge('pool-a', 30);
    telemetry.events({ applied: 1, ignored: 1, invalid: 1 });
    metrics.publishStoredMetrics();
  } finally {
    write.mockRestore();
  }
  const keys = new Set<MetricKey>();
  for (const line of lines
    .join('')
    .split('\n')
    .filter((text) => text.startsWith('{'))) {
    const record = JSON.parse(line) as {
      _aws?: {
        CloudWatchMetrics: Array<{
          Namespace: string;
          Dimensions: string[][];
          Metrics: Array<{ Name: string }>;
        }>;
      };
    };
    for (const directive of record._aws?.CloudWatchMetrics ?? []) {
      expect(directive.Namespace).toBe(NAMESPACE);
      for (const dimensions of directive.Dimensions) {
        for (const metric of directive.Metrics) keys.add(keyOf(metric.Name, dimensions));
      }
    }
  }
  return keys;
}

beforeAll(() => {
  emitted = emittedMetrics();
  const app = new App({ outdir: path.join(ROOT, 'cdk.out/test-monitoring') });
  const stack = new Stack(app, 'Monitoring');
  new ModelArtsPoolAutoscaler(stack, 'Autoscaler', {
    credentialsSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Secret', 'modelarts'),
    consumerEntry: path.join(here, 'fixtures/handler.ts'),
    evaluatorEntry: path.join(here, 'fixtures/handler.ts'),
  });
  template = Template.fromJSON(app.synth().getStackByName('Monitoring').template);
});

/** Metrics of our namespace that the dashboard and alarms read, by name and dimension set. */
function readMetrics(): Set<MetricKey> {
  const keys = new Set<MetricKey>();
  const add = (name: string, dimensions: string[]) => keys.add(keyOf(name, dimensions));
  const [dashboard] = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'));
  for (const widget of dashboardWidgets(dashboard!)) {
    for (const line of widget.properties.metrics) {
      const [namespace, name] = line;
      if (namespace === NAMESPACE && typeof name === 'string') {
        const dimensions = line
          .slice(2)
          .filter((_, i) => i % 2 === 0)
          .filter((d): d is string => typeof d === 'string');
        add(name, dimensions);
      }
      for (const cell of line) {
        const search =
          typeof cell === 'object'
            ? /SEARCH\('\{([^}]*)\} MetricName="(\w+)"/.exec(cell.expression ?? '')
            : null;
        if (search && search[1]!.split(',')[0] === NAMESPACE) add(search[2]!, search[1]!.split(',').slice(1));
      }
    }
  }
  for (const alarm of Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))) {
    const queries =
      (alarm.Properties.Metrics as
        | Array<{
            Expression?: string;
            MetricStat?: {
              Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string }> };
            };
          }>
        | undefined) ?? [];
    for (const query of queries) {
      // Metrics Insights: SELECT STAT("Name") FROM SCHEMA("namespace", "dimension", ...)
      const insights = /SELECT \w+\("(\w+)"\) FROM SCHEMA\(([^)]*)\)/.exec(query.Expression ?? '');
      if (insights) {
        const [namespace, ...dimensions] = insights[2]!
          .split(',')
          .map((part) => part.trim().replace(/"/g, ''));
        if (namespace === NAMESPACE) add(insights[1]!, dimensions);
      }
      const metric = query.MetricStat?.Metric;
      if (metric?.Namespace === NAMESPACE)
        add(
          metric.MetricName,
          (metric.Dimensions ?? []).map((d) => d.Name),
        );
    }
  }
  return keys;
}

describe('dashboard and alarms agree with the functions', () => {
  it('read only metrics the telemetry emits, with the dimensions it emits them with', () => {
    const read = readMetrics();
    expect(read.size).toBeGreaterThan(10);
    for (const key of read) expect(emitted.has(key), `${key} is read but never emitted`).toBe(true);
  });

  it('read the new per-pool and per-flavor figures: nodes, depth age and PATCH failures', () => {
    const m = PIPELINE_METRICS;
    expect([...readMetrics()]).toEqual(
      expect.arrayContaining([
        keyOf(m.availableNodes, m.flavorDimensions),
        keyOf(m.creatingNodes, m.flavorDimensions),
        keyOf(m.depthAgeSeconds, m.poolDimensions),
        // The stale-depth alarm reads the fleet-wide series.
        keyOf(m.depthAgeSeconds, [m.dimensions.service]),
        // The PATCH failure alarm's Metrics Insights query and the dashboard read the per-pool series.
        keyOf(m.patchFailures, m.poolDimensions),
      ]),
    );
  });

  it('show every evaluation outcome the telemetry counts', () => {
    expect([...PIPELINE_METRICS.evaluationStatuses].sort()).toEqual(
      [...ACTIVITY_STATUSES, 'LeaseHeld', 'NoPolicy'].sort(),
    );
  });
});
