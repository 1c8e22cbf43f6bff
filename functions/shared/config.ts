import { z } from 'zod';
import {
  DEFAULT_ENDPOINT_ALLOWLIST,
  type EndpointAllowlist,
  EndpointHostsSchema,
  checkEndpoint,
} from './endpoint-allowlist';
import { isHttpsOrLoopbackUrl } from './endpoint-url';
import { CLIENT_DEFAULTS } from './modelarts/client';
import { DEFAULT_EVALUATION_SETTINGS as EVALUATION } from './pipeline/types';
import { TABLES, type TableNames } from './store/tables';
import { type FieldIssue, formatIssues, parseFields } from './validation-issues';

/** Environment variable names the Lambdas read; the CDK stack sets them. */
export const ENV = {
  policiesTable: TABLES.policies.envVar,
  depthTable: TABLES.depth.envVar,
  jobsTable: TABLES.jobs.envVar,
  scalerStateTable: TABLES.scalerState.envVar,
  tokenBucketsTable: TABLES.tokenBuckets.envVar,
  activitiesTable: TABLES.activities.envVar,
  /** URL of the events queue the evaluator fans `pool.evaluate` messages out to. */
  queueUrl: 'QUEUE_URL',
  /**
   * When set, every pool is reached at this endpoint instead of its policy's (private endpoints, local runs);
   * it must pass the endpoint allowlist like a policy's.
   */
  modelArtsEndpoint: 'MODELARTS_ENDPOINT',
  /**
   * Comma-separated host patterns ModelArts endpoints must match (`*` is one DNS label); unset: Huawei Cloud's
   * public ModelArts endpoints.
   */
  modelArtsEndpointHosts: 'MODELARTS_ENDPOINT_HOSTS',
  /** `true`: loopback endpoints (plain http included) are allowed. Local runs and tests only; the stack never sets it. */
  modelArtsAllowLoopback: 'MODELARTS_ALLOW_LOOPBACK',
  /** When set, overrides the project id of every policy. */
  modelArtsProjectId: 'MODELARTS_PROJECT_ID',
  /**
   * Secrets Manager secret holding `{"ak": "...", "sk": "..."}`. Without it (local runs), credentials come from
   * Huawei's SDK variables `HUAWEICLOUD_SDK_AK` / `HUAWEICLOUD_SDK_SK` (or `HUAWEICLOUD_SDK_TOKEN`).
   */
  modelArtsSecretArn: 'MODELARTS_SECRET_ARN',
  /** Sustained ModelArts request rate across all Lambdas, per endpoint and project. */
  modelArtsRequestsPerSecond: 'MODELARTS_REQUESTS_PER_SECOND',
  /** Tokens the bucket holds when full. */
  modelArtsBurst: 'MODELARTS_BURST',
  modelArtsTimeoutMs: 'MODELARTS_TIMEOUT_MS',
  modelArtsMaxRetries: 'MODELARTS_MAX_RETRIES',
  /** `true`: the evaluator evaluates every pool itself instead of fanning out messages. */
  evaluateInProcess: 'EVALUATE_IN_PROCESS',
  /**
   * `false`: only fleet-level metrics (the `service` dimension) are emitted; the per-pool and per-flavor series,
   * most of the CloudWatch bill at a thousand pools, are left out.
   */
  metricsPerPool: 'METRICS_PER_POOL',
  activityRetentionDays: 'ACTIVITY_RETENTION_DAYS',
  jobRetentionDays: 'JOB_RETENTION_DAYS',
  /** How long an evaluator holds a pool; longer than one evaluation with retries. */
  leaseSeconds: 'LEASE_SECONDS',
  /** Endpoint overrides for DynamoDB Local and the SQS emulator. */
  dynamoDbEndpoint: 'DYNAMODB_ENDPOINT',
  sqsEndpoint: 'SQS_ENDPOINT',
  awsRegion: 'AWS_REGION',
  powertoolsServiceName: 'POWERTOOLS_SERVICE_NAME',
  powertoolsMetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  powertoolsLogLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

/** `true`/`1` or `false`/`0`; unset or empty means `fallback`. */
const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', ''])
    .default('')
    .transform((value) => (value === '' ? fallback : value === 'true' || value === '1'));

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const positiveNumber = (fallback: number) => z.coerce.number().positive().default(fallback);

/** Endpoint URL that must be https unless it is a loopback address. */
const endpointUrl = optionalText.refine((value) => value === undefined || isHttpsOrLoopbackUrl(value), {
  message: 'must be an https URL (http only for loopback)',
});

/** The two variables of the endpoint allowlist, read the same way by the Lambdas and the CLI. */
const endpointAllowlistEnv = {
  [ENV.modelArtsEndpointHosts]: optionalText.pipe(
    z.union([z.undefined().transform(() => DEFAULT_ENDPOINT_ALLOWLIST.hosts), EndpointHostsSchema]),
  ),
  [ENV.modelArtsAllowLoopback]: booleanFlag(false),
};

const tableName = z.string().min(3, 'must name a DynamoDB table');

/** The Lambdas' environment, validated; errors name the variable. */
export const PipelineEnvSchema = z.object({
  [ENV.policiesTable]: tableName,
  [ENV.depthTable]: tableName,
  [ENV.jobsTable]: tableName,
  [ENV.scalerStateTable]: tableName,
  [ENV.tokenBucketsTable]: tableName,
  [ENV.activitiesTable]: tableName,
  [ENV.queueUrl]: optionalText,
  [ENV.modelArtsEndpoint]: optionalText,
  ...endpointAllowlistEnv,
  [ENV.modelArtsProjectId]: optionalText,
  [ENV.modelArtsSecretArn]: optionalText,
  // Defaults are the client's and the evaluation's own, so the two can never disagree.
  [ENV.modelArtsRequestsPerSecond]: positiveNumber(EVALUATION.requestsPerSecond),
  [ENV.modelArtsBurst]: positiveNumber(EVALUATION.burst),
  [ENV.modelArtsTimeoutMs]: positiveNumber(CLIENT_DEFAULTS.timeoutMs),
  [ENV.modelArtsMaxRetries]: z.coerce.number().int().min(0).max(10).default(CLIENT_DEFAULTS.maxRetries),
  [ENV.evaluateInProcess]: booleanFlag(false),
  [ENV.metricsPerPool]: booleanFlag(true),
  [ENV.activityRetentionDays]: positiveNumber(EVALUATION.activityRetentionDays),
  [ENV.jobRetentionDays]: positiveNumber(EVALUATION.jobRetentionDays),
  [ENV.leaseSeconds]: positiveNumber(EVALUATION.leaseMs / 1000),
  [ENV.dynamoDbEndpoint]: endpointUrl,
  [ENV.sqsEndpoint]: endpointUrl,
  [ENV.awsRegion]: optionalText,
  [ENV.powertoolsServiceName]: z.string().default('pool-autoscaler'),
  [ENV.powertoolsMetricsNamespace]: z.string().default('PoolAutoscaler'),
  [ENV.powertoolsLogLevel]: z.string().default('INFO'),
});

export type PipelineEnv = z.infer<typeof PipelineEnvSchema>;

function allowlistOf(env: {
  [ENV.modelArtsEndpointHosts]: readonly string[];
  [ENV.modelArtsAllowLoopback]: boolean;
}): EndpointAllowlist {
  return { hosts: env[ENV.modelArtsEndpointHosts], loopback: env[ENV.modelArtsAllowLoopback] };
}

export interface PipelineConfig {
  tables: TableNames;
  queueUrl: string | undefined;
  modelArts: {
    endpointOverride: string | undefined;
    /** Where policies' endpoints (and the override) may point. */
    endpointAllowlist: EndpointAllowlist;
    projectIdOverride: string | undefined;
    secretArn: string | undefined;
    requestsPerSecond: number;
    burst: number;
    timeoutMs: number;
    maxRetries: number;
  };
  evaluateInProcess: boolean;
  /** Whether per-pool and per-flavor metric series are emitted besides the fleet-level ones. */
  metricsPerPool: boolean;
  activityRetentionDays: number;
  jobRetentionDays: number;
  leaseSeconds: number;
  dynamoDbEndpoint: string | undefined;
  sqsEndpoint: string | undefined;
  region: string | undefined;
  serviceName: string;
  metricsNamespace: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`environment variable ${variable}: ${message}`);
  }

  /** Every bad variable: `variable` names the first, the message lists them all. */
  static fromIssues(issues: readonly FieldIssue[]): ConfigError {
    const [first, ...rest] = issues;
    const more = rest.length > 0 ? `; ${formatIssues(rest)}` : '';
    return new ConfigError(first?.field ?? 'environment', `${first?.message ?? 'invalid'}${more}`);
  }
}

