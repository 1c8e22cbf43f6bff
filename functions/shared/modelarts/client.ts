/**
 * ModelArts resource-pool API client over Node's global fetch: AK/SK signing or IAM token, per-attempt
 * timeouts, retries with backoff on throttling and server or network failures, bounded and validated
 * response bodies. Covers pools, their nodes (list, show, batch-delete), their workloads and the statistics.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type EndpointAllowlist, checkEndpoint } from '../endpoint-allowlist';
import { isLoopbackHost } from '../endpoint-url';
import type { z } from 'zod';
import { type FieldIssue, formatIssues, parseFields } from '../validation-issues';
import { toCredentials, type CredentialsInput, type ModelArtsCredentials } from './credentials';
import {
  InsecureEndpointError,
  ModelArtsApiError,
  ModelArtsError,
  ModelArtsNetworkError,
  ModelArtsOutcomeUnknownError,
  ModelArtsRequestError,
  ModelArtsResponseError,
  ModelArtsTimeoutError,
} from './errors';
import { parseRetryAfter, retryDelayMs } from './retry';
import { collectNodePages, collectWorkloadPages } from './paging';
import {
  BatchDeletePoolNodesRequestSchema,
  ListPoolNodesQuerySchema,
  ListPoolsQuerySchema,
  ListPoolWorkloadsQuerySchema,
  ModelArtsErrorBodySchema,
  NodeListSchema,
  NodeSchema,
  PoolListSchema,
  PoolSchema,
  PoolStatisticsSchema,
  WorkloadListSchema,
  WorkloadStatisticsSchema,
  type CreatePoolRequest,
  type ListPoolNodesQuery,
  type ListPoolsQuery,
  type ListPoolWorkloadsQuery,
  type Node,
  type NodeList,
  type Pool,
  type PoolList,
  type PoolStatistics,
  type UpdatePoolRequest,
  type WorkloadList,
  type WorkloadStatistics,
} from './schemas';
import { buildQueryString, encodeRfc3986, signRequest } from './signer';

export const MERGE_PATCH_CONTENT_TYPE = 'application/merge-patch+json';
const JSON_CONTENT_TYPE = 'application/json';

export const CLIENT_DEFAULTS = {
  timeoutMs: 10_000,
  maxRetries: 4,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  maxResponseBytes: 5 * 1024 * 1024,
} as const;

/** Reported after every attempt, so callers can count requests and measure latency. */
export interface AttemptInfo {
  method: string;
  path: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** HTTP status, undefined when no response arrived (timeout, dropped connection). */
  status: number | undefined;
  latencyMs: number;
  outcome: 'success' | 'retry' | 'failure';
  /** Error class name when the attempt failed. */
  error?: string;
  /** Delay before the next attempt when `outcome` is `retry`. */
  retryInMs?: number;
}

export interface ModelArtsClientOptions {
  /** For example `https://modelarts.cn-north-4.myhuaweicloud.com`; plain http only for loopback hosts. */
  endpoint: string;
  /**
   * The deployment's endpoint allowlist; the endpoint is refused unless it passes. The Lambdas always pass
   * theirs. Default: https anywhere, plain http to loopback (the CLI's `--endpoint`, tests).
   */
  endpointAllowlist?: EndpointAllowlist;
  projectId: string;
  credentials: CredentialsInput;
  /** Per attempt, covering connection, headers and body. Default 10 000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** First backoff ceiling; doubles per retry. Default 500. */
  baseDelayMs?: number;
  /** Cap on any single wait, including one asked for by `Retry-After`. Default 20 000. */
  maxDelayMs?: number;
  /** Larger response bodies are refused. Default 5 MiB. */
  maxResponseBytes?: number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Clock used for `X-Sdk-Date`. */
  now?: () => Date;
  onAttempt?: (info: AttemptInfo) => void;
  /**
   * Awaited before every attempt, retries included, so a shared rate limiter (token bucket) sees each
   * request the API sees. An error thrown here ends the call with that error.
   */
  beforeAttempt?: (info: { method: string; path: string; attempt: number }) => Promise<void>;
}

