import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { ENV } from '../../functions/shared/config';
import { isHttpsOrLoopbackUrl, isLoopbackHost } from '../../functions/shared/endpoint-url';
import {
  CredentialEnv,
  type ModelArtsCredentials,
  ModelArtsClient,
  TokenCredentials,
  credentialsFromEnv,
} from '../../functions/shared/modelarts';
import { type StoreContext, createDocumentClient } from '../../functions/shared/store/document-client';
import {
  TABLES,
  TABLE_KEYS,
  type TableNames,
  tableNamesWithPrefix,
} from '../../functions/shared/store/tables';
import { UsageError, parseOptions } from './errors';

/*
 * Options every command spells the same way: `--pool`, `--endpoint` (ModelArts, env MODELARTS_ENDPOINT),
 * `--timeout` in seconds, and the table options. Older spellings stay as hidden aliases.
 */

export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number <= 0)
    throw new InvalidArgumentError('must be a positive whole number');
  return number;
}

export function wholeNumber(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number))
    throw new InvalidArgumentError('must be a whole number >= 0');
  return number;
}

export function positiveNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0)
    throw new InvalidArgumentError('must be a number above 0');
  return number;
}

export function nonNegativeNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0)
    throw new InvalidArgumentError('must be a number >= 0');
  return number;
}

// ---------------------------------------------------------------------------------------------------------
// The pool: `--pool P`, or as the first argument where a command has always taken it so.

/** Adds `--pool <pool>`; `required` marks it so in `--help`. */
export function addPoolOption(command: Command, description = "the pool's name (metadata.name)"): Command {
  return command.option('--pool <pool>', `${description} (required)`);
}

/** The pool from `--pool` or the positional argument; both given must agree. */
export function poolFrom(positional: string | undefined, option: string | undefined): string {
  if (positional !== undefined && option !== undefined && positional !== option)
    throw new UsageError(`the pool is given twice, as ${positional} and --pool ${option}`);
  const pool = option ?? positional;
  if (pool === undefined || pool.trim() === '') throw new UsageError('--pool is required');
  return pool;
}

// ---------------------------------------------------------------------------------------------------------
// The tables.

const TableOptionsSchema = z.object({
  tablePrefix: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  endpointUrl: z
    .string()
    .refine((value) => URL.canParse(value), {
      message: 'must be a URL, e.g. http://127.0.0.1:8000',
      abort: true,
    })
    .refine(isHttpsOrLoopbackUrl, 'must be https (http only for loopback)')
    .optional(),
});
export type TableOptions = z.infer<typeof TableOptionsSchema>;

/** Adds `--table-prefix`, `--region` and `--endpoint-url` to a command. */
export function addTableOptions(command: Command): Command {
  return command
    .option(
      '--table-prefix <prefix>',
      'tables are <prefix>Policies, <prefix>Activities, ... (default: POOL_AUTOSCALER_TABLE_PREFIX, else local-); POLICIES_TABLE, ACTIVITIES_TABLE, ... name tables one by one and win',
    )
    .option('--region <region>', 'AWS region of the tables (default: AWS_REGION)')
    .option(
      '--endpoint-url <url>',
      `DynamoDB endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local (default: ${ENV.dynamoDbEndpoint})`,
    );
}

/** Table names: the per-table variables the Lambdas use win over the prefix. */
export function tableNamesFrom(options: TableOptions, env: NodeJS.ProcessEnv = process.env): TableNames {
  const names = tableNamesWithPrefix(options.tablePrefix ?? env.POOL_AUTOSCALER_TABLE_PREFIX ?? 'local-');
  for (const key of TABLE_KEYS) {
    const fromEnv = env[TABLES[key].envVar];
    if (fromEnv) names[key] = fromEnv;
  }
  return names;
}

/** Clients of emulators on this machine need some AWS credentials; these never leave it. */
function localCredentials(endpoint: string | undefined, env: NodeJS.ProcessEnv) {
  const local =
    endpoint !== undefined && URL.canParse(endpoint) && isLoopbackHost(new URL(endpoint).hostname);
  return local && !env.AWS_ACCESS_KEY_ID
    ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
    : {};
}

