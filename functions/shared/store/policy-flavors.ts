import { type StoreContext, batchGetAll } from './document-client';

/**
 * The flavor names each pool's policy lists, for the pools that have a policy. Read raw from the stored
 * document (no validation): the names are what job events and snapshots are checked against, so a policy
 * with an error elsewhere still keeps its pool's depth exact until it is fixed.
 */
export async function policyFlavors(
  store: StoreContext,
  pools: readonly string[],
  sleep: (ms: number) => Promise<void>,
): Promise<Map<string, ReadonlySet<string>>> {
  const result = new Map<string, ReadonlySet<string>>();
  const unique = [...new Set(pools)];
  for (let start = 0; start < unique.length; start += 100) {
    const keys = unique.slice(start, start + 100).map((pool) => ({ pool }));
    const found = await batchGetAll(
      store,
      {
        [store.tables.policies]: {
          Keys: keys,
          ConsistentRead: true,
          ProjectionExpression: '#pool, #flavors',
          ExpressionAttributeNames: { '#pool': 'pool', '#flavors': 'flavors' },
        },
      },
      sleep,
    );
    for (const item of found[store.tables.policies] ?? []) {
      const flavors = item.flavors;
      const names =
        flavors !== null && typeof flavors === 'object' && !Array.isArray(flavors)
          ? Object.keys(flavors)
          : [];
      result.set(String(item.pool), new Set(names));
    }
  }
  return result;
}
