import Table from 'cli-table3';
import { type Command, Option } from 'commander';
import pc from 'picocolors';
import {
  acceleratorsOf,
  NodeAnnotationKeys,
  WorkloadStatusSchema,
  WorkloadTypeSchema,
  type ListPoolsQuery,
  type ListPoolWorkloadsQuery,
  type Node,
  type Pool,
  type PoolNodeAz,
  type PoolResourceFlavorCount,
  type Workload,
} from '../../functions/shared/modelarts';
import { run } from './errors';
import {
  type ModelArtsOptions,
  addModelArtsOptions,
  addPoolOption,
  modelArtsClient,
  poolFrom,
} from './options';
import {
  type Column,
  type OutputOptions,
  addOutputOptions,
  outputMode,
  printRecords,
  renderTable,
  write,
} from './output';

type ConnectionOptions = ModelArtsOptions & OutputOptions;

/** A client from the command's options: credentials from `--token` or the environment, never printed. */
export const clientFromOptions = modelArtsClient;

const NODE_STATES = ['available', 'creating', 'abnormal', 'deleting'] as const;
type NodeState = (typeof NODE_STATES)[number];

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

interface FlavorRow {
  pool: Pool;
  flavor: string;
}

/** One row per flavor: target from `spec`, what exists from `status`. */
const FLAVOR_COLUMNS: readonly Column<FlavorRow>[] = [
  { header: 'pool', value: (row) => row.pool.metadata.name },
  { header: 'flavor', value: (row) => row.flavor },
  { header: 'count', value: (row) => String(entryOf(row)?.count ?? '-') },
  { header: 'maxCount', value: (row) => String(entryOf(row)?.maxCount ?? '-') },
  { header: 'azs', value: (row) => formatAzs(entryOf(row)?.azs) },
  ...NODE_STATES.map((state) => ({
    header: state,
    value: (row: FlavorRow) => formatStateCell(stateCount(row.pool, state, row.flavor)),
  })),
];

function entryOf(row: FlavorRow) {
  return row.pool.spec.resources.find((resource) => resource.flavor === row.flavor);
}

function flavorRows(pool: Pool): FlavorRow[] {
  return flavorsOf(pool).map((flavor) => ({ pool, flavor }));
}

/** A summary of the pool, then one row per flavor. */
export function renderPool(pool: Pool): string {
  const summary = new Table({ style: { head: [], border: [] } });
  summary.push(
    { name: pool.metadata.name },
    { label: pool.metadata.labels?.['os.modelarts/name'] ?? '' },
    { type: pool.spec.type },
    { phase: colorPhase(pool.status.phase) },
    { created: pool.metadata.creationTimestamp ?? '' },
  );
  if (pool.status.message) summary.push({ message: pool.status.message });
  // The pool column is the summary's name already.
  return `${summary.toString()}\n${renderTable(FLAVOR_COLUMNS.slice(1), flavorRows(pool))}`;
}

function totalIn(pool: Pool, state: NodeState): number {
  return (pool.status.resources?.[state] ?? []).reduce((sum, entry) => sum + entry.count, 0);
}

const POOL_COLUMNS: readonly Column<Pool>[] = [
  { header: 'name', value: (pool) => pool.metadata.name },
  { header: 'label', value: (pool) => pool.metadata.labels?.['os.modelarts/name'] ?? '' },
  { header: 'type', value: (pool) => pool.spec.type },
  { header: 'phase', value: (pool) => pool.status.phase ?? '-', color: colorPhase },
  {
    header: 'flavors (count)',
    value: (pool) => pool.spec.resources.map((entry) => `${entry.flavor} (${entry.count})`).join('\n'),
  },
  { header: 'available', value: (pool) => String(totalIn(pool, 'available')) },
  { header: 'creating', value: (pool) => String(totalIn(pool, 'creating')) },
  { header: 'created', value: (pool) => pool.metadata.creationTimestamp ?? '' },
];

export function renderPoolList(pools: Pool[]): string {
  return pools.length === 0 ? 'No pools found' : renderTable(POOL_COLUMNS, pools);
}

