import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { type PoolDepth, depthFromItem } from './depth-repository';
import type { StoreContext } from './document-client';
import { type StoredPolicy, storedPolicyFromItem } from './policy-repository';

export interface EvaluationInputs {
  policy: StoredPolicy | undefined;
  depth: PoolDepth;
}

/**
 * Policy and depth of one pool in a single BatchGetItem (strongly consistent). The scaler state needs no
 * read: taking the lease returns it. `sleep` waits between retries of unprocessed keys.
 */
export async function readEvaluationInputs(
  store: StoreContext,
  pool: string,
  sleep: (ms: number) => Promise<void>,
): Promise<EvaluationInputs> {
  let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> = {
    [store.tables.policies]: { Keys: [{ pool }], ConsistentRead: true },
    [store.tables.depth]: { Keys: [{ pool }], ConsistentRead: true },
  };
  const found: Record<string, Record<string, unknown> | undefined> = {};
  for (let attempt = 0; Object.keys(request).length > 0; attempt += 1) {
    if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
    const result = await store.doc.send(new BatchGetCommand({ RequestItems: request }));
    for (const [table, items] of Object.entries(result.Responses ?? {})) found[table] = items[0];
    request = {};
    for (const [table, keys] of Object.entries(result.UnprocessedKeys ?? {})) {
      if (keys.Keys && keys.Keys.length > 0) request[table] = { Keys: keys.Keys, ConsistentRead: true };
    }
  }
  const policyItem = found[store.tables.policies];
  return {
    policy: policyItem ? storedPolicyFromItem(policyItem) : undefined,
    depth: depthFromItem(found[store.tables.depth]),
  };
}
