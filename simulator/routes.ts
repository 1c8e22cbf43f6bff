import { badRequest, contentTypeNotSupported, ModelArtsHttpError, poolNotFound } from './errors';
import type { PoolStore } from './pool-store';

/** The pool API's two resources. */
export type Route =
  { kind: 'pools'; projectId: string } | { kind: 'pool'; projectId: string; poolName: string };

export interface ApiRequest {
  method: string;
  route: Route;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Raw body text; empty when there was none. */
  bodyText: string;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export const MERGE_PATCH_MEDIA_TYPE = 'application/merge-patch+json';

/** `/v2/{project_id}/pools` and `/v2/{project_id}/pools/{pool_name}`, with or without a trailing slash. */
export function matchRoute(rawPath: string): Route | undefined {
  const segments = rawPath.replace(/\/+$/, '').split('/').map(decodeSegment);
  if (segments.length < 4 || segments.length > 5) return undefined;
  const [root, version, projectId, collection, poolName] = segments;
  if (root !== '' || version !== 'v2' || collection !== 'pools' || !projectId) return undefined;
  if (poolName === undefined) return { kind: 'pools', projectId };
  return poolName === '' ? undefined : { kind: 'pool', projectId, poolName };
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

/** Dispatches one authenticated request to the store; errors are thrown as `ModelArtsHttpError`. */
export function handlePoolApi(store: PoolStore, request: ApiRequest, now: number): ApiResponse {
  const { route, method } = request;
  if (route.kind === 'pools') {
    if (method === 'POST')
      return { status: 200, body: store.create(route.projectId, parseBody(request.bodyText), now) };
    if (method === 'GET') return { status: 200, body: store.list(route.projectId, request.query, now) };
    throw apiNotFound(true);
  }
  switch (method) {
    case 'GET':
      return { status: 200, body: store.show(route.projectId, route.poolName, now) };
    case 'DELETE':
      return { status: 200, body: store.delete(route.projectId, route.poolName, now) };
    case 'PATCH': {
      if (!store.hasPool(route.projectId, route.poolName, now)) throw poolNotFound();
      if (mediaType(request.headers['content-type']) !== MERGE_PATCH_MEDIA_TYPE)
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