export function awsRegion(options: { region?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/** The options of a client for an AWS endpoint that may be an emulator on loopback. */
export function awsClientOptions(
  region: string,
  endpoint: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
) {
  return { region, ...(endpoint ? { endpoint } : {}), ...localCredentials(endpoint, env), maxAttempts: 3 };
}

/** The store the commands read and write. */
export function storeFromOptions(raw: TableOptions, env: NodeJS.ProcessEnv = process.env): StoreContext {
  const options = parseOptions(TableOptionsSchema, pickTableOptions(raw));
  const endpoint = options.endpointUrl ?? env[ENV.dynamoDbEndpoint];
  const client = new DynamoDBClient(awsClientOptions(awsRegion(options, env), endpoint, env));
  return { doc: createDocumentClient(client), tables: tableNamesFrom(options, env) };
}

function pickTableOptions(options: TableOptions): TableOptions {
  return {
    ...(options.tablePrefix !== undefined ? { tablePrefix: options.tablePrefix } : {}),
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpointUrl !== undefined ? { endpointUrl: options.endpointUrl } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// ModelArts: `--endpoint` (env MODELARTS_ENDPOINT), `--project-id`, `--token`, `--timeout` in seconds.

export interface ModelArtsOptions {
  endpoint?: string;
  /** Hidden alias of `--endpoint` (the `evaluate` command's first spelling). */
  modelartsEndpoint?: string;
  projectId?: string;
  token?: string;
  timeout?: number;
  /** Hidden alias of `--timeout`, in milliseconds. */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_SECONDS = 10;

/**
 * Adds the ModelArts options. `endpointRequired`: the command needs an endpoint (else it may come from the
 * policy); it is marked so in `--help`, and MODELARTS_ENDPOINT satisfies it.
 */
export function addModelArtsOptions(
  command: Command,
  { endpointRequired }: { endpointRequired: boolean },
): Command {
  return command
    .addOption(
      new Option(
        '--endpoint <url>',
        endpointRequired
          ? 'ModelArts endpoint, e.g. https://modelarts.cn-north-4.myhuaweicloud.com (required)'
          : "ModelArts endpoint (default: the policy's endpoint)",
      ).env(ENV.modelArtsEndpoint),
    )
    .addOption(new Option('--modelarts-endpoint <url>', 'same as --endpoint').hideHelp())
    .option('--project-id <id>', `project id (default: ${CredentialEnv.projectId})`)
    .option(
      '--token <token>',
      `IAM token instead of AK/SK from ${CredentialEnv.ak}/${CredentialEnv.sk} (or ${CredentialEnv.token})`,
    )
    .addOption(
      new Option('--timeout <seconds>', 'timeout of each request attempt')
        .argParser(positiveNumber)
        .default(DEFAULT_TIMEOUT_SECONDS),
    )
    .addOption(
      new Option('--timeout-ms <ms>', 'same as --timeout, in milliseconds')
        .argParser(positiveNumber)
        .hideHelp(),
    );
}

/** The endpoint given by any spelling, else undefined. */
export function endpointOf(options: ModelArtsOptions): string | undefined {
  if (
    options.endpoint !== undefined &&
    options.modelartsEndpoint !== undefined &&
    options.endpoint !== options.modelartsEndpoint
  )
    throw new UsageError('give the endpoint once: --endpoint');
  const endpoint = options.modelartsEndpoint ?? options.endpoint;
  if (endpoint !== undefined && !isHttpsOrLoopbackUrl(endpoint))
    throw new UsageError(`--endpoint ${endpoint}: must be an https URL (http only for a loopback host)`);
  return endpoint;
}

export function timeoutMsOf(options: ModelArtsOptions): number {
  if (options.timeoutMs !== undefined) return options.timeoutMs;
  return (options.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
}

/** Credentials from `--token`, else from HUAWEICLOUD_SDK_AK/SK (or HUAWEICLOUD_SDK_TOKEN); never printed. */
export function credentialsOf(
  options: ModelArtsOptions,
  env: NodeJS.ProcessEnv = process.env,
): ModelArtsCredentials {
  return options.token ? new TokenCredentials(options.token) : credentialsFromEnv(env).credentials;
}

/** A client for the commands that talk to ModelArts directly (`pool ...`). */
export function modelArtsClient(
  options: ModelArtsOptions,
  env: NodeJS.ProcessEnv = process.env,
): ModelArtsClient {
  const endpoint = endpointOf(options);
  if (endpoint === undefined)
    throw new UsageError(`--endpoint is required (or set ${ENV.modelArtsEndpoint})`);
  const credentials = credentialsOf(options, env);
  const projectId = options.projectId ?? env[CredentialEnv.projectId];
  if (!projectId) throw new UsageError(`--project-id is required (or set ${CredentialEnv.projectId})`);
  return new ModelArtsClient({ endpoint, projectId, credentials, timeoutMs: timeoutMsOf(options) });
}
