import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import Table from 'cli-table3';
import { type Command, InvalidArgumentError } from 'commander';
import pc from 'picocolors';
import { z } from 'zod';
import { ConfigError, ENV } from '../../functions/shared/config';
import type { EndpointAllowlist } from '../../functions/shared/endpoint-allowlist';
import { isHttpsOrLoopbackUrl } from '../../functions/shared/endpoint-url';
import { PolicyValidationError, parsePolicy } from '../../functions/shared/engine';
import { type StoreContext, createDocumentClient } from '../../functions/shared/store/document-client';
import {
  POLICY_BOOKKEEPING_ATTRIBUTES,
  PolicyNotFoundError,
  PolicyRepository,
  PolicyVersionConflictError,
  type StoredPolicy,
} from '../../functions/shared/store/policy-repository';
import {
  TABLES,
  TABLE_KEYS,
  type TableNames,
  tableNamesWithPrefix,
} from '../../functions/shared/store/tables';
import {
  type EndpointAllowlistOptions,
  allowLoopbackOption,
  endpointAllowlistFrom,
  endpointHostsOption,
} from './endpoint-options';

/** Exit codes of the operator commands, documented in the README. */
export const EXIT = { ok: 0, failed: 1, conflict: 3, notFound: 4 } as const;

/** Reports an error on stderr and sets the exit code, so scripts can tell the cases apart. */
export function fail(message: string, code: number = EXIT.failed): void {
  process.stderr.write(`${process.stderr.isTTY ? pc.red('error') : 'error'}: ${message}\n`);
  process.exitCode = code;
}

/** Colors and tables only when a person is reading. */
export function isTerminal(): boolean {
  return process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
}

const TableOptionsSchema = z.object({
  tablePrefix: z.string().min(1, '--table-prefix must not be empty').optional(),
  region: z.string().min(1, '--region must not be empty').optional(),
  endpointUrl: z
    .url({ error: '--endpoint-url must be a URL, e.g. http://127.0.0.1:8000' })
    .refine(isHttpsOrLoopbackUrl, { message: '--endpoint-url must be https (http only for loopback)' })
    .optional(),
});
export type TableOptions = z.infer<typeof TableOptionsSchema>;

/** Adds `--table-prefix`, `--region` and `--endpoint-url` to a command. */
export function addTableOptions(command: Command): Command {
  return command
    .option(
      '--table-prefix <prefix>',
      'physical table names are <prefix>Policies, <prefix>Activities, ... (default: POOL_AUTOSCALER_TABLE_PREFIX, else local-); the variables POLICIES_TABLE, ACTIVITIES_TABLE, ... name tables one by one',
    )
    .option('--region <region>', 'AWS region of the tables (default: AWS_REGION)')
    .option('--endpoint-url <url>', 'DynamoDB endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local');
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

function isLoopback(url: string): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
}

/** The store the commands read and write; DynamoDB Local needs no real credentials. */
export function storeFromOptions(raw: unknown, env: NodeJS.ProcessEnv = process.env): StoreContext {
  const parsed = TableOptionsSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? 'invalid options');
  const options = parsed.data;
  const endpoint = options.endpointUrl ?? env[ENV.dynamoDbEndpoint];
  const local = endpoint !== undefined && isLoopback(endpoint);
  const client = new DynamoDBClient({
    region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    ...(local && !env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: 3,
  });
  return { doc: createDocumentClient(client), tables: tableNamesFrom(options, env) };
}