/** Validates the environment; every bad variable is named (the first as the error's `variable`). */
function parseEnvironment<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  // A variable is named as it is set, not by the list element its value was parsed into.
  const parsed = parseFields(schema, env, 'environment', 1);
  if (parsed.success) return parsed.data;
  throw ConfigError.fromIssues(parsed.issues);
}

/** Parses and validates the environment. Throws `ConfigError` naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): PipelineConfig {
  const e = parseEnvironment(PipelineEnvSchema, env);
  // The override is judged like a policy's endpoint: a deployment cannot aim every pool at its own runtime.
  const endpointAllowlist = allowlistOf(e);
  const endpoint = e[ENV.modelArtsEndpoint];
  const verdict = endpoint === undefined ? undefined : checkEndpoint(endpoint, endpointAllowlist);
  if (verdict && !verdict.allowed) throw new ConfigError(ENV.modelArtsEndpoint, verdict.reason);
  return {
    tables: {
      policies: e[ENV.policiesTable],
      depth: e[ENV.depthTable],
      jobs: e[ENV.jobsTable],
      scalerState: e[ENV.scalerStateTable],
      tokenBuckets: e[ENV.tokenBucketsTable],
      activities: e[ENV.activitiesTable],
    },
    queueUrl: e[ENV.queueUrl],
    modelArts: {
      endpointOverride: e[ENV.modelArtsEndpoint],
      endpointAllowlist,
      projectIdOverride: e[ENV.modelArtsProjectId],
      secretArn: e[ENV.modelArtsSecretArn],
      requestsPerSecond: e[ENV.modelArtsRequestsPerSecond],
      burst: e[ENV.modelArtsBurst],
      timeoutMs: e[ENV.modelArtsTimeoutMs],
      maxRetries: e[ENV.modelArtsMaxRetries],
    },
    evaluateInProcess: e[ENV.evaluateInProcess],
    metricsPerPool: e[ENV.metricsPerPool],
    activityRetentionDays: e[ENV.activityRetentionDays],
    jobRetentionDays: e[ENV.jobRetentionDays],
    leaseSeconds: e[ENV.leaseSeconds],
    dynamoDbEndpoint: e[ENV.dynamoDbEndpoint],
    sqsEndpoint: e[ENV.sqsEndpoint],
    region: e[ENV.awsRegion],
    serviceName: e[ENV.powertoolsServiceName],
    metricsNamespace: e[ENV.powertoolsMetricsNamespace],
  };
}

/**
 * The endpoint allowlist from `MODELARTS_ENDPOINT_HOSTS` and `MODELARTS_ALLOW_LOOPBACK` alone, read as the
 * Lambdas read them (for the CLI, which has no table variables). Throws `ConfigError` naming the variable.
 */
export function endpointAllowlistFromEnv(
  env: Record<string, string | undefined> = process.env,
): EndpointAllowlist {
  return allowlistOf(parseEnvironment(z.object(endpointAllowlistEnv), env));
}

/** Environment entries for the table names, for the stack and the local runner. */
export function tableEnvironment(names: TableNames): Record<string, string> {
  return {
    [ENV.policiesTable]: names.policies,
    [ENV.depthTable]: names.depth,
    [ENV.jobsTable]: names.jobs,
    [ENV.scalerStateTable]: names.scalerState,
    [ENV.tokenBucketsTable]: names.tokenBuckets,
    [ENV.activitiesTable]: names.activities,
  };
}
