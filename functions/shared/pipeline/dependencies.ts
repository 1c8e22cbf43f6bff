import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { type PipelineConfig, loadConfig } from '../config';
import { type ModelArtsCredentials, ModelArtsClient, credentialsFromEnv, toCredentials } from '../modelarts';
import { createDocumentClient } from '../store/document-client';
import { formatIssues, parseFields } from '../validation-issues';
import { PowertoolsTelemetry } from './telemetry';
import { DEFAULT_EVALUATION_SETTINGS, type ModelArtsClientFactory, type PipelineDependencies } from './types';

/** What the handlers need beyond the evaluation: the queue for fan-out and the Powertools instances. */
export interface HandlerDependencies extends PipelineDependencies {
  sqs: SQSClient;
  queueUrl: string | undefined;
  evaluateInProcess: boolean;
  metrics: Metrics;
}

export class CredentialsSecretError extends Error {
  override readonly name = 'CredentialsSecretError';
  constructor(
    readonly secretArn: string,
    detail: string,
  ) {
    super(`ModelArts credentials secret ${secretArn}: ${detail}`);
  }
}

const SecretSchema = z.object({
  ak: z.string().min(1),
  sk: z.string().min(1),
  securityToken: z.string().min(1).optional(),
});

/** Secrets are re-read after this long, so a rotated key is picked up without a cold start. */
const SECRET_CACHE_MS = 5 * 60_000;

/** AK/SK from Secrets Manager (cached per container) or, without a secret, from Huawei's SDK variables. */
export function credentialsSource(
  config: PipelineConfig,
  env: Record<string, string | undefined>,
  secrets: () => SecretsManagerClient,
  clock: () => number,
): () => Promise<ModelArtsCredentials> {
  const secretArn = config.modelArts.secretArn;
  if (secretArn === undefined) {
    let fromEnv: ModelArtsCredentials | undefined;
    return async () => (fromEnv ??= credentialsFromEnv(env).credentials);
  }
  let cached: { credentials: ModelArtsCredentials; until: number } | undefined;
  return async () => {
    if (cached && cached.until > clock()) return cached.credentials;
    const result = await secrets().send(new GetSecretValueCommand({ SecretId: secretArn }));
    let json: unknown;
    try {
      json = JSON.parse(result.SecretString ?? '');
    } catch {
      throw new CredentialsSecretError(secretArn, 'is not a JSON object {"ak": ..., "sk": ...}');
    }
    const parsed = parseFields(SecretSchema, json, '(secret)');
    if (!parsed.success) throw new CredentialsSecretError(secretArn, formatIssues(parsed.issues));
    cached = { credentials: toCredentials(parsed.data), until: clock() + SECRET_CACHE_MS };
    return cached.credentials;
  };
}

/** Builds the pipeline's dependencies from the Lambda environment. Anything in `overrides` wins. */
export function dependenciesFromEnv(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<HandlerDependencies> = {},
): HandlerDependencies {
  const config = loadConfig(env);
  const region = config.region ?? 'us-east-1';
  const clock = overrides.clock ?? Date.now;
  // Keys in the given environment win over the default chain (local runs pass the emulators' keys this way).
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const credentials =
    accessKeyId && secretAccessKey
      ? {
          credentials: {
            accessKeyId,
            secretAccessKey,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {};
  const dynamoDb = new DynamoDBClient({
    region,
    ...credentials,
    ...(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {}),
  });
  const sqs =
    overrides.sqs ??
    new SQSClient({
      region,
      ...credentials,
      ...(config.sqsEndpoint ? { endpoint: config.sqsEndpoint } : {}),
    });
  let secretsClient: SecretsManagerClient | undefined;
  const modelArtsCredentials = credentialsSource(
    config,
    env,
    () => (secretsClient ??= new SecretsManagerClient({ region, ...credentials })),
    clock,
  );
  const modelArts: ModelArtsClientFactory = async (target, hooks) =>
    new ModelArtsClient({
      endpoint: target.endpoint,
      projectId: target.projectId,
      credentials: await modelArtsCredentials(),
      timeoutMs: config.modelArts.timeoutMs,
      maxRetries: config.modelArts.maxRetries,
      endpointAllowlist: config.modelArts.endpointAllowlist,
      ...hooks,
    });
  const logger = overrides.logger ?? new Logger({ serviceName: config.serviceName });
  const metrics =
    overrides.metrics ?? new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName });
  return {
    store: { doc: createDocumentClient(dynamoDb), tables: config.tables },
    modelArts,
    clock,
    newId: randomUUID,
    sleep: (ms) => sleep(ms),
    logger,
    metrics,
    telemetry: new PowertoolsTelemetry(metrics, { perPool: config.metricsPerPool }),
    settings: {
      ...DEFAULT_EVALUATION_SETTINGS,
      leaseMs: config.leaseSeconds * 1000,
      requestsPerSecond: config.modelArts.requestsPerSecond,
      burst: config.modelArts.burst,
      activityRetentionDays: config.activityRetentionDays,
      jobRetentionDays: config.jobRetentionDays,
      endpointAllowlist: config.modelArts.endpointAllowlist,
      requestTimeoutMs: config.modelArts.timeoutMs,
      ...(config.modelArts.endpointOverride ? { endpointOverride: config.modelArts.endpointOverride } : {}),
      ...(config.modelArts.projectIdOverride
        ? { projectIdOverride: config.modelArts.projectIdOverride }
        : {}),
    },
    sqs,
    queueUrl: config.queueUrl,
    evaluateInProcess: config.evaluateInProcess,
    ...overrides,
  };
}
