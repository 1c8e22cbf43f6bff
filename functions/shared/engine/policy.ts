import { CronExpressionParser } from 'cron-parser';
import { DEFAULT_ENDPOINT_ALLOWLIST, type EndpointAllowlist, checkEndpoint } from '../endpoint-allowlist';
import { isHttpsOrLoopbackUrl } from '../endpoint-url';
import { PoolPhaseSchema, WorkloadTypeSchema } from '../modelarts/schemas';
import { formatFieldPath as formatPath, parseFields } from '../validation-issues';
import { z } from 'zod';
import { PolicyValidationError } from './errors';

/**
 * The policy item (ARCHITECTURE.md 3.1): one per pool, written by operators. Objects are strict so that a
 * misspelt field fails loudly instead of silently falling back to a default.
 */

const seconds = z.int().min(0);

/** The floor of minCount, said the same way whichever check finds it below. */
const MIN_COUNT_FLOOR = 'must be at least 1 (0 only with allowZero: true)';

/** One rate policy of the Kubernetes HPA `behavior` field, with `Pods` renamed to `Nodes`. */
export const ScalingRatePolicySchema = z.strictObject({
  type: z
    .enum(['Nodes', 'Percent'])
    .describe('Nodes: a number of nodes; Percent: a share of the count at the start of the period.'),
  value: z
    .int()
    .min(1)
    .describe('Nodes to add or remove, or the percentage of the nodes at the start of the period.'),
  periodSeconds: z
    .int()
    .min(1)
    .max(1800)
    .describe('The window the change is counted over (Kubernetes allows 1 to 1800).'),
});

export const SelectPolicySchema = z.enum(['Max', 'Min', 'Disabled']);

/** Kubernetes HPA defaults: scale up by the larger of 100 % or 4 nodes per 15 s, with no stabilization. */
export const DEFAULT_SCALE_UP = {
  stabilizationSeconds: 0,
  policies: [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Nodes', value: 4, periodSeconds: 15 },
  ],
  select: 'Max',
} as const;

/** Kubernetes HPA defaults: scale down by up to 100 % per 15 s after a 300 s stabilization window. */
export const DEFAULT_SCALE_DOWN = {
  stabilizationSeconds: 300,
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  select: 'Max',
} as const;

function scalingRulesSchema(defaults: typeof DEFAULT_SCALE_UP | typeof DEFAULT_SCALE_DOWN) {
  return z
    .strictObject({
      stabilizationSeconds: seconds
        .max(3600)
        .default(defaults.stabilizationSeconds)
        .describe('Past recommendations considered (Kubernetes allows 0 to 3600).'),
      policies: z
        .array(ScalingRatePolicySchema)
        .min(1)
        .default(() => defaults.policies.map((policy) => ({ ...policy })))
        .describe('Rate limits; `select` chooses among their proposals.'),
      select: SelectPolicySchema.default(defaults.select).describe(
        'Max: the policy allowing the largest change; Min: the smallest; Disabled: no scaling in this direction.',
      ),
    })
    .prefault({});
}

export const ScaleUpRulesSchema = scalingRulesSchema(DEFAULT_SCALE_UP);
export const ScaleDownRulesSchema = scalingRulesSchema(DEFAULT_SCALE_DOWN);

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function isValidCron(expression: string): boolean {
  try {
    CronExpressionParser.parse(expression, { strict: false });
    return true;
  } catch {
    return false;
  }
}

/** A recurring window (cron start + duration) that overrides the bounds while it is active. */
export const SchedulePolicySchema = z.strictObject({
  cron: z
    .string()
    .min(1)
    .refine(isValidCron, { message: 'is not a valid cron expression' })
    .describe('Five-field (or six with seconds) cron expression marking the start of each window.'),
  timezone: z
    .string()
    .default('UTC')
    .refine(isValidTimeZone, { message: 'is not a known IANA time zone' })
    .describe('IANA time zone the cron expression is read in.'),
  durationSeconds: z.int().min(1).describe('How long each window lasts from its start.'),
  minCount: z.int().min(0, MIN_COUNT_FLOOR).optional().describe('minCount while the window is active.'),
  maxCount: z.int().min(1).optional().describe('maxCount while the window is active.'),
  name: z.string().min(1).optional().describe('Shown in reason trails.'),
});

