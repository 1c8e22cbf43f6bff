/**
 * Reading every page of the node and workload listings. Both refuse a listing that does not advance (a
 * repeated token, a node or workload seen twice): callers decide which nodes to delete from these lists, so
 * a listing must be exact or fail.
 */
import { ModelArtsResponseError } from './errors';
import type { Node, NodeList, Workload, WorkloadList } from './schemas';

/** Far beyond any pool (500 nodes or workloads a page); stops a service that never ends a listing. */
const MAX_PAGES = 1000;

function pagingError(path: string, field: string, detail: string): ModelArtsResponseError {
  return new ModelArtsResponseError({ method: 'GET', path, status: 200, field, detail });
}

/** Follows `metadata.continue` until a page comes without it; the result carries no paging metadata. */
export async function collectNodePages(
  path: string,
  fetchPage: (token: string | undefined) => Promise<NodeList>,
): Promise<NodeList> {
  const items: Node[] = [];
  const names = new Set<string>();
  const tokens = new Set<string>();
  let token: string | undefined;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const list = await fetchPage(token);
    for (const node of list.items) {
      if (names.has(node.metadata.name))
        throw pagingError(path, 'items', `page ${page} lists node ${node.metadata.name} again`);
      names.add(node.metadata.name);
      items.push(node);
    }
    const next = list.metadata?.continue;
    if (next === undefined || next === '') {
      const { continue: _token, remainingItemCount: _remaining, ...metadata } = list.metadata ?? {};
      return { ...list, metadata, items };
    }
    if (tokens.has(next)) throw pagingError(path, 'metadata.continue', `page ${page} repeats a token`);
    tokens.add(next);
    token = next;
  }
  throw pagingError(path, 'metadata.continue', `still more pages after ${MAX_PAGES}`);
}

/** Reads pages of `limit` from `offset` until a page comes back shorter than `limit`. */
export async function collectWorkloadPages(
  path: string,
  offset: number,
  limit: number,
  fetchPage: (page: { offset: number; limit: number }) => Promise<WorkloadList>,
): Promise<WorkloadList> {
  const items: Workload[] = [];
  const ids = new Set<string>();
  let next = offset;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const list = await fetchPage({ offset: next, limit });
    for (const workload of list.items) {
      // Workloads without uid or name cannot be told apart; they are kept as they come.
      const id = workload.uid ?? workload.name;
      if (id !== undefined) {
        if (ids.has(id)) throw pagingError(path, 'items', `page ${page} lists workload ${id} again`);
        ids.add(id);
      }
      items.push(workload);
    }
    if (list.items.length < limit) return { ...list, items };
    next += list.items.length;
  }
  throw pagingError(path, 'items', `still more pages after ${MAX_PAGES}`);
}
