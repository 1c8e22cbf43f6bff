import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { loadConfig, tableEnvironment } from '../../functions/shared/config';
import { InvalidEventError, type JobEvent, checkEventTime, parseEvent } from '../../functions/shared/events';
import { CLIENT_DEFAULTS } from '../../functions/shared/modelarts';
import { DEFAULT_EVALUATION_SETTINGS, PowertoolsTelemetry } from '../../functions/shared/pipeline';
import { jobTransition } from '../../functions/shared/store/job-transitions';
import { tableNamesWithPrefix } from '../../functions/shared/store/tables';

const POOL = 'pool-a-6f5da086876d4cd084d36f8bd3346036';
const job = {
  type: 'job.submitted',
  pool: POOL,
  flavor: 'f',
  jobId: 'j-1',
  units: 8,
  at: '2026-11-22T10:00:00Z',
};

describe('parseEvent', () => {
  it.each([
    ['a job event', JSON.stringify(job), { ...job }],
    [
      'a depth snapshot',
      JSON.stringify({
        type: 'depth.snapshot',
        pool: POOL,
        flavor: 'f',
        pendingUnits: 4,
        runningUnits: 0,
        at: job.at,
      }),
      { type: 'depth.snapshot', pendingUnits: 4 },
    ],
    ['pool.evaluate with a default reason', '{"type":"pool.evaluate","pool":"p"}', { reason: 'requested' }],
  ])('accepts %s', (_name, body, expected) => {
    expect(parseEvent(body)).toMatchObject(expected);
  });

  it.each([
    ['not JSON', '{', '', /not JSON/],
    ['an unknown type', JSON.stringify({ ...job, type: 'job.paused' }), 'type', /must be one of/],
    ['negative units', JSON.stringify({ ...job, units: -1 }), 'units', /.+/],
    ['a bad time', JSON.stringify({ ...job, at: 'yesterday' }), 'at', /ISO-8601/],
    ['an empty pool', JSON.stringify({ ...job, pool: '' }), 'pool', /empty/],
    [
      'a pool that no ModelArts pool can be named',
      JSON.stringify({ ...job, pool: 'depth-only-pool' }),
      'pool',
      /ModelArts pool name/,
    ],
    ['units above the bound', JSON.stringify({ ...job, units: 1_000_001 }), 'units', /at most 1000000/],
    [
      'a snapshot counter above the bound',
      JSON.stringify({
        type: 'depth.snapshot',
        pool: POOL,
        flavor: 'f',
        pendingUnits: 10 ** 9,
        runningUnits: 0,
        at: job.at,
      }),
      'pendingUnits',
      /at most 1000000/,
    ],
    ['an unknown field', JSON.stringify({ ...job, extra: true }), 'extra', /unknown field/],
    ['an array', '[]', '', /object/],
  ])('rejects %s, naming the field', (_name, body, field, message) => {
    try {
      parseEvent(body);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventError);
      expect((error as InvalidEventError).field).toBe(field);
      expect((error as InvalidEventError).message).toMatch(message);
    }
  });
});

describe('checkEventTime', () => {
  const received = Date.parse(job.at);
  const window = { maxAgeSeconds: 16 * 86_400, maxAheadSeconds: 900 };
  const at = (offsetSeconds: number) => ({
    ...(job as JobEvent),
    at: new Date(received + offsetSeconds * 1000).toISOString(),
  });
  it.each([
    ['at the receive time', 0],
    ['15 minutes ahead (clock skew)', 900],
    ['16 days old', -16 * 86_400],
  ])('accepts an event dated %s', (_name, offset) => {
    expect(() => checkEventTime(at(offset), received, window)).not.toThrow();
  });
  it.each([
    ['16 minutes ahead', 960, /960 s after .* at most 900 s ahead/],
    ['a year ahead', 365 * 86_400, /365 days after/],
    ['17 days old', -17 * 86_400, /17 days before .* older than 16 days/],
  ])('rejects an event dated %s, naming at', (_name, offset, message) => {
    try {
      checkEventTime(at(offset), received, window);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventError);
      expect((error as InvalidEventError).field).toBe('at');
      expect((error as InvalidEventError).message).toMatch(message);
    }
  });
});

