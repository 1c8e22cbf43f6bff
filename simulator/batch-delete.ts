import { BatchDeletePoolNodesRequestSchema } from '../functions/shared/modelarts/schemas';
import { badRequest } from './errors';
import { isJsonObject, type JsonObject } from './merge-patch';
import type { NodeState } from './node-lifecycle';
import { parseRequest, resourceEntryKey } from './validation';

/** A node of the pool as batch-delete sees it. */
export interface DeletableNode {
  name: string;
  entryKey: string;
  az: string;
  state: Exclude<NodeState, 'gone'>;
  billingMode: '0' | '1';
}

export interface BatchDeletePlan {
  /** Nodes to remove now; nodes already deleting are left out (accepted again without effect). */
  victims: string[];
  /** `spec.resources` with each owning entry's `count` (and `maxCount`, and the AZ's `azs[].count`) lowered. */
  resources: JsonObject[];
}

/**
 * Checks a batch-delete body against the pool's nodes and works out its effect. Refused with 400, naming
 * the problem: a body without node names, a repeated or unknown name, a yearly/monthly node (unsubscribed
 * through billing instead), or a deletion that would leave the pool, or one of its flavor entries, without
 * a node. Lowering the counts is an inference: without it the pool would grow the nodes back.
 */
export function planBatchDelete(
  body: unknown,
  nodes: readonly DeletableNode[],
  resources: readonly JsonObject[],
  poolType: 'Dedicate' | 'Logical',
): BatchDeletePlan {
  const names = parseRequest(BatchDeletePoolNodesRequestSchema, body).deleteNodeNames;
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const unknown = names.filter((name) => !byName.has(name));
  if (unknown.length > 0) throw badRequest(`node ${unknown.join(', ')} not found in the pool`);
  const chosen = names.map((name) => byName.get(name) as DeletableNode);
  const prepaid = chosen.filter((node) => node.billingMode === '1');
  if (prepaid.length > 0) {
    throw badRequest(
      `node ${prepaid.map((node) => node.name).join(', ')} is billed yearly/monthly; unsubscribe it instead`,
    );
  }
  const victims = chosen.filter((node) => node.state !== 'deleting');
  const leaving = new Set(victims.map((node) => node.name));
  const staying = nodes.filter((node) => node.state !== 'deleting' && !leaving.has(node.name));
  if (victims.length > 0 && staying.length === 0) throw badRequest('at least one node must stay in the pool');

  const lowered = resources.map((entry) => structuredClone(entry));
  for (const entry of lowered) {
    const key = resourceEntryKey({
      flavor: typeof entry.flavor === 'string' ? entry.flavor : '',
      nodePool: entry.nodePool,
    });
    const removed = victims.filter((node) => node.entryKey === key);
    if (removed.length === 0) continue;
    const count = typeof entry.count === 'number' ? entry.count : 0;
    if (count - removed.length < 1 || !staying.some((node) => node.entryKey === key)) {
      throw badRequest(`flavor ${String(entry.flavor)} would be left without a node; keep at least one`);
    }
    entry.count = count - removed.length;
    if (poolType === 'Dedicate' && typeof entry.maxCount === 'number') entry.maxCount = entry.count;
    if (Array.isArray(entry.azs)) {
      for (const az of entry.azs) {
        if (!isJsonObject(az) || typeof az.count !== 'number') continue;
        az.count -= removed.filter((node) => node.az === az.az).length;
      }
    }
  }
  return { victims: victims.map((node) => node.name), resources: lowered };
}