/** Reads a policy file; a `version` in it (as `policy get` prints) becomes the expected version. */
export async function readPolicyFile(
  file: string,
  endpointAllowlist: EndpointAllowlist,
): Promise<{ document: Record<string, unknown> & { pool: string }; version: number | undefined }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new PolicyFileError(`${file}: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new PolicyFileError(`${file}: a policy is a JSON object`);
  }
  const { version, ...rest } = json as Record<string, unknown>;
  const document = Object.fromEntries(
    Object.entries(rest).filter(
      ([key]) => !(POLICY_BOOKKEEPING_ATTRIBUTES as readonly string[]).includes(key),
    ),
  );
  parsePolicy(document, { endpointAllowlist });
  return {
    document: document as Record<string, unknown> & { pool: string },
    version: typeof version === 'number' ? version : undefined,
  };
}

export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
}

function expectedVersion(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError('must be an integer >= 0');
  return number;
}

function printPolicy(policy: StoredPolicy): void {
  const item = { ...policy.document, version: policy.version, updatedAt: policy.updatedAt };
  process.stdout.write(`${JSON.stringify(item, null, 2)}\n`);
}

function flavorSummary(document: Record<string, unknown>): string {
  const flavors = document.flavors;
  if (typeof flavors !== 'object' || flavors === null) return '';
  return Object.entries(flavors as Record<string, { minCount?: unknown; maxCount?: unknown }>)
    .map(([flavor, rules]) => `${flavor} ${String(rules.minCount ?? '?')}..${String(rules.maxCount ?? '?')}`)
    .join(', ');
}

function printList(policies: readonly StoredPolicy[], json: boolean): void {
  if (json) {
    for (const policy of policies) {
      process.stdout.write(
        `${JSON.stringify({ ...policy.document, version: policy.version, updatedAt: policy.updatedAt })}\n`,
      );
    }
    return;
  }
  const rows = policies.map((policy) => {
    const enabled = policy.document.enabled !== false;
    const dryRun = policy.document.dryRun === true;
    return [
      policy.pool,
      enabled ? 'enabled' : 'paused',
      dryRun ? 'dry run' : 'live',
      flavorSummary(policy.document),
      String(policy.version),
      new Date(policy.updatedAt).toISOString(),
    ];
  });
  const head = ['pool', 'state', 'mode', 'flavors (min..max)', 'version', 'updated'];
  if (!isTerminal()) {
    process.stdout.write(`${[head, ...rows].map((row) => row.join('\t')).join('\n')}\n`);
    return;
  }
  const table = new Table({ head: head.map((cell) => pc.bold(cell)) });
  for (const row of rows) {
    table.push(
      row.map((cell, index) =>
        index === 1 ? (cell === 'enabled' ? pc.green(cell) : pc.yellow(cell)) : cell,
      ),
    );
  }
  process.stdout.write(`${table.toString()}\n`);
  if (rows.length === 0) process.stdout.write(`${pc.dim('no policies')}\n`);
}

/** Runs a command body, turning the known failures into messages and exit codes. */
export async function withExitCodes(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof PolicyValidationError)
      fail(`invalid policy: ${error.field}: ${error.issues[0]?.message ?? error.message}`);
    else if (error instanceof PolicyVersionConflictError)
      fail(`${error.message}: someone changed it since; read it again with 'policy get'`, EXIT.conflict);
    else if (error instanceof PolicyNotFoundError) fail(error.message, EXIT.notFound);
    else if (
      error instanceof PolicyFileError ||
      error instanceof InvalidArgumentError ||
      error instanceof ConfigError
    )
      fail(error.message);
    else if (error instanceof Error && error.name === 'ResourceNotFoundException')
      fail(`table not found (${error.message}); check --table-prefix, --region and --endpoint-url`);
    else throw error;
  }
}

type PutOptions = TableOptions & EndpointAllowlistOptions & { expectedVersion?: number };

export function registerPolicyCommand(program: Command): void {
  const policy = program
    .command('policy')
    .description('Validate, write, read and pause the scaling policies (one per pool) in the policies table');

  policy
    .command('validate')
    .description('Check a policy file; exit 1 naming the first bad field')
    .argument('<file>', 'policy JSON (ARCHITECTURE 3.1)')
    .addOption(endpointHostsOption())
    .addOption(allowLoopbackOption())
    .action(async (file: string, options: EndpointAllowlistOptions) =>
      withExitCodes(async () => {
        const endpointAllowlist = endpointAllowlistFrom(options);
        const { document } = await readPolicyFile(file, endpointAllowlist);
        const parsed = parsePolicy(document, { endpointAllowlist });
        const flavors = Object.keys(parsed.flavors);
        process.stdout.write(
          `${isTerminal() ? pc.green('valid') : 'valid'}: pool ${parsed.pool}, ${flavors.length} flavor${flavors.length === 1 ? '' : 's'} (${flavors.join(', ')})\n`,
        );
      }),
    );

  addTableOptions(
    policy
      .command('put')
      .description(
        "Write a policy; refused (exit 3) if the stored version moved since the file's `version` or --expected-version",
      )
      .argument(
        '<file>',
        'policy JSON; a `version` field (as printed by `policy get`) is the expected version',
      )
      .option(
        '--expected-version <n>',
        'write only if the stored policy is at this version (0: must not exist)',
        expectedVersion,
      )
      .addOption(endpointHostsOption())
      .addOption(allowLoopbackOption()),
  ).action(async (file: string, options: PutOptions) =>
    withExitCodes(async () => {
      const { document, version } = await readPolicyFile(file, endpointAllowlistFrom(options));
      const store = storeFromOptions(pick(options));
      const expected = options.expectedVersion ?? version;
      const written = await new PolicyRepository(store).put(document, {
        now: Date.now(),
        ...(expected !== undefined ? { expectedVersion: expected } : {}),
      });
      process.stdout.write(`policy for pool ${document.pool} written at version ${written}\n`);
    }),
  );

  addTableOptions(
    policy
      .command('get')
      .description("Print a pool's policy as JSON, with its version")
      .argument('<pool>', 'pool name'),
  ).action(async (pool: string, options: TableOptions) =>
    withExitCodes(async () => {
      const stored = await new PolicyRepository(storeFromOptions(pick(options))).get(pool);
      if (!stored) throw new PolicyNotFoundError(pool);
      printPolicy(stored);
    }),
  );

  addTableOptions(
    policy
      .command('list')
      .description('List every policy: a table, or JSON lines with --json')
      .option('--json', 'one JSON object per line', false),
  ).action(async (options: TableOptions & { json: boolean }) =>
    withExitCodes(async () => {
      printList(await new PolicyRepository(storeFromOptions(pick(options))).list(), options.json);
    }),
  );

  addTableOptions(
    policy
      .command('delete')
      .description("Delete a pool's policy (the pool is no longer scaled)")
      .argument('<pool>', 'pool name'),
  ).action(async (pool: string, options: TableOptions) =>
    withExitCodes(async () => {
      const repository = new PolicyRepository(storeFromOptions(pick(options)));
      if (!(await repository.get(pool))) throw new PolicyNotFoundError(pool);
      await repository.delete(pool);
      process.stdout.write(`policy for pool ${pool} deleted\n`);
    }),
  );

  for (const [name, enabled] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    addTableOptions(
      policy
        .command(name)
        .description(
          enabled
            ? 'Resume scaling a pool (enabled: true)'
            : 'Stop scaling a pool, keeping its policy (enabled: false)',
        )
        .argument('<pool>', 'pool name'),
    ).action(async (pool: string, options: TableOptions) =>
      withExitCodes(async () => {
        const version = await new PolicyRepository(storeFromOptions(pick(options))).setEnabled(
          pool,
          enabled,
          Date.now(),
        );
        process.stdout.write(`pool ${pool} ${enabled ? 'resumed' : 'paused'} (version ${version})\n`);
      }),
    );
  }
}

/** The table options of a command's parsed options. */
export function pick(options: TableOptions): TableOptions {
  return {
    ...(options.tablePrefix !== undefined ? { tablePrefix: options.tablePrefix } : {}),
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpointUrl !== undefined ? { endpointUrl: options.endpointUrl } : {}),
  };
}
