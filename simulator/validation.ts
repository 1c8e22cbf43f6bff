import { z } from 'zod';
import {
  CreatePoolLabelsSchema,
  JobScopeSchema,
  LvmConfigSchema,
  PoolAnnotationsPatchSchema,
  PoolDescriptionSchema,
  PoolDriverSchema,
  PoolNodeAzSchema,
  PoolSharingSchema,
  PoolTypeSchema,
  UserTagSchema,
  VolumeGroupNameSchema,
  type PoolType,
} from '../functions/shared/modelarts/schemas';
import { fieldIssues, formatFieldPath, plainMessages } from '../functions/shared/validation-issues';
import { PoolValidationError } from './errors';
import { isJsonObject } from './merge-patch';

/*
 * Request validation as the seed documents describe it. Every failure becomes a 400 `ModelArts.50004000` whose
 * message names the field, e.g. `Bad request. spec.resources[0].count: must be at least 1`.
 */

const DISK_SIZE = /^[1-9][0-9]*(Gi)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([0-9]|[12][0-9]|3[0-2])$/;

const VOLUME_TYPES = ['SSD', 'GPSSD', 'SAS'] as const;

const nonEmptyString = z.string().min(1, 'must not be empty');
const scopeList = z
  .array(JobScopeSchema)
  .refine((scopes) => new Set(scopes).size === scopes.length, 'must not repeat a job type');

const DataVolumeRequest = z.looseObject({
  volumeType: z.enum(VOLUME_TYPES),
  size: z.string().regex(DISK_SIZE, 'must be a size in GiB such as "100" or "100Gi"'),
  count: z.int().min(1, 'must be at least 1').optional(),
  extendParams: z.looseObject({
    volumeGroup: VolumeGroupNameSchema,
  }),
});

const VolumeGroupConfigRequest = z
  .looseObject({
    volumeGroup: nonEmptyString,
    dockerThinPool: z.int().min(0).max(100).optional(),
    lvmConfig: LvmConfigSchema.optional(),
    types: z.array(z.enum(['volume', 'local'])).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.dockerThinPool !== undefined && config.volumeGroup !== 'vgpaas') {
      ctx.addIssue({
        code: 'custom',
        path: ['dockerThinPool'],
        message: 'is allowed only with volumeGroup vgpaas',
      });
    }
  });

/** One `spec.resources[]` entry (PoolResource), shared by create and update. Unknown fields are kept. */
export const PoolResourceRequest = z
  .looseObject({
    flavor: nonEmptyString,
    count: z.int().min(1, 'must be at least 1'),
    maxCount: z.int().min(1, 'must be at least 1').optional(),
    azs: z.array(PoolNodeAzSchema).optional(),
    tags: z.array(UserTagSchema).optional(),
    extendParams: z
      .looseObject({
        dockerBaseSize: z.string().optional(),
        postInstall: z.string().regex(BASE64, 'must be Base64').optional(),
        /** Simulator convention: the billing of this entry's nodes, as the pool annotation of that name. */
        'os.modelarts/billing.mode': z.enum(['0', '1']).optional(),
      })
      .optional(),
    creatingStep: z
      .looseObject({
        step: z.int().min(1, 'must be at least 1').optional(),
        type: z.enum(['rack', 'hyperinstance']).optional(),
      })
      .optional(),
    rootVolume: z
      .looseObject({
        volumeType: z.enum(VOLUME_TYPES),
        size: z.string().regex(DISK_SIZE, 'must be a size in GiB such as "100" or "100Gi"'),
      })
      .optional(),
    dataVolumes: z.array(DataVolumeRequest).optional(),
    volumeGroupConfigs: z.array(VolumeGroupConfigRequest).optional(),
  })
  .superRefine((entry, ctx) => {
    const step = entry.creatingStep?.step;
    if (step !== undefined) {
      if (entry.count % step !== 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['count'],
          message: `must be a multiple of creatingStep.step (${step})`,
        });
      }
      if (entry.maxCount !== undefined && entry.maxCount % step !== 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['maxCount'],
          message: `must be a multiple of creatingStep.step (${step})`,
        });
      }
    }
    if (entry.azs) {
      const seen = new Set<string>();
      entry.azs.forEach((az, index) => {
        if (seen.has(az.az))
          ctx.addIssue({ code: 'custom', path: ['azs', index, 'az'], message: 'must not repeat' });
        seen.add(az.az);
      });
      const sum = entry.azs.reduce((total, az) => total + az.count, 0);
      if (sum !== entry.count) {
        ctx.addIssue({
          code: 'custom',
          path: ['azs'],
          message: `counts sum to ${sum}, not to count ${entry.count}`,
        });
      }
    }
    if ((entry.dataVolumes?.length ?? 0) > 0 && (entry.volumeGroupConfigs?.length ?? 0) === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['volumeGroupConfigs'],
        message: 'is mandatory with dataVolumes',
      });
    }
  });
