import { z } from 'zod';
import { type FieldIssue, parseFields } from '../functions/shared/validation-issues';
import { EndpointHostsSchema } from '../functions/shared/endpoint-allowlist';

/**
 * Deployment settings of the stack, each read from CDK context (`cdk deploy -c key=value` or `cdk.json`) and
 * otherwise from the environment variable `POOL_AUTOSCALER_<KEY_IN_UPPER_SNAKE_CASE>`.
 */
export const STACK_SETTING_KEYS = [
  'stackName',
  'modelArtsEndpoint',
  'endpointHosts',
  'projectId',
  'credentialsSecretName',
  'credentialsSecretArn',
  'requestsPerSecond',
  'requestBurst',
  'scheduleRateMinutes',
  'batchSize',
  'maxBatchingWindowSeconds',
  'maxConcurrency',
  'maxReceiveCount',
  'activityRetentionDays',
  'alarmEmail',
  'alarmTopicArn',
  'removalPolicy',
  'deletionProtection',
  'evaluateInProcess',
  'metricsPerPool',
  'logLevel',
  'workloadWatcher',
  'workloadWatchPeriodSeconds',
] as const;

export type StackSettingKey = (typeof STACK_SETTING_KEYS)[number];

const text = z.string().trim().min(1);
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const StackSettingsSchema = z
  .object({
    stackName: text
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
      .default('PoolAutoscaler'),
    modelArtsEndpoint: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    // Comma-separated in the environment or on the command line; a list in cdk.json.
    endpointHosts: z
      .union([z.string(), z.array(z.string()).transform((hosts) => hosts.join(','))])
      .pipe(EndpointHostsSchema)
      .optional(),
    projectId: text.optional(),
    credentialsSecretName: text.optional(),
    credentialsSecretArn: text
      .regex(
        /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/,
        'must be a complete secret ARN',
      )
      .optional(),
    requestsPerSecond: z.coerce.number().positive().max(1000).optional(),
    requestBurst: z.coerce.number().positive().max(10_000).optional(),
    scheduleRateMinutes: count(1, 1440).optional(),
    batchSize: count(1, 10_000).optional(),
    maxBatchingWindowSeconds: count(0, 300).optional(),
    maxConcurrency: count(2, 1000).optional(),
    maxReceiveCount: count(1, 1000).optional(),
    activityRetentionDays: count(1, 3650).optional(),
    alarmEmail: z.email().optional(),
    alarmTopicArn: text
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+$/, 'must be an SNS topic ARN')
      .optional(),
    removalPolicy: z.enum(['retain', 'destroy', 'snapshot']).default('retain'),
    deletionProtection: flag.default(true),
    evaluateInProcess: flag.default(false),
    metricsPerPool: flag.default(true),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    workloadWatcher: flag.optional(),
    workloadWatchPeriodSeconds: count(10, 3600).optional(),
  })
  .refine((s) => !(s.credentialsSecretName && s.credentialsSecretArn), {
    message: 'set credentialsSecretName or credentialsSecretArn, not both',
    path: ['credentialsSecretArn'],
  })
  .refine((s) => !(s.alarmEmail && s.alarmTopicArn), {
    message: 'set alarmEmail or alarmTopicArn, not both',
    path: ['alarmTopicArn'],
  });

export type StackSettings = z.infer<typeof StackSettingsSchema>;

export class StackSettingsError extends Error {
  override readonly name = 'StackSettingsError';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${describeSetting(setting)}: ${message}`);
  }

  /** Every bad setting: `setting` names the first, the message lists them all. */
  static fromIssues(issues: readonly FieldIssue[]): StackSettingsError {
    const [first, ...rest] = issues;
    const more = rest.map((issue) => `; ${describeSetting(issue.field)}: ${issue.message}`).join('');
    return new StackSettingsError(first?.field ?? 'settings', `${first?.message ?? 'invalid'}${more}`);
  }
}

function describeSetting(setting: string): string {
  return `setting ${setting} (context "${setting}" or ${environmentVariableOf(setting)})`;
}

/** `requestsPerSecond` -> `POOL_AUTOSCALER_REQUESTS_PER_SECOND`. */
export function environmentVariableOf(key: string): string {
  return `POOL_AUTOSCALER_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/**
 * Reads every setting from `context` first, then the environment; validates them all. Throws
 * `StackSettingsError` naming the first bad setting.
 */
export function readStackSettings(
  context: (key: string) => unknown,
  env: Record<string, string | undefined> = process.env,
): StackSettings {
  const raw: Record<string, unknown> = {};
  for (const key of STACK_SETTING_KEYS) {
    const value = context(key) ?? env[environmentVariableOf(key)];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = parseFields(StackSettingsSchema, raw, 'settings', 1);
  if (!parsed.success) throw StackSettingsError.fromIssues(parsed.issues);
  return parsed.data;
}
