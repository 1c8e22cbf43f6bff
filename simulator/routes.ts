import { badRequest, contentTypeNotSupported, ModelArtsHttpError, poolNotFound } from './errors';
import type { PoolStore } from './pool-store';

/** The resources of the ModelArts API the simulator serves. */
export type Route =
  | { kind: 'pools'; projectId: string }
  | { kind: 'pool'; projectId: string; poolName: string }
  | { kind: 'nodes'; projectId: string; poolName: string }
  /** `nodes/batch-delete` matches here too: POST deletes, GET shows a node of that name. */
  | { kind: 'node'; projectId: string; poolName: string; nodeName: string }
  | { kind: 'workloads'; projectId: string; poolName: string }
  | { kind: 'poolStatistics'; projectId: string }
  | { kind: 'workloadStatistics'; projectId: string; poolName: string };

export interface ApiRequest {
  method: string;
  route: Route;
  /** The query string, repeated parameters kept (`hostip` may repeat). */
  params: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Raw body text; empty when there was none. */
  bodyText: string;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export const MERGE_PATCH_MEDIA_TYPE = 'application/merge-patch+json';
/**
 * Huawei's own SDK sends its PATCH as `application/json`, so the simulator applies that as an RFC 7396 merge
 * patch as well (the service presumably accepts what its own SDK sends: an inference).
 */
export const PATCH_MEDIA_TYPES: readonly string[] = ['application/json'];

/** Splits a path into decoded segments, ignoring a trailing slash. */
export function pathSegments(rawPath: string): string[] {
  return rawPath.replace(/\/+$/, '').split('/').map(decodeSegment);
}

/**
 * `/v2/{project_id}/pools[/{pool_name}[/nodes[/{node_name}]|/workloads]]`,
 * `/v2/{project_id}/statistics/pools[/{pool_name}/workloads]`, with or without a trailing slash.
 */
export function matchRoute(rawPath: string): Route | undefined {
  const [root, version, projectId, collection, ...rest] = pathSegments(rawPath);
  if (root !== '' || version !== 'v2' || !projectId || rest.some((segment) => segment === ''))
    return undefined;
  if (collection === 'pools') {
    const [poolName, sub, nodeName, ...extra] = rest;
    if (poolName === undefined) return { kind: 'pools', projectId };
    if (sub === undefined) return { kind: 'pool', projectId, poolName };
    if (extra.length > 0) return undefined;
    if (sub === 'nodes')
      return nodeName === undefined
        ? { kind: 'nodes', projectId, poolName }
        : { kind: 'node', projectId, poolName, nodeName };
    if (sub === 'workloads' && nodeName === undefined) return { kind: 'workloads', projectId, poolName };
    return undefined;
  }
  if (collection === 'statistics') {
    const [pools, poolName, workloads, ...extra] = rest;
    if (pools !== 'pools' || extra.length > 0) return undefined;
    if (poolName === undefined) return { kind: 'poolStatistics', projectId };
    return workloads === 'workloads' ? { kind: 'workloadStatistics', projectId, poolName } : undefined;
  }
  return undefined;
}

/** The pool a route is about, for the request log. */
export function routePool(route: Route | undefined): string | undefined {
  return route && 'poolName' in route ? route.poolName : undefined;
}

/** 404 `APIGW.0101`, the gateway's answer for a path or method it does not publish. */
export function apiNotFound(knownPath: boolean): ModelArtsHttpError {
  return new ModelArtsHttpError(
    404,
    'APIGW.0101',
    knownPath
      ? 'The API does not exist.'
      : 'The API does not exist or has not been published in the environment.',
  );
}

export interface RouteOptions {
  /** PATCH media types accepted besides `application/merge-patch+json`. @default ['application/json'] */
  patchMediaTypes: readonly string[];
}

/** Dispatches one authenticated request to the store; errors are thrown as `ModelArtsHttpError`. */
export function handlePoolApi(
  store: PoolStore,
  request: ApiRequest,
  now: number,
  options: RouteOptions = { patchMediaTypes: PATCH_MEDIA_TYPES },
): ApiResponse {
  const { route, method, params } = request;
  const ok = (body: unknown): ApiResponse => ({ status: 200, body });
  const only = (allowed: string): void => {
    if (method !== allowed) throw apiNotFound(true);
  };
  switch (route.kind) {
    case 'pools':
      if (method === 'POST') return ok(store.create(route.projectId, parseBody(request.bodyText), now));
      only('GET');
      return ok(store.list(route.projectId, Object.fromEntries(params), now));
    case 'pool':
      return handlePool(store, request, route, now, options);
    case 'nodes':
      only('GET');
      return ok(store.listNodes(route.projectId, route.poolName, params, now));
    case 'node':
      if (method === 'POST' && route.nodeName === 'batch-delete')
        return ok(store.batchDeleteNodes(route.projectId, route.poolName, parseBody(request.bodyText), now));
      only('GET');
      return ok(store.showNode(route.projectId, route.poolName, route.nodeName, now));
    case 'workloads':
      only('GET');
      return ok(store.listWorkloads(route.projectId, route.poolName, params, now));
    case 'workloadStatistics':
      only('GET');
      return ok(store.workloadStatistics(route.projectId, route.poolName, now));
    case 'poolStatistics':
      only('GET');
      return ok(store.poolStatistics(route.projectId, now));
  }
}

function handlePool(
  store: PoolStore,
  request: ApiRequest,
  route: Extract<Route, { kind: 'pool' }>,
  now: number,
  options: RouteOptions,
): ApiResponse {
  switch (request.method) {
    case 'GET':
      return { status: 200, body: store.show(route.projectId, route.poolName, now) };
    case 'DELETE':
      return { status: 200, body: store.delete(route.projectId, route.poolName, now) };
    case 'PATCH': {
      if (!store.hasPool(route.projectId, route.poolName, now)) throw poolNotFound();
      const type = mediaType(request.headers['content-type']);
      if (type !== MERGE_PATCH_MEDIA_TYPE && !options.patchMediaTypes.includes(type))
        throw contentTypeNotSupported();
      return {
        status: 200,
        body: store.update(route.projectId, route.poolName, parseBody(request.bodyText), now),
      };
    }
    default:
      throw apiNotFound(true);
  }
}

/** Parses a JSON body; the caller's validation reports what is missing from it. */
export function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('body: malformed JSON');
  }
}

function mediaType(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