export type PoolResourceRequest = z.infer<typeof PoolResourceRequest>;

/** Annotation values are strings; the seed's logical-pool example sends `billing.mode: 0`, so numbers are taken as their text. */
function numbersAsText(value: unknown): unknown {
  if (!isJsonObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, typeof item === 'number' ? String(item) : item]),
  );
}

const CreatePoolAnnotations = z
  .object({
    'os.modelarts/description': PoolDescriptionSchema.optional(),
    'os.modelarts/billing.mode': z.enum(['0', '1']).optional(),
  })
  .catchall(z.string());

const CreatePoolRequest = z.looseObject({
  apiVersion: z.enum(['v1', 'v2']),
  kind: z.literal('Pool'),
  metadata: z.looseObject({
    labels: CreatePoolLabelsSchema,
    annotations: z.preprocess(numbersAsText, CreatePoolAnnotations).optional(),
  }),
  spec: z.looseObject({
    type: PoolTypeSchema,
    scope: scopeList.optional(),
    resources: z.array(PoolResourceRequest).min(1, 'must list at least one flavor'),
    parent: z.string().optional(),
    network: z.looseObject({ name: z.string().optional() }).optional(),
    containerNetwork: z
      .looseObject({ cidr: z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR').optional() })
      .optional(),
    kubernetesSvcIpRange: z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR').optional(),
    masters: z.array(z.looseObject({ az: z.string().optional() })).optional(),
    clusterFlavor: z.string().optional(),
    driver: PoolDriverSchema.optional(),
    ipv6enable: z.boolean().optional(),
  }),
});
export type CreatePoolRequest = z.infer<typeof CreatePoolRequest>;

const UpdatePoolRequest = z.strictObject({
  metadata: z
    .strictObject({
      labels: z
        .strictObject({
          'os.modelarts/workspace.id': z.string().optional(),
          'os.modelarts/sharing': PoolSharingSchema.nullable().optional(),
        })
        .optional(),
      annotations: PoolAnnotationsPatchSchema.optional(),
    })
    .optional(),
  spec: z
    .strictObject({
      scope: scopeList.optional(),
      resources: z.array(z.unknown()).optional(),
      driver: PoolDriverSchema.nullable().optional(),
      jobFlavors: z.array(z.string()).optional(),
    })
    .optional(),
});
export type UpdatePoolRequest = z.infer<typeof UpdatePoolRequest>;

export interface ResourceRules {
  poolType: PoolType;
  /** AZ names requests may place nodes in. */
  availabilityZones: readonly string[];
}

/** Validates a create (POST) body; returns it with label and annotation values as strings. */
export function validateCreatePool(body: unknown, availabilityZones: readonly string[]): CreatePoolRequest {
  const request = parseRequest(CreatePoolRequest, body);
  const { spec } = request;
  if (spec.type === 'Dedicate' && spec.network === undefined) {
    throw new PoolValidationError('spec.network', 'is mandatory for a physical (Dedicate) pool');
  }
  if (spec.type === 'Logical') {
    if (spec.network !== undefined)
      throw new PoolValidationError('spec.network', 'is not allowed for a logical pool');
    if (spec.masters !== undefined)
      throw new PoolValidationError('spec.masters', 'is not allowed for a logical pool');
  }
  checkResourceRules(spec.resources, { poolType: spec.type, availabilityZones });
  return request;
}

/** Validates the shape of a merge-patch (PATCH) body before it is merged. */
export function validateUpdatePool(body: unknown): UpdatePoolRequest {
  const request = parseRequest(UpdatePoolRequest, body);
  const labels = request.metadata?.labels;
  if (labels?.['os.modelarts/workspace.id'] !== undefined) {
    const others =
      Object.keys(labels).length > 1 ||
      request.metadata?.annotations !== undefined ||
      request.spec !== undefined;
    if (others) {
      throw new PoolValidationError(
        'metadata.labels.os.modelarts/workspace.id',
        'cannot be changed together with other modifications',
      );
    }
  }
  return request;
}

/** Validates the complete `spec.resources` list of a pool after a merge patch. */
export function validateMergedResources(resources: unknown, rules: ResourceRules): PoolResourceRequest[] {
  const entries = parseRequest(
    z.array(PoolResourceRequest).min(1, 'must list at least one flavor'),
    resources,
    { prefix: ['spec', 'resources'] },
  );
  checkResourceRules(entries, rules);
  return entries;
}

/** Rules that depend on the pool type and the region's AZs, which a schema alone cannot know. */
function checkResourceRules(entries: PoolResourceRequest[], rules: ResourceRules): void {
  const keys = new Set<string>();
  entries.forEach((entry, index) => {
    const at = `spec.resources[${index}]`;
    const key = resourceEntryKey(entry);
    if (keys.has(key))
      throw new PoolValidationError(`${at}.flavor`, `repeats the entry of flavor ${entry.flavor}`);
    keys.add(key);
    if (entry.maxCount !== undefined) {
      if (rules.poolType === 'Dedicate' && entry.maxCount !== entry.count) {
        throw new PoolValidationError(`${at}.maxCount`, 'must equal count in a physical (Dedicate) pool');
      }
      if (rules.poolType === 'Logical' && entry.maxCount < entry.count) {
        throw new PoolValidationError(`${at}.maxCount`, 'must be at least count in a logical pool');
      }
    }
    entry.azs?.forEach((az, azIndex) => {
      if (!rules.availabilityZones.includes(az.az)) {
        throw new PoolValidationError(`${at}.azs[${azIndex}].az`, `unknown availability zone ${az.az}`);
      }
    });
  });
}

/** Entries are told apart by flavor and node pool, as the service and Terraform do. */
export function resourceEntryKey(entry: { flavor: string; nodePool?: unknown }): string {
  return typeof entry.nodePool === 'string' ? `${entry.flavor}|${entry.nodePool}` : entry.flavor;
}

/** How a request's first problem is worded, in the service's style. */
export interface RequestWording {
  /** Path of the validated part inside the request body. */
  prefix?: PropertyKey[];
  /** For a field the schema does not know. @default 'is not an updatable field' */
  unknownField?: string;
}

/**
 * Validates a request (body or query) and throws the service's 400 for its first problem (ModelArts reports
 * one): a missing field `is mandatory`, an unknown one as `unknownField`, the rest in plain words.
 */
export function parseRequest<T extends z.ZodType>(
  schema: T,
  input: unknown,
  wording: RequestWording = {},
): z.output<T> {
  const prefix = wording.prefix ?? [];
  const result = schema.safeParse(input, {
    error: (issue) =>
      issue.input === undefined && issue.code === 'invalid_type' ? 'is mandatory' : plainMessages(issue),
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new PoolValidationError(formatFieldPath(prefix, 'body'), 'is invalid');
  if (issue.code === 'unrecognized_keys') {
    throw new PoolValidationError(
      formatFieldPath([...prefix, ...issue.path, issue.keys[0] ?? ''], 'body'),
      wording.unknownField ?? 'is not an updatable field',
    );
  }
  if (issue.path.length === 0 && prefix.length === 0 && !isJsonObject(input))
    throw new PoolValidationError('body', 'must be a JSON object');
  const [first] = fieldIssues([{ ...issue, path: [...prefix, ...issue.path] }], 'body');
  throw new PoolValidationError(first?.field ?? 'body', first?.message ?? 'is invalid');
}
