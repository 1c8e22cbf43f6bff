import { z } from 'zod';
import { PoolValidationError } from './errors';
import type { PoolStore } from './pool-store';
import { apiNotFound, parseBody, pathSegments, type ApiResponse } from './routes';
import type { TransitionLog } from './transition-log';
import { parseRequest } from './validation';
import type { EndedStatus } from './workloads';

/*
 * The simulator's own control API, for tests, the local run and operators trying policies: submit, end and
 * read workloads, read the transition feed, move the clock. Its paths start with `/_sim/` so they never meet
 * a ModelArts path; the ModelArts client knows nothing of them. Requests authenticate as ModelArts ones do,
 * and are left out of the request log and of fault injection.
 *
 *   POST /_sim/v2/{project_id}/pools/{pool_name}/workloads                       submit (WorkloadSubmission)
 *   GET  /_sim/v2/{project_id}/pools/{pool_name}/workloads                       {items: WorkloadRecord[]}
 *   GET  /_sim/v2/{project_id}/pools/{pool_name}/workloads/{uid}                 WorkloadRecord
 *   POST /_sim/v2/{project_id}/pools/{pool_name}/workloads/{uid}/complete        WorkloadRecord
 *   POST /_sim/v2/{project_id}/pools/{pool_name}/workloads/{uid}/fail            {"reason"?} → WorkloadRecord
 *   POST /_sim/v2/{project_id}/pools/{pool_name}/workloads/{uid}/terminate       {"reason"?} → WorkloadRecord
 *   GET  /_sim/v2/{project_id}/pools/{pool_name}                                 {pool, exists, killedWorkloads}
 *   GET  /_sim/transitions?since={cursor}                                        TransitionPage
 *   GET  /_sim/clock                                                             {now}
 *   POST /_sim/clock/advance                                                     {"ms"} → {now}
 */

export const CONTROL_PREFIX = '/_sim';

const ACTIONS: Record<string, EndedStatus> = {
  complete: 'Completed',
  fail: 'Failed',
  terminate: 'Terminated',
};

export type ControlRoute =
  | { kind: 'workloads'; projectId: string; poolName: string }
  | { kind: 'workload'; projectId: string; poolName: string; uid: string }
  | { kind: 'end'; projectId: string; poolName: string; uid: string; status: EndedStatus }
  | { kind: 'pool'; projectId: string; poolName: string }
  | { kind: 'transitions' }
  | { kind: 'clock' }
  | { kind: 'advance' };

export function isControlPath(rawPath: string): boolean {
  return rawPath === CONTROL_PREFIX || rawPath.startsWith(`${CONTROL_PREFIX}/`);
}

export function matchControlRoute(rawPath: string): ControlRoute | undefined {
  const [root, prefix, ...rest] = pathSegments(rawPath);
  if (root !== '' || `/${prefix}` !== CONTROL_PREFIX || rest.some((segment) => segment === ''))
    return undefined;
  if (rest.length === 1 && rest[0] === 'transitions') return { kind: 'transitions' };
  if (rest.length === 1 && rest[0] === 'clock') return { kind: 'clock' };
  if (rest.length === 2 && rest[0] === 'clock' && rest[1] === 'advance') return { kind: 'advance' };
  const [version, projectId, pools, poolName, workloads, uid, action, ...extra] = rest;
  if (version !== 'v2' || !projectId || pools !== 'pools' || !poolName || extra.length > 0) return undefined;
  if (workloads === undefined) return { kind: 'pool', projectId, poolName };
  if (workloads !== 'workloads') return undefined;
  if (uid === undefined) return { kind: 'workloads', projectId, poolName };
  if (action === undefined) return { kind: 'workload', projectId, poolName, uid };
  const status = ACTIONS[action];
  return status === undefined ? undefined : { kind: 'end', projectId, poolName, uid, status };
}

export interface ControlContext {
  store: PoolStore;
  transitions: TransitionLog;
  now: () => number;
  advance: (ms: number) => void;
}

const EndBody = z.strictObject({ reason: z.string().min(1).max(1000).optional() }).optional();
const AdvanceBody = z.strictObject({
  ms: z
    .number()
    .min(0)
    .max(10 * 365 * 24 * 3600 * 1000),
});

function parseControlBody<S extends z.ZodType>(schema: S, text: string): z.output<S> {
  return parseRequest(schema, parseBody(text), { unknownField: 'is not a known field' });
}

export function handleControlApi(
  context: ControlContext,
  method: string,
  route: ControlRoute,
  params: URLSearchParams,
  bodyText: string,
): ApiResponse {
  const { store } = context;
  const ok = (body: unknown): ApiResponse => ({ status: 200, body });
  const expect = (allowed: string): void => {
    if (method !== allowed) throw apiNotFound(true);
  };
  switch (route.kind) {
    case 'workloads':
      if (method === 'POST')
        return ok(store.submitWorkload(route.projectId, route.poolName, parseBody(bodyText), context.now()));
      expect('GET');
      return ok({ items: store.workloadRecords(route.projectId, route.poolName, context.now()) });
    case 'workload':
      expect('GET');
      return ok(store.workloadRecord(route.projectId, route.poolName, route.uid, context.now()));
    case 'end': {
      expect('POST');
      const body = parseControlBody(EndBody, bodyText);
      return ok(
        store.endWorkload(
          route.projectId,
          route.poolName,
          route.uid,
          route.status,
          body?.reason,
          context.now(),
        ),
      );
    }
    case 'pool':
      // Readable after the pool is gone, so a test can check the count once everything settled.
      expect('GET');
      return ok({
        pool: route.poolName,
        exists: store.hasPool(route.projectId, route.poolName, context.now()),
        killedWorkloads: store.killedWorkloads(route.projectId, route.poolName, context.now()),
      });
    case 'transitions': {
      expect('GET');
      const since = params.get('since') ?? '0';
      if (!/^\d{1,15}$/.test(since))
        throw new PoolValidationError('since', 'must be a cursor from a previous read');
      store.settleTo(context.now());
      return ok(context.transitions.since(Number(since)));
    }
    case 'clock':
      expect('GET');
      return ok({ now: context.now() });
    case 'advance': {
      expect('POST');
      context.advance(parseControlBody(AdvanceBody, bodyText).ms);
      return ok({ now: context.now() });
    }
  }
}