export interface CallOptions {
  /** Aborts the call, including any wait between retries; the abort reason is thrown as is. */
  signal?: AbortSignal;
}

interface ApiCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: string;
  body?: unknown;
  contentType?: string;
  /**
   * False for a call whose repetition could act on a stale decision (a batch-delete): after a timeout, a
   * dropped connection or a 504 it is not retried and ends in `ModelArtsOutcomeUnknownError`.
   */
  repeatable?: boolean;
}

/** Connection errors raised before a request leaves the machine: a retry cannot apply it twice. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Whether a failed attempt may have been applied by the service. */
function mayHaveBeenApplied(failure: ModelArtsError): boolean {
  if (failure instanceof ModelArtsTimeoutError) return true;
  if (failure instanceof ModelArtsNetworkError) return !NOT_SENT_CODES.has(failure.code ?? '');
  // A gateway timeout answers for a backend that may still be working on the request.
  return failure instanceof ModelArtsApiError && failure.status === 504;
}

const DEFAULT_PAGE_SIZE = 500;

interface RawResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** https everywhere; plain http is accepted only for loopback (the simulator, local runs). */
export function parseEndpoint(endpoint: string, allowlist?: EndpointAllowlist): URL {
  if (allowlist) {
    const verdict = checkEndpoint(endpoint, allowlist);
    if (!verdict.allowed) throw new InsecureEndpointError(endpoint, verdict.reason);
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new InsecureEndpointError(endpoint, 'not a valid URL');
  }
  if (url.username || url.password)
    throw new InsecureEndpointError(endpoint, 'must not carry user information');
  if (url.search || url.hash) throw new InsecureEndpointError(endpoint, 'must not carry a query or fragment');
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new InsecureEndpointError(endpoint, 'https is required unless the host is loopback');
}

function nonEmptyName(field: string, name: string): string {
  if (typeof name !== 'string' || name.trim() === '')
    throw new ModelArtsRequestError(field, 'must not be empty');
  return name;
}

function parseQuery<S extends z.ZodType>(schema: S, query: unknown, prefix: string): z.output<S> {
  const parsed = parseFields(schema, query, '');
  if (parsed.success) return parsed.data;
  const { field, detail } = describeIssues(parsed.issues);
  throw new ModelArtsRequestError(`${prefix}${field ? `.${field}` : ''}`, detail);
}

/** Problems quoted in an error; a response of a thousand bad nodes would otherwise fill a log line. */
const ISSUES_QUOTED = 5;

