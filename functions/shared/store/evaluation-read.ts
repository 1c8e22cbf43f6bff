import { type PoolDepth, depthFromItem } from './depth-repository';
import { type StoreContext, batchGetAll } from './document-client';
import { type StoredPolicy, storedPolicyFromItem } from './policy-repository';

export interface EvaluationInputs {
  policy: StoredPolicy | undefined;
  depth: PoolDepth;
}

/**
 * Policy and depth of one pool in a single BatchGetItem (strongly consistent). The scaler state needs no
 * read: taking the lease returns it.
 */
export async function readEvaluationInputs(
  store: StoreContext,
  pool: string,
  sleep: (ms: number) => Promise<void>,
): Promise<EvaluationInputs> {
  const found = await batchGetAll(
    store,
    {
      [store.tables.policies]: { Keys: [{ pool }], ConsistentRead: true },
      [store.tables.depth]: { Keys: [{ pool }], ConsistentRead: true },
    },
    sleep,
  );
  const policyItem = found[store.tables.policies]?.[0];
  return {
    policy: policyItem ? storedPolicyFromItem(policyItem) : undefined,
    depth: depthFromItem(found[store.tables.depth]?.[0]),
  };
}