/** Karpenter-style steering around an AZ whose nodes stay `creating` or turn `abnormal`. */
export const AzBackoffSchema = z
  .strictObject({
    afterSeconds: z
      .int()
      .min(1)
      .default(1200)
      .describe(
        'How long an AZ may keep nodes creating without one becoming available, or keep abnormal nodes.',
      ),
    durationSeconds: z
      .int()
      .min(1)
      .default(600)
      .describe('How long new nodes avoid the AZ once it is backed off.'),
  })
  .prefault({});

/** What scale-in does with idle nodes that jobs are likely to reuse. */
export const IdleNodesSchema = z
  .strictObject({
    keepSeconds: seconds
      .max(86_400)
      .default(0)
      .describe(
        'An idle node is removed only once it has been idle this long: jobs arriving meanwhile start on it at once, and nodes freed by one burst of departures go in one request. 0 (the default, so that stored policies keep their behavior): idle nodes may go as soon as the demand allows; the shipped policies set 300, one provisioning delay.',
      ),
    reuseLeadSeconds: seconds
      .max(3600)
      .default(0)
      .describe(
        "Reuse-aware scale-in: beyond keepSeconds, as many idle nodes stay as the flavor's jobs asked for new nodes per this many seconds over the last reuseWindowSeconds (rounded: half a node or more keeps one), so a busy flavor keeps the nodes its next jobs will take and a quiet one lets them go. It never adds a node. Each evaluation then reads the pool's nodes. 0 (the default): off; the shipped policies set 300, one provisioning delay.",
      ),
    reuseWindowSeconds: z
      .int()
      .min(60)
      .max(86_400)
      .default(1200)
      .describe('How far back the requests of new nodes are counted for reuseLeadSeconds.'),
  })
  .prefault({});

/** Free whole nodes kept ahead of the demand, sized by the recent arrival rate. */
export const HeadroomSchema = z
  .strictObject({
    leadSeconds: seconds
      .max(3600)
      .default(0)
      .describe(
        "Keep free whole nodes for the units expected to arrive within this many seconds (a node's provisioning time), at the rate of the last windowSeconds: jobs then start at once instead of waiting for a new node. Each evaluation then reads the pool's nodes. 0: no headroom.",
      ),
    windowSeconds: z
      .int()
      .min(60)
      .max(86_400)
      .default(1800)
      .describe('How far back the rises of the demand are counted for the arrival rate.'),
  })
  .prefault({});

