import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Node, Pool } from '../functions/shared/modelarts/schemas';
import { authenticate } from './auth';
import { handleControlApi, isControlPath, matchControlRoute } from './control-api';
import { ModelArtsHttpError } from './errors';
import { FaultInjector, type FaultAction, type FaultRule } from './faults';
import { PoolStore } from './pool-store';
import { seededRandom } from './random';
import { RequestLog } from './request-log';
import {
  apiNotFound,
  handlePoolApi,
  matchRoute,
  parseBody,
  PATCH_MEDIA_TYPES,
  routePool,
  type ApiResponse,
} from './routes';
import { TransitionLog, type TransitionListener, type TransitionPage } from './transition-log';
import type { AzCapacity, ModelArtsSimulatorOptions, PoolPhase, RequestLogEntry } from './types';
import type { WorkloadRecord, WorkloadSubmission } from './workloads';

/** Project of the seed documents' examples; used for preloaded pools when no project is configured. */
export const DEFAULT_PROJECT_ID = '6f5da086876d4cd084d36f8bd3346036';
export const DEFAULT_AVAILABILITY_ZONES = ['cn-north-4a', 'cn-north-4b', 'cn-north-4c'];
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface SeedPoolOptions {
  projectId?: string;
  /** Make the pool's nodes available at once instead of going through provisioning. @default true */
  settled?: boolean;
}

/** Which project a control call is about (the simulator's default project when absent). */
export interface ProjectOption {
  projectId?: string;
}

export interface EndWorkloadOptions extends ProjectOption {
  /** Recorded on the workload and its transition. */
  reason?: string;
}

