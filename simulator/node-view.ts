import type { Node, NodeList } from '../functions/shared/modelarts/schemas';
import { PoolValidationError } from './errors';
import { quantities, type FlavorResources } from './flavor-resources';
import type { NodePhase, SimNode } from './node-lifecycle';

/** What a node's rendering needs to know of its pool and its flavor entry. */
export interface NodeContext {
  projectId: string;
  tenantDomainId: string;
  poolResourceId: string;
  /** `os.modelarts/flavor.resource.ids` of the pool, flavor → resource id. */
  flavorResourceIds: Record<string, string>;
  networkName: string;
  /** The node's flavor entry as stored (absent when the entry was removed while the node is deleting). */
  entry?: Record<string, unknown>;
  resources: FlavorResources;
  /** Units, CPU and memory lent to running workloads. */
  usage: { units: number; cpuMillicores: number; memoryMi: number };
}

/**
 * Node pool of an entry: its `nodePool` when set; otherwise one per flavor, named after it
 * (`default-vm-gpu-8v100`). The service's own naming of default node pools is not documented.
 */
export function nodePoolName(flavor: string, nodePool: string | undefined): string {
  return (
    nodePool ??
    `default-${flavor
      .replace(/^modelarts\./, '')
      .replace(/[^a-z0-9-]+/gi, '-')
      .toLowerCase()}`
  );
}

/** `GET .../nodes/{node_name}`: labels and annotations of the reference, resources from the flavor. */
export function renderNode(
  node: SimNode,
  phase: NodePhase,
  context: NodeContext,
  creationTimestamp: string,
): Node {
  const { resources, usage } = context;
  const nodePool = nodePoolName(node.flavor, node.nodePool);
  const spec: Node['spec'] = {
    flavor: node.flavor,
    hostNetwork: {
      vpc: `vpc-${context.networkName}`,
      subnet: `subnet-${context.networkName}`,
      securityGroups: [`sg-${context.networkName}`],
    },
  };
  for (const field of ['rootVolume', 'dataVolumes', 'extendParams'] as const) {
    const value = context.entry?.[field];
    if (value !== undefined) Object.assign(spec, { [field]: structuredClone(value) });
  }
  return {
    kind: 'Node',
    apiVersion: 'v2',
    metadata: {
      name: node.name,
      creationTimestamp,
      labels: {
        'os.modelarts.node/cluster': context.poolResourceId,
        'os.modelarts.node/nodepool': nodePool,
        'os.modelarts.node/nodepoolname': nodePool,
        'os.modelarts/resource.id': context.flavorResourceIds[node.flavor] ?? '',
        'os.modelarts/tenant.domain.id': context.tenantDomainId,
        'os.modelarts/tenant.project.id': context.projectId,
        'os.modelarts/billing.status': '0',
      },
      annotations: { 'os.modelarts/billing.mode': node.billingMode },
    },
    spec,
    status: {
      phase,
      az: node.az,
      privateIp: node.privateIp,
      resources: quantities(
        resources,
        {
          cpuMillicores: resources.cpuMillicores,
          memoryMi: resources.memoryMi,
          accelerators: resources.accelerators,
        },
        resources.nodeAcceleratorKey,
      ),
      availableResources: quantities(
        resources,
        {
          cpuMillicores: resources.cpuMillicores - usage.cpuMillicores,
          memoryMi: resources.memoryMi - usage.memoryMi,
          accelerators: resources.accelerators - usage.units,
        },
        resources.nodeAcceleratorKey,
      ),
    },
  };
}

/** A `continue` token: the position after the last node of a page, in listing order. */
function encodeToken(node: Node): string {
  return Buffer.from(JSON.stringify([node.metadata.creationTimestamp ?? '', node.metadata.name])).toString(
    'base64url',
  );
}

function decodeToken(token: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string'))
      return [value[0] as string, value[1] as string];
  } catch {
    // Falls through to the error below.
  }
  throw new PoolValidationError('continue', 'is not a token from a previous page');
}

/**
 * Pages a node list sorted by creation time then name: `limit` 1 to 500 (0 or absent: 500), `continue`
 * from the previous page's `metadata.continue`. A token names a position, not an index, so nodes that go
 * between two pages shift nothing. With `ignorePaging` every node comes in one page, as in regions that
 * ignore both parameters.
 */
export function pageNodes(sorted: readonly Node[], params: URLSearchParams, ignorePaging: boolean): NodeList {
  const list = (items: Node[], metadata: NodeList['metadata']): NodeList => ({
    apiVersion: 'v2',
    kind: 'NodeList',
    metadata,
    items,
  });
  if (ignorePaging) return list([...sorted], {});
  const limitText = params.get('limit');
  if (limitText !== null && !/^\d{1,3}$/.test(limitText))
    throw new PoolValidationError('limit', 'must be an integer from 0 to 500');
  const limit = limitText === null || Number(limitText) === 0 ? 500 : Number(limitText);
  if (limit > 500) throw new PoolValidationError('limit', 'must be an integer from 0 to 500');
  const token = params.get('continue');
  let start = 0;
  if (token !== null && token !== '') {
    const [created, name] = decodeToken(token);
    start = sorted.findIndex((node) => {
      const at = node.metadata.creationTimestamp ?? '';
      return at > created || (at === created && node.metadata.name > name);
    });
    if (start === -1) start = sorted.length;
  }
  const items = sorted.slice(start, start + limit);
  const remaining = sorted.length - start - items.length;
  const last = items.at(-1);
  return list(
    items,
    remaining > 0 && last ? { continue: encodeToken(last), remainingItemCount: remaining } : {},
  );
}

/** Listing order: creation time, then name. */
export function compareNodes(a: Node, b: Node): number {
  const at = (node: Node): string => node.metadata.creationTimestamp ?? '';
  if (at(a) !== at(b)) return at(a) < at(b) ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}