export const FlavorPolicySchema = z
  .strictObject({
    minCount: z
      .int()
      .min(0, MIN_COUNT_FLOOR)
      .default(1)
      .describe('Fewest nodes; at least 1 unless allowZero.'),
    maxCount: z.int().min(1).describe('Most nodes.'),
    unitsPerNode: z
      .number()
      .positive()
      .default(1)
      .describe('Capacity units (GPUs, NPUs, or 1 for whole nodes) one node provides.'),
    targetUtilization: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe("Share of each node's units the demand may fill: 0.8 keeps 20 % headroom."),
    activationUnits: z
      .number()
      .min(0)
      .default(1)
      .describe('Demand below which an idle flavor falls back to minCount (0 with allowZero).'),
    allowZero: z
      .boolean()
      .default(false)
      .describe(
        'ModelArts refuses 0-node entries; only pools or simulators that accept them may scale to zero.',
      ),
    azs: z
      .record(z.string().min(1), z.number().min(0))
      .optional()
      .describe('AZ weights; without them nodes spread evenly over the AZs the flavor already uses.'),
    scaleUp: ScaleUpRulesSchema.describe('Kubernetes HPA behavior.scaleUp (Pods called Nodes).'),
    scaleDown: ScaleDownRulesSchema.describe('Kubernetes HPA behavior.scaleDown (Pods called Nodes).'),
    schedules: z
      .array(SchedulePolicySchema)
      .default([])
      .describe('Windows overriding minCount/maxCount while active.'),
    azBackoff: AzBackoffSchema.describe('Steering around an AZ whose nodes stay creating or abnormal.'),
    headroom: HeadroomSchema.describe('Free whole nodes kept for the jobs the recent arrival rate expects.'),
    idleNodes: IdleNodesSchema.describe(
      'How long scale-in keeps idle nodes for the jobs expected to reuse them.',
    ),
  })
  .superRefine((flavor, ctx) => {
    const floor = flavor.allowZero ? 0 : 1;
    if (flavor.minCount < floor) {
      ctx.addIssue({
        code: 'custom',
        path: ['minCount'],
        message: MIN_COUNT_FLOOR,
      });
    }
    if (flavor.minCount > flavor.maxCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['minCount'],
        message: `must not exceed maxCount ${flavor.maxCount}`,
      });
    }
    if (flavor.azs !== undefined && !Object.values(flavor.azs).some((weight) => weight > 0)) {
      ctx.addIssue({ code: 'custom', path: ['azs'], message: 'needs at least one AZ with a weight above 0' });
    }
    flavor.schedules.forEach((schedule, index) => {
      if (schedule.minCount === undefined && schedule.maxCount === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['schedules', index],
          message: 'must override minCount, maxCount or both',
        });
      }
      if (schedule.minCount !== undefined && schedule.minCount < floor) {
        ctx.addIssue({
          code: 'custom',
          path: ['schedules', index, 'minCount'],
          message: MIN_COUNT_FLOOR,
        });
      }
      const ceiling = schedule.maxCount ?? flavor.maxCount;
      if (schedule.minCount !== undefined && schedule.minCount > ceiling) {
        ctx.addIssue({
          code: 'custom',
          path: ['schedules', index, 'minCount'],
          message: `must not exceed the maxCount in force (${ceiling})`,
        });
      }
      if (schedule.maxCount !== undefined && schedule.maxCount < (schedule.minCount ?? floor)) {
        ctx.addIssue({
          code: 'custom',
          path: ['schedules', index, 'maxCount'],
          message: 'must not be below the schedule minCount',
        });
      }
    });
  });

/** The label an operator puts on a node so that scale-in leaves it alone, like Karpenter's do-not-disrupt. */
export const DEFAULT_PROTECTION_LABEL = 'pool-autoscaler/do-not-remove';

export const PolicySchema = z.strictObject({
  pool: z.string().min(1).describe("The pool's `metadata.name`."),
  projectId: z.string().min(1).optional().describe('Huawei Cloud project id of the pool.'),
  region: z.string().min(1).optional().describe('Region of the pool, e.g. cn-north-4.'),
  endpoint: z
    .url({ protocol: /^https?$/ })
    .refine(isHttpsOrLoopbackUrl, { message: 'must be an https URL (http only for a loopback host)' })
    .optional()
    .describe('ModelArts endpoint, e.g. https://modelarts.cn-north-4.myhuaweicloud.com.'),
  enabled: z
    .boolean()
    .default(true)
    .describe('`false` pauses the pool: decisions are reported as `disabled` and nothing is patched.'),
  dryRun: z.boolean().default(false).describe('Decide and report the would-be PATCH without sending it.'),
  cooldownSeconds: seconds
    .default(60)
    .describe('Quiet time after a flavor was scaled before it is scaled again.'),
  staleAfterSeconds: z
    .int()
    .min(1)
    .default(300)
    .describe('Depth older than this is not trusted to scale down.'),
  scaleWhileChanging: z
    .boolean()
    .default(false)
    .describe(
      'false: no PATCH while any flavor of the pool has nodes creating or deleting (one change in flight per pool); true: scale anyway, counting creating nodes as capacity on its way.',
    ),
  scaleIn: z
    .enum(['nodes', 'patch'])
    .default('nodes')
    .describe(
      'nodes: scale-in removes chosen idle pay-per-use nodes with nodes/batch-delete, never one that runs a job; patch: lower the count and let the service choose which nodes go (it may pick nodes that run jobs).',
    ),
  protectionLabels: z
    .array(z.string().min(1))
    .default([DEFAULT_PROTECTION_LABEL])
    .describe(
      'Node labels that protect a node from scale-in (any value but "false"), besides a deletion lock (os.modelarts.node/lock.action).',
    ),
  resizablePhases: z
    .array(PoolPhaseSchema)
    .min(1)
    .default(['Running'])
    .describe('Pool phases in which the pool may be resized; the service documents only `Running`.'),
  demand: z
    .enum(['events', 'workloads', 'events+workloads'])
    .default('events')
    .describe(
      "Where demand comes from. events: job events on the queue keep the depth; workloads: the pool's own queued (Queue, Pending) and running workloads, read at every evaluation (no producer needed); events+workloads: job events, reconciled against the workloads every reconcileSeconds.",
    ),
  workloadTypes: z
    .array(WorkloadTypeSchema)
    .min(1)
    .default(['train'])
    .refine((types) => new Set(types).size === types.length, { message: 'must not repeat a type' })
    .describe(
      'Workload types whose queued and running workloads count as demand, when demand reads workloads.',
    ),
  reconcileSeconds: z
    .int()
    .min(30)
    .max(86_400)
    .default(300)
    .describe(
      'events+workloads: seconds between reconciliations of the depth against the workloads; at most staleAfterSeconds keeps a quiet queue trusted to scale down.',
    ),
  flavors: z.record(z.string().min(1), FlavorPolicySchema).describe('Per flavor name, how it scales.'),
});