export interface ModelArtsSimulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`; API paths start with `/v2/{project_id}/pools`. */
  readonly url: string;
  readonly port: number;
  /** The configured project, or the seed examples' project when any project is served. */
  readonly projectId: string;
  /** Every handled request, oldest first. */
  readonly requestLog: readonly RequestLogEntry[];
  close(): Promise<void>;
  setFaults(rules: FaultRule[]): void;
  /** Creates a pool from a create-request body without HTTP; its nodes are available at once unless `settled: false`. */
  seedPool(createRequest: unknown, options?: SeedPoolOptions): Pool;
  pools(): Pool[];
  pool(name: string, projectId?: string): Pool | undefined;
  /** Pins a pool's phase (e.g. `Error`), or with `undefined` returns it to the computed phase. */
  setPoolPhase(name: string, phase: PoolPhase | undefined, projectId?: string): void;
  setCapacity(azCapacity: AzCapacity | undefined): void;
  /** Moves the simulation clock forward. */
  advance(ms: number): void;
  /** The simulation clock (epoch ms). */
  now(): number;
  maxConcurrentPatches(pool: string): number;
  patchesInFlight(): Record<string, number>;
  clearRequestLog(): void;
  /** Applies a merge patch to a pool as `PATCH` does, without HTTP (not in the request log). */
  updatePool(name: string, patch: unknown, options?: ProjectOption): Pool;
  /** Deletes the named nodes as `nodes/batch-delete` does, without HTTP (not in the request log). */
  deleteNodes(pool: string, nodeNames: string[], options?: ProjectOption): void;
  /** A pool's nodes as `GET .../nodes` shows them (every page). */
  nodes(pool: string, options?: ProjectOption): Node[];
  /**
   * Adds a workload to a pool's queue (`Queue`), placed first fit in queue order on Available nodes of its
   * flavor; with `durationSeconds` it completes by itself that long after it starts. Throws
   * `ModelArtsHttpError` (400 naming the field, 404 for an unknown pool).
   */
  submitWorkload(pool: string, submission: WorkloadSubmission, options?: ProjectOption): WorkloadRecord;
  /** Ends a running workload as `Completed`. */
  completeWorkload(pool: string, uid: string, options?: ProjectOption): WorkloadRecord;
  /** Ends a queued or running workload as `Failed`. */
  failWorkload(pool: string, uid: string, options?: EndWorkloadOptions): WorkloadRecord;
  /** Ends a queued or running workload as `Terminated` (cancelled). */
  terminateWorkload(pool: string, uid: string, options?: EndWorkloadOptions): WorkloadRecord;
  /** The pool's workloads, in queue order, with why each ended. */
  workloads(pool: string, options?: ProjectOption): WorkloadRecord[];
  /** Workloads failed because a node under them was removed (PATCH scale-in, batch-delete, pool deletion). */
  killedWorkloads(pool: string, options?: ProjectOption): number;
  /** Workload transitions after `cursor` (0: from the start), every change due by now applied first. */
  workloadTransitions(cursor?: number): TransitionPage;
  /** Called with each transition as the simulator applies it; returns the function that stops it. */
  onWorkloadTransition(listener: TransitionListener): () => void;
}

class BodyTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super(`request body of ${bytes} bytes is too large`);
    this.name = 'BodyTooLargeError';
  }
}

export async function startModelArtsSimulator(
  options: ModelArtsSimulatorOptions = {},
): Promise<ModelArtsSimulator> {
  const baseClock = options.now ?? Date.now;
  let offset = 0;
  const now = (): number => baseClock() + offset;
  const random = seededRandom(options.seed ?? 1);
  const transitions = new TransitionLog(options.transitionLogLimit ?? 100_000);
  const store = new PoolStore(
    {
      provisioningDelayMs: options.provisioningDelayMs ?? 300_000,
      deletionDelayMs: options.deletionDelayMs ?? 60_000,
      abnormalAfterMs: options.abnormalAfterMs,
      checkingDelayMs: options.checkingDelayMs ?? 60_000,
      availabilityZones: options.availabilityZones ?? DEFAULT_AVAILABILITY_ZONES,
      azCapacity: options.azCapacity,
      flavorRemoval: options.flavorRemoval ?? 'delete',
      patchPhases: options.patchPhases ?? ['Running'],
      flavors: options.flavors ?? {},
      ignoreNodePaging: options.ignoreNodePaging ?? false,
      endedWorkloadLimit: options.endedWorkloadLimit ?? 10_000,
    },
    random,
    transitions,
  );
  const routeOptions = { patchMediaTypes: options.acceptJsonPatch === false ? [] : PATCH_MEDIA_TYPES };
  const controlApi = options.controlApi ?? true;
  const faults = new FaultInjector(random);
  faults.setRules(options.faults ?? []);
  const log = new RequestLog(options.requestLogLimit ?? 100_000);
  const authConfig = {
    credentials: options.auth ? (Array.isArray(options.auth) ? options.auth : [options.auth]) : [],
    token: options.token,
    now: options.authNow ?? Date.now,
  };
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const queryStart = rawUrl.indexOf('?');
    const rawPath = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
    const rawQuery = queryStart === -1 ? '' : rawUrl.slice(queryStart + 1);
    if (controlApi && isControlPath(rawPath)) {
      await handleControl(req, res, method, rawPath, rawQuery);
      return;
    }
    const entry: RequestLogEntry = {
      method,
      path: rawPath,
      query: Object.fromEntries(new URLSearchParams(rawQuery)),
      status: 0,
      at: now(),
      signatureValid: null,
      authMethod: 'none',
      bodyBytes: 0,
    };
    const route = matchRoute(rawPath);
    const routedPool = routePool(route);
    if (routedPool !== undefined) entry.pool = routedPool;
    const endPatch =
      method === 'PATCH' && route?.kind === 'pool' ? log.beginPatch(route.poolName) : undefined;
    const requestId = randomBytes(16).toString('hex');
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      entry.status = status;
      log.record(entry);
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'Content-Type': 'application/json;charset=UTF-8',
        'X-Request-Id': requestId,
        ...headers,
      });
      res.end(text);
    };
    const replyError = (error: ModelArtsHttpError): void => {
      entry.errorCode = error.errorCode;
      // Gateway (APIG/APIGW) errors carry the request id in the body too.
      const body = error.errorCode.startsWith('APIG')
        ? { error_code: error.errorCode, error_msg: error.errorMsg, request_id: requestId }
        : { error_code: error.errorCode, error_msg: error.errorMsg };
      reply(error.status, body, error.headers);
    };

    try {
      let body: Buffer;
      try {
        body = await readBody(req, maxBodyBytes);
      } catch (error) {
        if (!(error instanceof BodyTooLargeError)) throw error;
        entry.bodyBytes = error.bytes;
        replyError(
          new ModelArtsHttpError(413, 'APIGW.0201', 'Request entity too large.', { Connection: 'close' }),
        );
        return;
      }
      entry.bodyBytes = body.length;
      const bodyText = body.toString('utf8');
      const parsed = tryParse(bodyText);
      if (parsed !== undefined) {
        entry.body = parsed;
        if (method === 'PATCH') entry.patch = parsed;
      }

      const decision = faults.decide(method, rawPath);
      if (decision.descriptions.length > 0) entry.fault = decision.descriptions.join(', ');
      if (decision.delayMs > 0) await sleep(decision.delayMs);
      if (decision.terminal) {
        if (decision.terminal.type === 'drop') {
          log.record(entry);
          req.socket.destroy();
          return;
        }
        replyError(faultError(decision.terminal));
        return;
      }

      if (!route) throw apiNotFound(false);
      const auth = authenticate({ method, rawPath, rawQuery, headers: req.headers, body }, authConfig);
      entry.authMethod = auth.method;
      entry.signatureValid = auth.signatureValid;
      if (auth.error) throw auth.error;
      checkProject(route.projectId, req.headers['x-project-id'], options.projectId);

      const response = handlePoolApi(
        store,
        { method, route, params: new URLSearchParams(rawQuery), headers: req.headers, bodyText },
        now(),
        routeOptions,
      );
      reply(response.status, response.body);
    } catch (error) {
      if (error instanceof ModelArtsHttpError) replyError(error);
      else replyError(new ModelArtsHttpError(500, 'ModelArts.50005000', 'internal error'));
    } finally {
      endPatch?.();
    }
  };

  /** `/_sim/...`: authenticated like the API, never logged, never hit by faults. */
  const handleControl = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    rawPath: string,
    rawQuery: string,
  ): Promise<void> => {
    const send = (response: ApiResponse): void => {
      res.writeHead(response.status, { 'Content-Type': 'application/json;charset=UTF-8' });
      res.end(JSON.stringify(response.body));
    };
    try {
      const body = await readBody(req, maxBodyBytes).catch((error: unknown) => {
        if (error instanceof BodyTooLargeError)
          throw new ModelArtsHttpError(413, 'APIGW.0201', 'Request entity too large.');
        throw error;
      });
      const route = matchControlRoute(rawPath);
      if (!route) throw apiNotFound(false);
      const auth = authenticate({ method, rawPath, rawQuery, headers: req.headers, body }, authConfig);
      if (auth.error) throw auth.error;
      if ('projectId' in route) checkProject(route.projectId, req.headers['x-project-id'], options.projectId);
      send(
        handleControlApi(
          { store, transitions, now, advance: (ms) => (offset += ms) },
          method,
          route,
          new URLSearchParams(rawQuery),
          body.toString('utf8'),
        ),
      );
    } catch (error) {
      const failure =
        error instanceof ModelArtsHttpError
          ? error
          : new ModelArtsHttpError(500, 'ModelArts.50005000', 'internal error');
      send({ status: failure.status, body: { error_code: failure.errorCode, error_msg: failure.errorMsg } });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const defaultProject = options.projectId ?? DEFAULT_PROJECT_ID;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    projectId: defaultProject,
    requestLog: log.entries,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
    setFaults: (rules) => faults.setRules(rules),
    seedPool: (createRequest, seedOptions = {}) => {
      const projectId = seedOptions.projectId ?? defaultProject;
      const created = store.create(projectId, structuredClone(createRequest), now());
      if (seedOptions.settled !== false) store.settleNodes(projectId, created.metadata.name, now());
      return store.show(projectId, created.metadata.name, now());
    },
    pools: () => store.all(now()),
    pool: (name, projectId = defaultProject) =>
      store.hasPool(projectId, name, now()) ? store.show(projectId, name, now()) : undefined,
    setPoolPhase: (name, phase, projectId = defaultProject) => store.setPhase(projectId, name, phase),
    setCapacity: (azCapacity) => store.setCapacity(azCapacity, now()),
    advance: (ms) => {
      offset += ms;
    },
    now,
    maxConcurrentPatches: (pool) => log.maxConcurrentPatches(pool),
    patchesInFlight: () => log.patchesInFlight(),
    clearRequestLog: () => log.clear(),
    updatePool: (name, patch, { projectId = defaultProject } = {}) =>
      store.update(projectId, name, structuredClone(patch), now()),
    deleteNodes: (pool, nodeNames, { projectId = defaultProject } = {}) => {
      store.batchDeleteNodes(projectId, pool, { deleteNodeNames: [...nodeNames] }, now());
    },
    nodes: (pool, { projectId = defaultProject } = {}) => store.allNodes(projectId, pool, now()),
    submitWorkload: (pool, submission, { projectId = defaultProject } = {}) =>
      store.submitWorkload(projectId, pool, structuredClone(submission), now()),
    completeWorkload: (pool, uid, { projectId = defaultProject } = {}) =>
      store.endWorkload(projectId, pool, uid, 'Completed', undefined, now()),
    failWorkload: (pool, uid, { projectId = defaultProject, reason } = {}) =>
      store.endWorkload(projectId, pool, uid, 'Failed', reason, now()),
    terminateWorkload: (pool, uid, { projectId = defaultProject, reason } = {}) =>
      store.endWorkload(projectId, pool, uid, 'Terminated', reason, now()),
    workloads: (pool, { projectId = defaultProject } = {}) => store.workloadRecords(projectId, pool, now()),
    killedWorkloads: (pool, { projectId = defaultProject } = {}) =>
      store.killedWorkloads(projectId, pool, now()),
    workloadTransitions: (cursor = 0) => {
      store.settleTo(now());
      return transitions.since(cursor);
    },
    onWorkloadTransition: (listener) => transitions.subscribe(listener),
  };
}

/** Reads the whole body; past the limit it keeps draining (so the client sees the 413) but stores nothing. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      bytes > limit ? reject(new BodyTooLargeError(bytes)) : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

function tryParse(text: string): unknown {
  try {
    return text === '' ? undefined : parseBody(text);
  } catch {
    return undefined;
  }
}

function faultError(
  action: Exclude<FaultAction, { type: 'latency' } | { type: 'drop' }>,
): ModelArtsHttpError {
  if (action.type === 'throttle') {
    const headers: Record<string, string> =
      action.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(action.retryAfterSeconds) };
    return new ModelArtsHttpError(
      429,
      'APIGW.0308',
      'The throttling threshold has been reached: policy user over ratelimit,limit:200,time:1 second',
      headers,
    );
  }
  switch (action.status) {
    case 500:
      return new ModelArtsHttpError(500, 'ModelArts.50005000', 'internal error');
    case 502:
      return new ModelArtsHttpError(502, 'APIGW.0201', 'Backend unavailable.');
    case 503:
      return new ModelArtsHttpError(503, 'APIGW.0201', 'Service unavailable.');
    case 504:
      return new ModelArtsHttpError(504, 'APIGW.0201', 'Backend timeout.');
  }
}

/** Requests for another project than the configured one, or whose `X-Project-Id` disagrees with the path. */
function checkProject(
  pathProject: string,
  header: string | string[] | undefined,
  configured: string | undefined,
): void {
  const headerProject = Array.isArray(header) ? header[0] : header;
  const wrongProject = configured !== undefined && pathProject !== configured;
  if (wrongProject || (headerProject !== undefined && headerProject !== pathProject)) {
    throw new ModelArtsHttpError(403, 'APIGW.0302', 'The IAM user is not authorized to access the API.');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