function colorNodePhase(phase: string | undefined): string {
  if (phase === undefined || phase === '-') return pc.dim('-');
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

interface NodeRow {
  node: Node;
  workloads: string[];
}

const NODE_COLUMNS: readonly Column<NodeRow>[] = [
  { header: 'node', value: (row) => row.node.metadata.name },
  { header: 'flavor', value: (row) => row.node.spec.flavor ?? '' },
  { header: 'phase', value: (row) => row.node.status.phase ?? '-', color: colorNodePhase },
  { header: 'az', value: (row) => row.node.status.az ?? '' },
  { header: 'ip', value: (row) => row.node.status.privateIp ?? '' },
  { header: 'billing', value: (row) => billingOf(row.node) },
  { header: 'accelerators free/total', value: (row) => acceleratorCell(row.node) },
  { header: 'workloads', value: (row) => row.workloads.join('\n') },
];

function nodeRows(nodes: readonly Node[], workloads: readonly Workload[]): NodeRow[] {
  const onNode = workloadsByIp(workloads);
  return nodes.map((node) => ({ node, workloads: onNode.get(node.status.privateIp ?? '') ?? [] }));
}

/** One row per node: phase, AZ, IP, billing mode, free/total accelerators and the workloads running on it. */
export function renderNodes(nodes: readonly Node[], workloads: readonly Workload[]): string {
  return nodes.length === 0 ? 'No nodes found' : renderTable(NODE_COLUMNS, nodeRows(nodes, workloads));
}

function seconds(value: number | undefined): string {
  if (value === undefined) return '-';
  if (value < 120) return `${value}s`;
  if (value < 7200) return `${Math.floor(value / 60)}m`;
  return `${Math.floor(value / 3600)}h`;
}

const WORKLOAD_COLUMNS: readonly Column<Workload>[] = [
  { header: 'workload', value: (workload) => workload.name ?? workload.uid ?? '' },
  { header: 'job', value: (workload) => workload.jobName ?? '' },
  { header: 'type', value: (workload) => workload.type ?? '' },
  { header: 'flavor', value: (workload) => workload.flavor ?? '' },
  { header: 'status', value: (workload) => workload.status ?? '' },
  { header: 'accelerators', value: (workload) => String(acceleratorsOf(workload.resourceRequirement)) },
  {
    header: 'queue',
    value: (workload) => (workload.pendingPosition === undefined ? '' : String(workload.pendingPosition)),
  },
  { header: 'waited', value: (workload) => seconds(workload.pendingDuration) },
  { header: 'ran', value: (workload) => seconds(workload.runningDuration) },
  { header: 'nodes', value: (workload) => (workload.hostIps ?? '').split(',').join('\n') },
];

/** One row per workload: its job, type, flavor, status, accelerators, queue place, waits and nodes. */
export function renderWorkloads(workloads: readonly Workload[]): string {
  return workloads.length === 0 ? 'No workloads found' : renderTable(WORKLOAD_COLUMNS, workloads);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function withConnectionOptions(command: Command): Command {
  return addOutputOptions(addModelArtsOptions(command, { endpointRequired: true }));
}

/** JSON is the API's own response; TSV a header and rows; a table the rendering. */
function print<Row>(
  options: OutputOptions,
  response: unknown,
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  table: () => string,
  empty: string,
): void {
  const mode = outputMode(options);
  if (mode === 'json') write(JSON.stringify(response, null, 2));
  else if (mode === 'table') write(table());
  else printRecords(mode, { columns, rows, json: (row) => row, empty });
}

const CONNECTION_HELP = `
The endpoint is --endpoint or MODELARTS_ENDPOINT; the project --project-id or HUAWEICLOUD_SDK_PROJECT_ID;
credentials HUAWEICLOUD_SDK_AK/SK, HUAWEICLOUD_SDK_TOKEN or --token. -o json prints the API's response.`;

export function registerPoolCommand(program: Command): void {
  const pool = program
    .command('pool')
    .description('Read ModelArts resource pools (credentials from HUAWEICLOUD_SDK_AK/SK or --token)');

  addPoolOption(
    withConnectionOptions(
      pool
        .command('show')
        .description(
          'Show one pool: target count per flavor and nodes available, creating, abnormal, deleting',
        )
        .argument('[pool]', 'pool name (or --pool)'),
    ),
    'pool name (metadata.name, e.g. pool-ae01-<project id>)',
  )
    .addHelpText(
      'after',
      `${CONNECTION_HELP}\n\nExamples:\n  $ pool-autoscaler pool show --pool pool-ae01-<project id>\n  $ pool-autoscaler pool show --pool P -o json | jq .status`,
    )
    .action(
      async (
        positional: string | undefined,
        options: ConnectionOptions & { pool?: string },
        command: Command,
      ) =>
        run(command, async () => {
          const name = poolFrom(positional, options.pool);
          const result = await clientFromOptions(options).showPool(name);
          print(
            options,
            result,
            flavorRows(result),
            FLAVOR_COLUMNS,
            () => renderPool(result),
            'No flavors found',
          );
        }),
    );

  withConnectionOptions(
    pool
      .command('list')
      .description('List the pools of a project')
      .option('--label-selector <selector>', 'filter by label, e.g. os.modelarts/name=pool-ae01')
      .option('--workspace-id <id>', 'workspace id')
      .addOption(
        new Option('--status <status>', 'creation status').choices(['created', 'failed', 'creating']),
      ),
  )
    .addHelpText(
      'after',
      `${CONNECTION_HELP}\n\nExamples:\n  $ pool-autoscaler pool list --label-selector os.modelarts/name=pool-ae01`,
    )
    .action(
      async (
        options: ConnectionOptions & {
          labelSelector?: string;
          workspaceId?: string;
          status?: ListPoolsQuery['status'];
        },
        command: Command,
      ) =>
        run(command, async () => {
          const query: ListPoolsQuery = {};
          if (options.labelSelector) query.labelSelector = options.labelSelector;
          if (options.workspaceId) query.workspaceId = options.workspaceId;
          if (options.status) query.status = options.status;
          const result = await clientFromOptions(options).listPools(query);
          print(
            options,
            result,
            result.items,
            POOL_COLUMNS,
            () => renderPoolList(result.items),
            'No pools found',
          );
        }),
    );

  addPoolOption(
    withConnectionOptions(
      pool
        .command('nodes')
        .description(
          'List the nodes of a pool: phase, AZ, billing mode, free/total accelerators, workloads on each',
        )
        .argument('[pool]', 'pool name (or --pool)'),
    ),
  )
    .addHelpText('after', CONNECTION_HELP)
    .action(
      async (
        positional: string | undefined,
        options: ConnectionOptions & { pool?: string },
        command: Command,
      ) =>
        run(command, async () => {
          const name = poolFrom(positional, options.pool);
          const client = clientFromOptions(options);
          const nodes = await client.listPoolNodes(name);
          if (outputMode(options) === 'json') {
            write(JSON.stringify(nodes, null, 2));
            return;
          }
          const running = await client.listPoolWorkloads(name, { status: 'Running' });
          const rows = nodeRows(nodes.items, running.items);
          print(
            options,
            nodes,
            rows,
            NODE_COLUMNS,
            () => renderNodes(nodes.items, running.items),
            'No nodes found',
          );
        }),
    );

  addPoolOption(
    withConnectionOptions(
      pool
        .command('workloads')
        .description(
          "List a pool's workloads (its job queue): queued and running jobs, their accelerators and nodes",
        )
        .argument('[pool]', 'pool name (or --pool)')
        .addOption(
          new Option('--status <status>', 'only workloads in this state').choices(
            WorkloadStatusSchema.options,
          ),
        )
        .addOption(
          new Option('--type <type>', 'only workloads of this type').choices(WorkloadTypeSchema.options),
        )
        .option('--hostip <ip>', 'only workloads running on this node IP (repeatable)', collect, []),
    ),
  )
    .addHelpText('after', CONNECTION_HELP)
    .action(
      async (
        positional: string | undefined,
        options: ConnectionOptions & {
          pool?: string;
          status?: ListPoolWorkloadsQuery['status'];
          type?: ListPoolWorkloadsQuery['type'];
          hostip: string[];
        },
        command: Command,
      ) =>
        run(command, async () => {
          const name = poolFrom(positional, options.pool);
          const query: ListPoolWorkloadsQuery = { sort: 'create_time', ascend: true };
          if (options.status) query.status = options.status;
          if (options.type) query.type = options.type;
          if (options.hostip.length > 0) query.hostip = options.hostip;
          const result = await clientFromOptions(options).listPoolWorkloads(name, query);
          print(
            options,
            result,
            result.items,
            WORKLOAD_COLUMNS,
            () => renderWorkloads(result.items),
            'No workloads found',
          );
        }),
    );
}