export type Policy = z.output<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type FlavorPolicy = z.output<typeof FlavorPolicySchema>;
export type ScalingRules = z.output<typeof ScaleUpRulesSchema>;
export type ScalingRatePolicy = z.output<typeof ScalingRatePolicySchema>;
export type SelectPolicy = z.output<typeof SelectPolicySchema>;
export type SchedulePolicy = z.output<typeof SchedulePolicySchema>;
export type AzBackoffPolicy = z.output<typeof AzBackoffSchema>;

/** Dotted path with array indices in brackets: `flavors.f.scaleUp.policies[0].type`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  return formatPath(path, '(policy)');
}

/**
 * The key that points an editor at the policy's JSON Schema (`examples/policy.schema.json`): accepted in any
 * policy document and dropped before validation, so it is never stored or read as a setting.
 */
export const SCHEMA_KEY = '$schema';

function withoutSchemaKey(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input) || !(SCHEMA_KEY in input))
    return input;
  const { [SCHEMA_KEY]: _schema, ...rest } = input as Record<string, unknown>;
  return rest;
}

export interface ParsePolicyOptions {
  /** Where the policy's `endpoint` may point: the deployment's allowlist. @default Huawei Cloud's public hosts */
  endpointAllowlist?: EndpointAllowlist;
}

/**
 * Validates a policy item and fills the defaults; throws `PolicyValidationError` naming every bad field. The
 * endpoint is judged against the deployment's allowlist once the rest of the policy is valid.
 */
export function parsePolicy(input: unknown, options: ParsePolicyOptions = {}): Policy {
  const result = parseFields(PolicySchema, withoutSchemaKey(input), '(policy)');
  if (!result.success) throw new PolicyValidationError(result.issues);
  const { endpoint } = result.data;
  const verdict =
    endpoint === undefined
      ? undefined
      : checkEndpoint(endpoint, options.endpointAllowlist ?? DEFAULT_ENDPOINT_ALLOWLIST);
  if (verdict && !verdict.allowed) {
    throw new PolicyValidationError([{ field: 'endpoint', message: verdict.reason }]);
  }
  return result.data;
}

/** The policy's JSON Schema (input side: fields with defaults are optional), for editors and `policy validate`. */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PolicySchema, { io: 'input', target: 'draft-2020-12' }) as {
    properties: Record<string, unknown>;
  } & Record<string, unknown>;
  return {
    ...schema,
    properties: {
      [SCHEMA_KEY]: {
        type: 'string',
        description: 'The JSON Schema of this file, for editors; ignored by the autoscaler.',
      },
      ...schema.properties,
    },
  };
}
