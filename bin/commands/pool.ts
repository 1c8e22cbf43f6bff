import Table from 'cli-table3';
import { Command, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import {
  ModelArtsClient,
  TokenCredentials,
  credentialsFromEnv,
  type ListPoolsQuery,
  type Pool,
  type PoolNodeAz,
  type PoolResourceFlavorCount,
} from '../../functions/shared/modelarts';

interface ConnectionOptions {
  endpoint: string;
  projectId?: string;
  token?: string;
  timeoutMs: number;
  json: boolean;
}

const NODE_STATES = ['available', 'creating', 'abnormal', 'deleting'] as const;
type NodeState = (typeof NODE_STATES)[number];

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError('must be a positive integer');
  return number;
}

/** Credentials from `--token`, else from HUAWEICLOUD_SDK_AK/SK (or HUAWEICLOUD_SDK_TOKEN); never printed. */
export function clientFromOptions(
  options: ConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): ModelArtsClient {
  const credentials = options.token
    ? new TokenCredentials(options.token)
    : credentialsFromEnv(env).credentials;
  const projectId = options.projectId ?? env.HUAWEICLOUD_SDK_PROJECT_ID;
  if (!projectId)
    throw new InvalidArgumentError('--project-id is required (or set HUAWEICLOUD_SDK_PROJECT_ID)');
  return new ModelArtsClient({
    endpoint: options.endpoint,
    projectId,
    credentials,
    timeoutMs: options.timeoutMs,
  });
}

function formatAzs(azs: PoolNodeAz[] | undefined): string {
  if (!azs || azs.length === 0) return '';
  return azs.map((entry) => `${entry.az}:${entry.count}`).join(' ');
}

/** Nodes of one flavor in one state, summed over the entries of that state, with the per-AZ split. */
function stateCount(
  pool: Pool,
  state: NodeState,
  flavor: string,
): { count: number; azs: Map<string, number> } {
  const entries: PoolResourceFlavorCount[] = pool.status.resources?.[state] ?? [];
  const azs = new Map<string, number>();
  let count = 0;
  for (const entry of entries) {
    if (entry.flavor !== flavor) continue;
    count += entry.count;
    for (const az of entry.azs ?? []) azs.set(az.az, (azs.get(az.az) ?? 0) + az.count);
  }
  return { count, azs };
}

function formatStateCell(value: { count: number; azs: Map<string, number> }): string {
  if (value.count === 0) return '0';
  const split = [...value.azs].map(([az, count]) => `${az}:${count}`).join(' ');
  return split ? `${value.count} (${split})` : String(value.count);
}

function colorPhase(phase: string | undefined): string {
  if (phase === undefined) return pc.dim('-');
  if (phase === 'Running') return pc.green(phase);
  if (phase === 'Creating' || phase === 'Deleting' || phase === 'Waiting') return pc.yellow(phase);
  return pc.red(phase);
}

function flavorsOf(pool: Pool): string[] {
  const flavors = new Set(pool.spec.resources.map((entry) => entry.flavor));
  for (const state of NODE_STATES)
    for (const entry of pool.status.resources?.[state] ?? []) flavors.add(entry.flavor);
  return [...flavors];
}

const PLAIN_STYLE = { head: [], border: [] };

/** A summary of the pool, then one row per flavor: target from `spec`, what exists from `status`. */
export function renderPool(pool: Pool): string {
  const summary = new Table({ style: PLAIN_STYLE });
  summary.push(
    { name: pool.metadata.name },
    { label: pool.metadata.labels?.['os.modelarts/name'] ?? '' },
    { type: pool.spec.type },
    { phase: colorPhase(pool.status.phase) },
    { created: pool.metadata.creationTimestamp ?? '' },
  );
  if (pool.status.message) summary.push({ message: pool.status.message });

  const flavors = new Table({
    head: ['flavor', 'count', 'maxCount', 'azs', ...NODE_STATES],
    style: PLAIN_STYLE,
  });
  for (const flavor of flavorsOf(pool)) {
    const entry = pool.spec.resources.find((resource) => resource.flavor === flavor);
    flavors.push([
      flavor,
      entry ? String(entry.count) : '-',
      entry?.maxCount !== undefined ? String(entry.maxCount) : '-',
      formatAzs(entry?.azs),
      ...NODE_STATES.map((state) => formatStateCell(stateCount(pool, state, flavor))),
    ]);
  }
  return `${summary.toString()}\n${flavors.toString()}`;
}

export function renderPoolList(pools: Pool[]): string {
  if (pools.length === 0) return 'no pools';
  const table = new Table({
    head: ['name', 'label', 'type', 'phase', 'flavors (count)', 'available', 'creating', 'created'],
    style: PLAIN_STYLE,
  });
  for (const pool of pools) {
    const total = (state: NodeState): number =>
      (pool.status.resources?.[state] ?? []).reduce((sum, entry) => sum + entry.count, 0);
    table.push([
      pool.metadata.name,
      pool.metadata.labels?.['os.modelarts/name'] ?? '',
      pool.spec.type,
      colorPhase(pool.status.phase),
      pool.spec.resources.map((entry) => `${entry.flavor} (${entry.count})`).join('\n'),
      String(total('available')),
      String(total('creating')),
      pool.metadata.creationTimestamp ?? '',
    ]);
  }
  return table.toString();
}

function withConnectionOptions(command: Command): Command {
  return command
    .requiredOption(
      '--endpoint <url>',
      'ModelArts endpoint, e.g. https://modelarts.cn-north-4.myhuaweicloud.com',
    )
    .option('--project-id <id>', 'project id (default: HUAWEICLOUD_SDK_PROJECT_ID)')
    .option('--token <token>', 'IAM token instead of AK/SK from HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK')
    .option('--timeout-ms <ms>', 'timeout per attempt', positiveInteger, 10_000)
    .option('--json', 'print the API response as JSON', false);
}

export function registerPoolCommand(program: Command): void {
  const pool = program
    .command('pool')
    .description('Read ModelArts resource pools (credentials from HUAWEICLOUD_SDK_AK/SK or --token)');

  withConnectionOptions(
    pool
      .command('show')
      .description('Show one pool: target count per flavor and nodes available, creating, abnormal, deleting')
      .requiredOption('--pool <name>', 'pool name (metadata.name, e.g. pool-ae01-<project id>)'),
  ).action(async (options: ConnectionOptions & { pool: string }) => {
    const result = await clientFromOptions(options).showPool(options.pool);
    process.stdout.write(`${options.json ? JSON.stringify(result, null, 2) : renderPool(result)}\n`);
  });

  withConnectionOptions(
    pool
      .command('list')
      .description('List the pools of a project')
      .option('--label-selector <selector>', 'filter by label, e.g. os.modelarts/name=pool-ae01')
      .option('--workspace-id <id>', 'workspace id')
      .addOption(
        new Option('--status <status>', 'creation status').choices(['created', 'failed', 'creating']),
      ),
  ).action(
    async (
      options: ConnectionOptions & {
        labelSelector?: string;
        workspaceId?: string;
        status?: ListPoolsQuery['status'];
      },
    ) => {
      const query: ListPoolsQuery = {};
      if (options.labelSelector) query.labelSelector = options.labelSelector;
      if (options.workspaceId) query.workspaceId = options.workspaceId;
      if (options.status) query.status = options.status;
      const result = await clientFromOptions(options).listPools(query);
      process.stdout.write(
        `${options.json ? JSON.stringify(result, null, 2) : renderPoolList(result.items)}\n`,
      );
    },
  );
}