/** The first field, for the error's `field`, and the problems for its message. */
function describeIssues(issues: readonly FieldIssue[]): { field: string; detail: string } {
  const field = issues[0]?.field ?? '';
  const detail = formatIssues(
    issues.map((issue) => ({ ...issue, field: issue.field || '(body)' })),
    ISSUES_QUOTED,
  );
  return { field, detail };
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

class BodyTooLargeError extends Error {}

async function readBounded(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new BodyTooLargeError(`declared ${declared} bytes`);
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new BodyTooLargeError(`more than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

export class ModelArtsClient {
  readonly endpoint: URL;
  readonly projectId: string;
  readonly #credentials: ModelArtsCredentials;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxResponseBytes: number;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #now: () => Date;
  readonly #onAttempt: ((info: AttemptInfo) => void) | undefined;
  readonly #beforeAttempt: ModelArtsClientOptions['beforeAttempt'];

  constructor(options: ModelArtsClientOptions) {
    this.endpoint = parseEndpoint(options.endpoint, options.endpointAllowlist);
    if (!/^[A-Za-z0-9-]{1,64}$/.test(options.projectId ?? '')) {
      throw new ModelArtsRequestError('projectId', 'must be 1 to 64 letters, digits or hyphens');
    }
    this.projectId = options.projectId;
    this.#credentials = toCredentials(options.credentials);
    this.#timeoutMs = options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs;
    this.#maxRetries = options.maxRetries ?? CLIENT_DEFAULTS.maxRetries;
    this.#baseDelayMs = options.baseDelayMs ?? CLIENT_DEFAULTS.baseDelayMs;
    this.#maxDelayMs = options.maxDelayMs ?? CLIENT_DEFAULTS.maxDelayMs;
    this.#maxResponseBytes = options.maxResponseBytes ?? CLIENT_DEFAULTS.maxResponseBytes;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
    this.#now = options.now ?? (() => new Date());
    this.#onAttempt = options.onAttempt;
    this.#beforeAttempt = options.beforeAttempt;
  }

  /** `POST /v2/{project_id}/pools`. 409 `ModelArts.50015000` when the pool exists. */
  async createPool(request: CreatePoolRequest, options: CallOptions = {}): Promise<Pool> {
    const call: ApiCall = {
      method: 'POST',
      path: this.#poolsPath(),
      body: request,
      contentType: JSON_CONTENT_TYPE,
    };
    return this.#call(call, PoolSchema, options);
  }

  /** `GET /v2/{project_id}/pools/{pool_name}`, where the name is `metadata.name`. */
  async showPool(name: string, options: CallOptions = {}): Promise<Pool> {
    return this.#call({ method: 'GET', path: this.#poolPath(name) }, PoolSchema, options);
  }

  /** `GET /v2/{project_id}/pools` with optional `workspaceId`, `labelSelector`, `status`, `parent`. */
  async listPools(query: ListPoolsQuery = {}, options: CallOptions = {}): Promise<PoolList> {
    const parsed = parseQuery(ListPoolsQuerySchema, query, 'query');
    const call: ApiCall = { method: 'GET', path: this.#poolsPath(), query: buildQueryString(parsed) };
    return this.#call(call, PoolListSchema, options);
  }

  /**
   * `PATCH /v2/{project_id}/pools/{pool_name}` as a JSON merge patch. Arrays are replaced whole: a patch
   * carrying `spec.resources` must carry every flavor entry with all its fields. The patch states
   * absolute values, so a retried PATCH that had already been applied changes nothing.
   */
  async updatePool(name: string, patch: UpdatePoolRequest, options: CallOptions = {}): Promise<Pool> {
    const call: ApiCall = {
      method: 'PATCH',
      path: this.#poolPath(name),
      body: patch,
      contentType: MERGE_PATCH_CONTENT_TYPE,
    };
    return this.#call(call, PoolSchema, options);
  }

  /** `DELETE /v2/{project_id}/pools/{pool_name}`. Returns the pool as it was, when the service sends it. */
  async deletePool(name: string, options: CallOptions = {}): Promise<Pool | undefined> {
    return this.#call({ method: 'DELETE', path: this.#poolPath(name) }, PoolSchema, options, {
      allowEmpty: true,
    });
  }

  /**
   * Every node of a pool: `GET .../pools/{pool_name}/nodes`, following `metadata.continue` page after page
   * (`limit` nodes per page, default 500). Regions that ignore paging answer with one page and no token, which
   * ends the listing as well. The result is one `NodeList` without `continue`; a page that repeats a token or
   * a node already listed is refused, since a scale-in must never act on a listing that is not exact.
   */
  async listPoolNodes(
    pool: string,
    query: ListPoolNodesQuery = {},
    options: CallOptions = {},
  ): Promise<NodeList> {
    const { limit = DEFAULT_PAGE_SIZE } = parseQuery(ListPoolNodesQuerySchema, query, 'query');
    const path = `${this.#poolPath(pool)}/nodes`;
    return collectNodePages(path, async (token) => {
      const call: ApiCall = {
        method: 'GET',
        path,
        query: buildQueryString({ limit: String(limit), continue: token }),
      };
      return this.#call(call, NodeListSchema, options);
    });
  }

  /** One node: `GET .../pools/{pool_name}/nodes/{node_name}`. */
  async showPoolNode(pool: string, node: string, options: CallOptions = {}): Promise<Node> {
    const path = `${this.#poolPath(pool)}/nodes/${encodeRfc3986(nonEmptyName('node', node))}`;
    return this.#call({ method: 'GET', path }, NodeSchema, options);
  }

  /**
   * Deletes chosen nodes: `POST .../pools/{pool_name}/nodes/batch-delete` with `{"deleteNodeNames": [...]}`
   * (pay-per-use nodes only; at least one node must stay in the pool). Throttling and 5xx answers other than
   * 504 are retried as usual, since the service did not apply the request; a timeout, a dropped connection or
   * a 504 is not, because the deletion may have happened: the call then throws `ModelArtsOutcomeUnknownError`.
   * List the nodes before trying again.
   */
  async batchDeletePoolNodes(
    pool: string,
    nodeNames: readonly string[],
    options: CallOptions = {},
  ): Promise<void> {
    const body = parseQuery(BatchDeletePoolNodesRequestSchema, { deleteNodeNames: nodeNames }, 'request');
    const call: ApiCall = {
      method: 'POST',
      path: `${this.#poolPath(pool)}/nodes/batch-delete`,
      body,
      contentType: JSON_CONTENT_TYPE,
      repeatable: false,
    };
    await this.#call(call, NodeListSchema, options, { ignoreBody: true });
  }

  /**
   * The pool's workloads (its job queue): `GET .../pools/{pool_name}/workloads` with the filters `type`,
   * `status` and `hostip` (one or more node IPs), `sort`/`ascend`, reading every page from `offset` (default
   * 0) in pages of `limit` (default 500). With `hostip` the service ignores paging, so one request is made.
   */
  async listPoolWorkloads(
    pool: string,
    query: ListPoolWorkloadsQuery = {},
    options: CallOptions = {},
  ): Promise<WorkloadList> {
    const parsed = parseQuery(ListPoolWorkloadsQuerySchema, query, 'query');
    const path = `${this.#poolPath(pool)}/workloads`;
    const filters = {
      type: parsed.type,
      status: parsed.status,
      // Comma-separated, as Huawei's SDK sends a list (its `csv` collection format).
      hostip: Array.isArray(parsed.hostip) ? parsed.hostip.join(',') : parsed.hostip,
      sort: parsed.sort,
      ascend: parsed.ascend === undefined ? undefined : String(parsed.ascend),
    };
    const fetchPage = (page?: { offset: number; limit: number }): Promise<WorkloadList> => {
      const paging = page ? { offset: String(page.offset), limit: String(page.limit) } : {};
      const call: ApiCall = { method: 'GET', path, query: buildQueryString({ ...filters, ...paging }) };
      return this.#call(call, WorkloadListSchema, options);
    };
    if (filters.hostip !== undefined) return fetchPage();
    return collectWorkloadPages(path, parsed.offset ?? 0, parsed.limit ?? DEFAULT_PAGE_SIZE, fetchPage);
  }

  /** Job counts by type and state: `GET /v2/{project_id}/statistics/pools/{pool_name}/workloads`. */
  async showWorkloadStatistics(pool: string, options: CallOptions = {}): Promise<WorkloadStatistics> {
    const path = `${this.#projectPath()}/statistics/pools/${encodeRfc3986(nonEmptyName('pool', pool))}/workloads`;
    return this.#call({ method: 'GET', path }, WorkloadStatisticsSchema, options);
  }

  /** Pools of the project per creation state: `GET /v2/{project_id}/statistics/pools`. */
  async showPoolStatistics(options: CallOptions = {}): Promise<PoolStatistics> {
    return this.#call(
      { method: 'GET', path: `${this.#projectPath()}/statistics/pools` },
      PoolStatisticsSchema,
      options,
    );
  }

  #projectPath(): string {
    const base = this.endpoint.pathname.replace(/\/+$/, '');
    return `${base}/v2/${encodeRfc3986(this.projectId)}`;
  }

  #poolsPath(): string {
    return `${this.#projectPath()}/pools`;
  }

  #poolPath(name: string): string {
    return `${this.#poolsPath()}/${encodeRfc3986(nonEmptyName('pool', name))}`;
  }

  async #call<S extends z.ZodType>(call: ApiCall, schema: S, options: CallOptions): Promise<z.output<S>>;
  async #call<S extends z.ZodType>(
    call: ApiCall,
    schema: S,
    options: CallOptions,
    parse: { allowEmpty: true } | { ignoreBody: true },
  ): Promise<z.output<S> | undefined>;
  async #call<S extends z.ZodType>(
    call: ApiCall,
    schema: S,
    options: CallOptions,
    parse: { allowEmpty?: boolean; ignoreBody?: boolean } = {},
  ): Promise<z.output<S> | undefined> {
    // Serialised once: these bytes are hashed for the signature and sent as they are.
    const body = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body), 'utf8');
    const url = new URL(`${call.path}${call.query ? `?${call.query}` : ''}`, this.endpoint.origin);

    // A change whose earlier attempt may have taken effect has an unknown outcome, however the last one ended.
    let earlierMayHaveApplied = false;
    for (let attempt = 1; ; attempt++) {
      await this.#beforeAttempt?.({ method: call.method, path: call.path, attempt });
      const started = performance.now();
      let failure: ModelArtsError;
      let status: number | undefined;
      try {
        const response = await this.#attempt(call, url, body, options.signal);
        status = response.status;
        if (response.status >= 200 && response.status < 300) {
          // A batch-delete that was answered 2xx happened, whatever its body says.
          const result = parse.ignoreBody
            ? undefined
            : this.#parseSuccess(call, response, schema, parse.allowEmpty ?? false);
          this.#report({ call, attempt, status, started, outcome: 'success' });
          return result;
        }
        failure = this.#apiError(call, response);
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (!(error instanceof ModelArtsError)) throw error;
        failure = error;
      }
      failure.attempts = attempt;

      if (call.repeatable === false && mayHaveBeenApplied(failure)) {
        const unknown = new ModelArtsOutcomeUnknownError(
          { method: call.method, path: call.path, attempts: attempt },
          failure,
        );
        this.#report({ call, attempt, status, started, outcome: 'failure', error: unknown.name });
        throw unknown;
      }
      const retryable =
        failure instanceof ModelArtsApiError
          ? failure.retryable
          : failure instanceof ModelArtsTimeoutError || failure instanceof ModelArtsNetworkError;
      if (!retryable || attempt > this.#maxRetries) {
        const final =
          earlierMayHaveApplied && call.method !== 'GET'
            ? new ModelArtsOutcomeUnknownError(
                { method: call.method, path: call.path, attempts: attempt },
                failure,
                'an earlier attempt may have been applied: read the pool before trying again',
              )
            : failure;
        this.#report({ call, attempt, status, started, outcome: 'failure', error: final.name });
        throw final;
      }
      if (mayHaveBeenApplied(failure)) earlierMayHaveApplied = true;
      const retryAfterMs = failure instanceof ModelArtsApiError ? failure.retryAfterMs : undefined;
      const waitMs = retryDelayMs(
        attempt,
        { baseDelayMs: this.#baseDelayMs, maxDelayMs: this.#maxDelayMs, random: this.#random },
        retryAfterMs,
      );
      this.#report({
        call,
        attempt,
        status,
        started,
        outcome: 'retry',
        error: failure.name,
        retryInMs: waitMs,
      });
      await this.#sleep(waitMs, options.signal);
      if (options.signal?.aborted) throw options.signal.reason;
    }
  }

  async #attempt(
    call: ApiCall,
    url: URL,
    body: Buffer | undefined,
    callerSignal?: AbortSignal,
  ): Promise<RawResponse> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    const facts = { method: call.method, path: call.path };
    try {
      const response = await fetch(url, {
        method: call.method,
        headers: this.#headers(call, url, body),
        body: body === undefined ? undefined : new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
        signal,
        // A redirect would replay signed headers to another URL; treat it as an error instead.
        redirect: 'manual',
      });
      try {
        return {
          status: response.status,
          headers: response.headers,
          body: await readBounded(response, this.#maxResponseBytes),
        };
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          throw new ModelArtsResponseError({
            ...facts,
            status: response.status,
            field: '',
            detail: `body is too large (${error.message}; limit ${this.#maxResponseBytes} bytes)`,
            requestId: response.headers.get('x-request-id') ?? undefined,
          });
        }
        throw error;
      }
    } catch (error) {
      if (error instanceof ModelArtsError) throw error;
      if (timeout.aborted && !callerSignal?.aborted) {
        throw new ModelArtsTimeoutError({ ...facts, timeoutMs: this.#timeoutMs }, { cause: error });
      }
      if (callerSignal?.aborted) throw callerSignal.reason;
      const code = errorCode(error);
      const detail = code ?? (error instanceof Error ? error.message : String(error));
      throw new ModelArtsNetworkError({ ...facts, code, detail }, { cause: error });
    }
  }

  #headers(call: ApiCall, url: URL, body: Buffer | undefined): Record<string, string> {
    const headers: Record<string, string> = { 'X-Project-Id': this.projectId };
    if (call.contentType) headers['Content-Type'] = call.contentType;
    const credentials = this.#credentials;
    if (credentials.kind === 'token') {
      return { ...headers, 'X-Auth-Token': credentials.token, Accept: JSON_CONTENT_TYPE };
    }
    if (credentials.securityToken) headers['X-Security-Token'] = credentials.securityToken;
    // Signed per attempt, so a retry carries a fresh X-Sdk-Date.
    const auth = signRequest({ method: call.method, url, headers, body }, credentials, this.#now());
    return { ...headers, ...auth, Accept: JSON_CONTENT_TYPE };
  }

  #parseSuccess<S extends z.ZodType>(
    call: ApiCall,
    response: RawResponse,
    schema: S,
    allowEmpty: boolean,
  ): z.output<S> | undefined {
    const facts = {
      method: call.method,
      path: call.path,
      status: response.status,
      requestId: response.headers.get('x-request-id') ?? undefined,
    };
    const text = response.body.toString('utf8');
    if (text.trim() === '') {
      if (allowEmpty) return undefined;
      throw new ModelArtsResponseError({ ...facts, field: '', detail: 'body is empty' });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ModelArtsResponseError({ ...facts, field: '', detail: 'body is not JSON' });
    }
    const parsed = parseFields(schema, json, '');
    if (!parsed.success) {
      const { field, detail } = describeIssues(parsed.issues);
      throw new ModelArtsResponseError({ ...facts, field, detail });
    }
    return parsed.data;
  }

  #apiError(call: ApiCall, response: RawResponse): ModelArtsApiError {
    let errorBody: { error_code?: string; error_msg?: string; request_id?: string } = {};
    try {
      const parsed = ModelArtsErrorBodySchema.safeParse(JSON.parse(response.body.toString('utf8')));
      if (parsed.success) errorBody = parsed.data;
    } catch {
      // Gateways and proxies may answer with HTML or nothing; the status alone then tells the story.
    }
    return new ModelArtsApiError({
      method: call.method,
      path: call.path,
      status: response.status,
      errorCode: errorBody.error_code,
      errorMsg: errorBody.error_msg,
      requestId: response.headers.get('x-request-id') ?? errorBody.request_id,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.#now().getTime()),
    });
  }

  #report(entry: {
    call: ApiCall;
    attempt: number;
    status: number | undefined;
    started: number;
    outcome: AttemptInfo['outcome'];
    error?: string;
    retryInMs?: number;
  }): void {
    if (!this.#onAttempt) return;
    const info: AttemptInfo = {
      method: entry.call.method,
      path: entry.call.path,
      attempt: entry.attempt,
      status: entry.status,
      latencyMs: Math.round((performance.now() - entry.started) * 1000) / 1000,
      outcome: entry.outcome,
    };
    if (entry.error !== undefined) info.error = entry.error;
    if (entry.retryInMs !== undefined) info.retryInMs = entry.retryInMs;
    try {
      this.#onAttempt(info);
    } catch {
      // A failing observer must not change the outcome of the call.
    }
  }
}
