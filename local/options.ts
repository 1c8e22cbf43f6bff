import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { isHttpsOrLoopbackUrl } from '../functions/shared/endpoint-url';
import type { AzCapacity } from '../simulator/index';

export const DEFAULT_TRACE = 'examples/traces/demo.csv';
export const DEFAULT_POLICY = fileURLToPath(new URL('./demo-policy.json', import.meta.url));

const positive = (field: string) =>
  z.coerce.number({ error: `--${field} must be a number` }).positive(`--${field} must be above 0`);

/** An https URL, or http on a loopback address. */
const endpointUrl = z.string().refine(isHttpsOrLoopbackUrl, {
  message: '--endpoint must be an https URL (http only for loopback)',
});

/** Flags of `npm start`, validated; messages name the flag. */
export const LocalRunOptionsSchema = z.strictObject({
  trace: z.string().min(1).default(DEFAULT_TRACE),
  policy: z.string().min(1).default(DEFAULT_POLICY),
  /** Where the policy came from: `--policy`, the trace's own `<trace>.policy.json`, or the demo policy. */
  policyOrigin: z.enum(['given', 'trace', 'demo']).default('given'),
  /** Virtual seconds per real second. */
  speed: positive('speed').max(100_000, '--speed must be at most 100000').default(60),
  /** Longest run in real seconds; the run ends earlier once the trace is done and the pool is back at rest. */
  duration: positive('duration').max(86_400, '--duration must be at most 86400').default(120),
  out: z.string().min(1).default('out/local-run'),
  endpoint: endpointUrl.optional(),
  apply: z.boolean().default(false),
  dataDir: z.string().min(1).optional(),
  /** Virtual seconds from a node's request until it is available (simulator only). */
  provisionDelay: z.coerce
    .number({ error: '--provision-delay must be a number' })
    .min(0, '--provision-delay must be 0 or more')
    .default(300),
  /** Virtual seconds between evaluator runs (the EventBridge schedule). */
  sweep: positive('sweep').default(60),
  /**
   * Nodes each AZ can hold (simulator only), `AZ=N` for every flavor or `AZ/FLAVOR=N` for one, comma-separated:
   * `cn-north-4a=2`. Nodes beyond it stay creating, as in an AZ out of capacity.
   */
  azCapacity: z
    .string()
    .optional()
    .transform((text, ctx) => (text === undefined ? undefined : parseAzCapacity(text, ctx))),
  /** Force plain progress lines even on a terminal. */
  plain: z.boolean().default(false),
  /** Print the handlers' logs (Powertools level), e.g. INFO. */
  logLevel: z.enum(['SILENT', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('SILENT'),
  /**
   * Where the autoscaler reads demand, forcing the policy's `demand` for the run; without it, the policy's own.
   * `workloads` sends no job event at all: the autoscaler reads the pool's workloads, and the watcher polls them.
   */
  demand: z
    .enum(['events', 'workloads', 'events+workloads'], {
      error: '--demand must be events, workloads or events+workloads',
    })
    .optional(),
  /** Share of the job events lost on their way to the queue, drawn from a seeded source: every run loses the same. */
  dropEvents: z.coerce
    .number({ error: '--drop-events must be a number' })
    .min(0, '--drop-events must be from 0 to 1')
    .max(1, '--drop-events must be from 0 to 1')
    .default(0),
});

export type LocalRunOptions = z.infer<typeof LocalRunOptionsSchema>;

/** `cn-north-4a=2,cn-north-4b/modelarts.vm.gpu.8v100=1` as the simulator's capacity limits. */
function parseAzCapacity(text: string, ctx: z.RefinementCtx): AzCapacity {
  const capacity: AzCapacity = {};
  for (const part of text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')) {
    const match = /^([^=/\s]+)(?:\/([^=\s]+))?=(\d+)$/.exec(part);
    if (match === null) {
      ctx.addIssue({ code: 'custom', message: `--az-capacity: "${part}" is not AZ=N or AZ/FLAVOR=N` });
      return z.NEVER;
    }
    const [, az, flavor, count] = match as unknown as [string, string, string | undefined, string];
    if (flavor === undefined) capacity[az] = Number(count);
    else {
      const perFlavor = capacity[az];
      capacity[az] = { ...(typeof perFlavor === 'object' ? perFlavor : {}), [flavor]: Number(count) };
    }
  }
  return capacity;
}

export class LocalRunOptionsError extends Error {
  override readonly name = 'LocalRunOptionsError';
}

/** Parses the flags; throws `LocalRunOptionsError` with the flag's name in the message. */
/** `examples/traces/steady.csv` → `examples/traces/steady.policy.json`, when that file exists. */
export function policyBesideTrace(trace: string): string | undefined {
  const candidate = `${trace.replace(/\.csv$/i, '')}.policy.json`;
  return existsSync(candidate) ? candidate : undefined;
}

/**
 * Parses the flags; throws `LocalRunOptionsError` with the flag's name in the message. A `--trace` without
 * `--policy` takes the trace's own policy (`<trace>.policy.json`, as the shipped traces have) when it exists,
 * else the demo policy: a trace replayed against another workload's bounds says little.
 */
export function parseLocalRunOptions(raw: Record<string, unknown>): LocalRunOptions {
  if (raw.policy === undefined) {
    // The default trace keeps the demo policy, made for the demo pool (two AZs, maxCount 16).
    const beside = typeof raw.trace === 'string' ? policyBesideTrace(raw.trace) : undefined;
    raw = {
      ...raw,
      ...(beside !== undefined ? { policy: beside, policyOrigin: 'trace' } : { policyOrigin: 'demo' }),
    };
  }
  const parsed = LocalRunOptionsSchema.safeParse(raw);
  if (parsed.success && parsed.data.demand === 'workloads' && parsed.data.dropEvents > 0) {
    throw new LocalRunOptionsError('--drop-events: --demand workloads sends no job event to drop');
  }
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const flag = issue?.path.length
    ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
    : '';
  const message = issue?.message ?? 'invalid options';
  throw new LocalRunOptionsError(message.startsWith('--') || flag === '' ? message : `${flag}: ${message}`);
}