describe('job transitions', () => {
  it.each([
    ['none', 'submitted', { pendingUnits: 8, runningUnits: 0 }],
    ['submitted', 'started', { pendingUnits: -8, runningUnits: 8 }],
    ['started', 'finished', { pendingUnits: 0, runningUnits: -8 }],
    ['submitted', 'cancelled', { pendingUnits: -8, runningUnits: 0 }],
    ['none', 'started', { pendingUnits: 0, runningUnits: 8 }],
    ['none', 'failed', { pendingUnits: 0, runningUnits: 0 }],
  ] as const)('%s → %s moves the counters by %o', (from, to, delta) => {
    expect(jobTransition(from, to, 8)?.delta).toEqual(delta);
  });

  it.each([
    ['started', 'submitted'],
    ['finished', 'started'],
    ['failed', 'cancelled'],
    ['submitted', 'submitted'],
  ] as const)('%s → %s changes nothing', (from, to) => {
    expect(jobTransition(from, to, 8)).toBeNull();
  });
});

describe('loadConfig', () => {
  const tables = tableEnvironment(tableNamesWithPrefix('prod-'));

  it('reads the Lambda environment with defaults', () => {
    const config = loadConfig({ ...tables, QUEUE_URL: 'https://sqs.example/q', EVALUATE_IN_PROCESS: 'true' });
    expect(config).toMatchObject({
      tables: { policies: 'prod-Policies', activities: 'prod-Activities' },
      evaluateInProcess: true,
      metricsPerPool: true,
      activityRetentionDays: 30,
      modelArts: { requestsPerSecond: 5, burst: 10 },
    });
  });

  it("defaults the ModelArts client's settings to the client's own, and the rest to the evaluation's", () => {
    const config = loadConfig(tables);
    expect(config.modelArts).toMatchObject({
      timeoutMs: CLIENT_DEFAULTS.timeoutMs,
      maxRetries: CLIENT_DEFAULTS.maxRetries,
      requestsPerSecond: DEFAULT_EVALUATION_SETTINGS.requestsPerSecond,
      burst: DEFAULT_EVALUATION_SETTINGS.burst,
    });
    expect(config.leaseSeconds * 1000).toBe(DEFAULT_EVALUATION_SETTINGS.leaseMs);
    expect(config.activityRetentionDays).toBe(DEFAULT_EVALUATION_SETTINGS.activityRetentionDays);
    expect(config.jobRetentionDays).toBe(DEFAULT_EVALUATION_SETTINGS.jobRetentionDays);
  });

  it.each([
    ['a missing table', { ...tables, DEPTH_TABLE: undefined }, 'DEPTH_TABLE'],
    [
      'a plain-http remote endpoint',
      { ...tables, MODELARTS_ENDPOINT: 'http://modelarts.example.com' },
      'MODELARTS_ENDPOINT',
    ],
    ['a zero rate', { ...tables, MODELARTS_REQUESTS_PER_SECOND: '0' }, 'MODELARTS_REQUESTS_PER_SECOND'],
    ['a bad flag', { ...tables, EVALUATE_IN_PROCESS: 'yes' }, 'EVALUATE_IN_PROCESS'],
    ['a bad metrics flag', { ...tables, METRICS_PER_POOL: 'no' }, 'METRICS_PER_POOL'],
  ])('rejects %s, naming the variable', (_name, env, variable) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^environment variable ${variable}:`));
  });
});

describe('EMF metrics', () => {
  /** A Powertools instance whose single-metric lines (the per-pool and per-flavor figures) are captured. */
  function capturing(): { metrics: Metrics; lines: () => Array<Record<string, unknown>> } {
    const metrics = new Metrics({ namespace: 'PoolAutoscalerTest', serviceName: 'pipeline' });
    const emitted: string[] = [];
    const singleMetric = metrics.singleMetric.bind(metrics);
    metrics.singleMetric = () => {
      const single = singleMetric();
      (single as unknown as { console: { log: (line: string) => void } }).console = {
        log: (line) => emitted.push(line),
      };
      return single;
    };
    return { metrics, lines: () => emitted.map((line) => JSON.parse(line) as Record<string, unknown>) };
  }

  /** Dimension sets of one metric in an EMF record. */
  function dimensionsOf(line: Record<string, unknown>, name: string): string[][] {
    const directives = (
      line._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> }
    ).CloudWatchMetrics;
    return directives.filter((d) => d.Metrics.some((m) => m.Name === name)).flatMap((d) => d.Dimensions);
  }

  it('emits evaluation, PATCH, throttle and per-flavor figures', () => {
    const { metrics, lines } = capturing();
    const telemetry = new PowertoolsTelemetry(metrics);
    telemetry.evaluation('Successful', 42);
    telemetry.patch('Successful', 'pool-a');
    telemetry.throttled();
    const names = metrics.serializeMetrics()._aws.CloudWatchMetrics[0]?.Metrics.map((metric) => metric.Name);
    expect(names).toEqual(
      expect.arrayContaining([
        'Evaluations',
        'EvaluationsSuccessful',
        'EvaluationLatency',
        'PatchesSuccessful',
        'Throttles',
      ]),
    );
    telemetry.flavor('pool-a', 'gpu', {
      demandUnits: 24,
      targetNodes: 3,
      availableNodes: 2,
      creatingNodes: 1,
    });
    expect(lines()).toEqual([
      expect.objectContaining({ pool: 'pool-a', flavor: 'gpu', DemandUnits: 24 }),
      expect.objectContaining({ pool: 'pool-a', flavor: 'gpu', TargetNodes: 3 }),
      expect.objectContaining({ pool: 'pool-a', flavor: 'gpu', AvailableNodes: 2 }),
      expect.objectContaining({ pool: 'pool-a', flavor: 'gpu', CreatingNodes: 1 }),
    ]);
    const figures = ['DemandUnits', 'TargetNodes', 'AvailableNodes', 'CreatingNodes'];
    expect(lines().map((line, index) => dimensionsOf(line, figures[index] ?? ''))).toEqual(
      figures.map(() => [['service', 'pool', 'flavor']]),
    );
  });

  it('counts a failed PATCH per pool, and a successful one only in the service total', () => {
    const { metrics, lines } = capturing();
    const telemetry = new PowertoolsTelemetry(metrics);
    telemetry.patch('Successful', 'pool-a');
    expect(lines()).toEqual([]);
    telemetry.patch('Failed', 'pool-b');
    const [failure] = lines();
    expect(failure).toEqual(expect.objectContaining({ pool: 'pool-b', PatchFailures: 1 }));
    expect(dimensionsOf(failure ?? {}, 'PatchFailures')).toEqual([['service', 'pool']]);
    const names = metrics.serializeMetrics()._aws.CloudWatchMetrics[0]?.Metrics.map((metric) => metric.Name);
    expect(names).toEqual(expect.arrayContaining(['PatchesSuccessful', 'PatchesFailed']));
  });

  it('emits only the fleet-level series when per-pool series are off', () => {
    const { metrics, lines } = capturing();
    const telemetry = new PowertoolsTelemetry(metrics, { perPool: false });
    telemetry.evaluation('Successful', 42);
    telemetry.patch('Failed', 'pool-a');
    telemetry.throttled();
    telemetry.flavor('pool-a', 'gpu', {
      demandUnits: 24,
      targetNodes: 3,
      availableNodes: 2,
      creatingNodes: 1,
    });
    telemetry.depthAge('pool-a', 95.5);
    expect(lines()).toEqual([]);
    const fleet = metrics.serializeMetrics();
    expect(fleet).not.toHaveProperty('pool');
    expect(fleet).not.toHaveProperty('flavor');
    expect(fleet).toEqual(expect.objectContaining({ PatchesFailed: 1, DepthAgeSeconds: 95.5, Throttles: 1 }));
    const record = fleet as unknown as Record<string, unknown>;
    for (const name of ['PatchesFailed', 'DepthAgeSeconds', 'Evaluations'])
      expect(dimensionsOf(record, name)).toEqual([['service']]);
  });

  it('emits the depth age per pool and once more for the whole service', () => {
    const { metrics, lines } = capturing();
    const telemetry = new PowertoolsTelemetry(metrics);
    telemetry.depthAge('pool-a', 95.5);
    const [perPool] = lines();
    expect(perPool).toEqual(expect.objectContaining({ pool: 'pool-a', DepthAgeSeconds: 95.5 }));
    expect(dimensionsOf(perPool ?? {}, 'DepthAgeSeconds')).toEqual([['service', 'pool']]);
    const serviceLevel = metrics.serializeMetrics();
    expect(serviceLevel).toEqual(expect.objectContaining({ DepthAgeSeconds: 95.5 }));
    expect(serviceLevel).not.toHaveProperty('pool');
    expect(dimensionsOf(serviceLevel as unknown as Record<string, unknown>, 'DepthAgeSeconds')).toEqual([
      ['service'],
    ]);
  });
});
