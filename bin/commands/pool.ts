import Table from 'cli-table3';
import { Command, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import {
  acceleratorsOf,
  ModelArtsClient,
  NodeAnnotationKeys,
  TokenCredentials,
  WorkloadStatusSchema,
  WorkloadTypeSchema,
  credentialsFromEnv,
  type ListPoolsQuery,
  type ListPoolWorkloadsQuery,
  type Node,
  type Pool,
  type PoolNodeAz,
  type PoolResourceFlavorCount,
  type Workload,
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

function colorNodePhase(phase: string | undefined): string {
  if (phase === undefined) return pc.dim('-');
  if (phase === 'Available') return pc.green(phase);
  if (phase === 'Creating' || phase === 'Checking' || phase === 'Deleting') return pc.yellow(phase);
  return pc.red(phase);
}

/** `os.modelarts/billing.mode` `"1"` is yearly/monthly; absent or `"0"` pay-per-use. */
export function billingOf(node: Node): string {
  return node.metadata.annotations?.[NodeAnnotationKeys.billingMode] === '1'
    ? 'yearly/monthly'
    : 'pay-per-use';
}

/** Free over total accelerators, whatever their key; `-` for a node without any. */
function acceleratorCell(node: Node): string {
  const total = acceleratorsOf(node.status.resources);
  if (total === 0) return '-';
  return `${acceleratorsOf(node.status.availableResources)}/${total}`;
}

/** Running workloads per node IP, from their `hostIps`. */
function workloadsByIp(workloads: readonly Workload[]): Map<string, string[]> {
  const byIp = new Map<string, string[]>();
  for (const workload of workloads) {
    if (workload.status !== 'Running') continue;
    for (const ip of (workload.hostIps ?? '').split(',').filter((text) => text !== '')) {
      byIp.set(ip, [...(byIp.get(ip) ?? []), workload.name ?? workload.uid ?? '?']);
    }
  }
  return byIp;
}

/** One row per node: phase, AZ, IP, billing mode, free/total accelerators and the workloads running on it. */
export function renderNodes(nodes: readonly Node[], workloads: readonly Workload[]): string {
  if (nodes.length === 0) return 'no nodes';
  const onNode = workloadsByIp(workloads);
  const table = new Table({
    head: ['node', 'flavor', 'phase', 'az', 'ip', 'billing', 'accelerators free/total', 'workloads'],
    style: PLAIN_STYLE,
  });
  for (const node of nodes) {
    const ip = node.status.privateIp ?? '';
    table.push([
      node.metadata.name,
      node.spec.flavor ?? '',
      colorNodePhase(node.status.phase),
      node.status.az ?? '',
      ip,
      billingOf(node),
      acceleratorCell(node),
      (onNode.get(ip) ?? []).join('\n'),
    ]);
  }
  return table.toString();
}

function seconds(value: number | undefined): string {
  if (value === undefined) return '-';
  if (value < 120) return `${value}s`;
  if (value < 7200) return `${Math.floor(value / 60)}m`;
  return `${Math.floor(value / 3600)}h`;
}

/** One row per workload: its job, type, flavor, status, accelerators, queue place, waits and nodes. */
export function renderWorkloads(workloads: readonly Workload[]): string {
  if (workloads.length === 0) return 'no workloads';
  const table = new Table({
    head: ['workload', 'job', 'type', 'flavor', 'status', 'accelerators', 'queue', 'waited', 'ran', 'nodes'],
    style: PLAIN_STYLE,
  });
  for (const workload of workloads) {
    table.push([
      workload.name ?? workload.uid ?? '',
      workload.jobName ?? '',
      workload.type ?? '',
      workload.flavor ?? '',
      workload.status ?? '',
      String(acceleratorsOf(workload.resourceRequirement)),
      workload.pendingPosition === undefined ? '' : String(workload.pendingPosition),
      seconds(workload.pendingDuration),
      seconds(workload.runningDuration),
      (workload.hostIps ?? '').split(',').join('\n'),
    ]);
  }
  return table.toString();
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
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

  withConnectionOptions(
    pool
      .command('nodes')
      .description(
        'List the nodes of a pool: phase, AZ, billing mode, free/total accelerators, workloads on each',
      )
      .requiredOption('--pool <name>', 'pool name (metadata.name)'),
  ).action(async (options: ConnectionOptions & { pool: string }) => {
    const client = clientFromOptions(options);
    const nodes = await client.listPoolNodes(options.pool);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(nodes, null, 2)}\n`);
      return;
    }
    const running = await client.listPoolWorkloads(options.pool, { status: 'Running' });
    process.stdout.write(`${renderNodes(nodes.items, running.items)}\n`);
  });

  withConnectionOptions(
    pool
      .command('workloads')
      .description(
        "List a pool's workloads (its job queue): queued and running jobs, their accelerators and nodes",
      )
      .requiredOption('--pool <name>', 'pool name (metadata.name)')
      .addOption(
        new Option('--status <status>', 'only workloads in this state').choices(WorkloadStatusSchema.options),
      )
      .addOption(
        new Option('--type <type>', 'only workloads of this type').choices(WorkloadTypeSchema.options),
      )
      .option('--hostip <ip>', 'only workloads running on this node IP (repeatable)', collect, []),
  ).action(
    async (
      options: ConnectionOptions & {
        pool: string;
        status?: ListPoolWorkloadsQuery['status'];
        type?: ListPoolWorkloadsQuery['type'];
        hostip: string[];
      },
    ) => {
      const query: ListPoolWorkloadsQuery = { sort: 'create_time', ascend: true };
      if (options.status) query.status = options.status;
      if (options.type) query.type = options.type;
      if (options.hostip.length > 0) query.hostip = options.hostip;
      const result = await clientFromOptions(options).listPoolWorkloads(options.pool, query);
      process.stdout.write(
        `${options.json ? JSON.stringify(result, null, 2) : renderWorkloads(result.items)}\n`,
      );
    },
  );
}
