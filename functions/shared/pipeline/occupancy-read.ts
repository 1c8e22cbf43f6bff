import type { NodeOccupancy, PendingJob, PoolOccupancy } from '../engine';
import { NodeAnnotationKeys, acceleratorsOf, type Node, type Workload } from '../modelarts';

/**
 * The pool's occupancy as the engine reads it, from the nodes listing and the running workloads (the hosts they
 * run on). A node whose occupancy cannot be told (no private IP, resources that do not parse, or no workload
 * listing at all) counts as busy, so it is never removed.
 */
export function occupancyFromListings(
  nodes: readonly Node[],
  running: readonly Workload[] | undefined,
  pending: Readonly<Record<string, readonly PendingJob[]>> | undefined,
): PoolOccupancy {
  const hosts = running === undefined ? undefined : busyHosts(running);
  return {
    nodes: nodes.map((node) => nodeOccupancy(node, hosts)),
    pending: pending ?? {},
    pendingKnown: pending !== undefined,
  };
}

/** IPs of the nodes the running workloads run on (`hostIps`, and each of `nodes[].hostIp`). */
function busyHosts(running: readonly Workload[]): Set<string> {
  const hosts = new Set<string>();
  for (const workload of running) {
    for (const ip of (workload.hostIps ?? '').split(',')) if (ip.trim() !== '') hosts.add(ip.trim());
    for (const placed of workload.nodes ?? []) if (placed.hostIp) hosts.add(placed.hostIp);
  }
  return hosts;
}

function nodeOccupancy(node: Node, busyIps: Set<string> | undefined): NodeOccupancy {
  const annotations = node.metadata.annotations ?? {};
  const created = Date.parse(node.metadata.creationTimestamp ?? '');
  const ip = node.status.privateIp;
  const accelerators = readAccelerators(node);
  const runsWorkload = ip !== undefined && busyIps !== undefined && busyIps.has(ip);
  // A node that is not available yet (or any more) runs nothing the listing does not show, with or without an
  // IP; an available one must show an IP and readable resources, and every accelerator free, to be idle.
  const available = node.status.phase === 'Available';
  const unknown = busyIps === undefined || (available && (ip === undefined || accelerators === undefined));
  const usesAccelerators = available && accelerators !== undefined && accelerators.free < accelerators.total;
  return {
    name: node.metadata.name,
    flavor: node.spec.flavor ?? '',
    az: node.status.az ?? '',
    phase: node.status.phase ?? '',
    prepaid: annotations[NodeAnnotationKeys.billingMode] === '1',
    locked: (annotations[NodeAnnotationKeys.lockAction] ?? '') !== '',
    labels: node.metadata.labels ?? {},
    acceleratorsTotal: accelerators?.total ?? 0,
    acceleratorsFree: accelerators?.free ?? 0,
    busy: unknown || runsWorkload || usesAccelerators,
    ...(Number.isFinite(created) ? { createdAt: created } : {}),
  };
}

/** Total and free accelerators, or undefined when the node's resources cannot be read. */
function readAccelerators(node: Node): { total: number; free: number } | undefined {
  try {
    const total = acceleratorsOf(node.status.resources);
    const free =
      node.status.availableResources === undefined ? 0 : acceleratorsOf(node.status.availableResources);
    return { total, free: Math.min(free, total) };
  } catch {
    return undefined;
  }
}
