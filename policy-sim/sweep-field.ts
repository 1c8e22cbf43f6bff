import { z } from 'zod';
import {
  FlavorPolicySchema,
  PolicySchema,
  PolicyValidationError,
  parsePolicy,
  type Policy,
} from '../functions/shared/engine';
import { closestName } from '../functions/shared/validation-issues';
import { SimulationInputError } from './errors';

/**
 * `--sweep FIELD=V1,V2,...`: one policy field and the values to replay it at. The field is a dotted path into
 * the policy item (`cooldownSeconds`), into one flavor (`flavors.<name>.minCount`, `flavors.*.minCount` for
 * every flavor), or a flavor field on its own (`scaleDown.stabilizationSeconds`), which means every flavor.
 * Array elements are `policies[0].value` (or `policies.0.value`).
 */
export interface SweepSpec {
  /** The field as written. */
  field: string;
  /** The values in the order given, read as JSON where they are (numbers, booleans), else as words. */
  values: Array<string | number | boolean | null>;
  /** The values as written, for labels. */
  labels: string[];
}

export type PathKey = string | number;

/** Flavor fields that describe the hardware or the trace's placement, not a choice a sweep can explore. */
const FIXED_FLAVOR_FIELDS = new Set(['unitsPerNode']);

function sweepError(spec: string, detail: string): SimulationInputError {
  return new SimulationInputError(`--sweep ${spec}: ${detail}`);
}

function readValue(text: string): string | number | boolean | null {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value))
      return value as string | number | boolean | null;
  } catch {
    // Not JSON: a word such as `patch` or `Max`.
  }
  return text;
}

/** Reads `FIELD=V1,V2,...`; every value non-empty, none repeated. */
export function parseSweepSpec(text: string): SweepSpec {
  const at = text.indexOf('=');
  if (at <= 0)
    throw sweepError(text, 'expected FIELD=V1,V2,... (e.g. scaleDown.stabilizationSeconds=0,300,900)');
  const field = text.slice(0, at).trim();
  const labels = text
    .slice(at + 1)
    .split(',')
    .map((value) => value.trim());
  if (labels.length === 0 || labels.some((value) => value === ''))
    throw sweepError(text, 'every value must be non-empty (V1,V2,...)');
  if (new Set(labels).size !== labels.length) throw sweepError(text, 'a value is repeated');
  return { field, values: labels.map(readValue), labels };
}

/** `a.b[0].c` → ['a', 'b', 0, 'c']; `a.b.0.c` reads the same. */
function pathKeys(field: string): PathKey[] {
  const keys: PathKey[] = [];
  for (const part of field.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (match === null || (match[1] === '' && match[2] === '')) return [];
    if (match[1] !== '')
      keys.push(/^\d+$/.test(match[1] as string) ? Number(match[1]) : (match[1] as string));
    for (const index of (match[2] as string).matchAll(/\[(\d+)\]/g)) keys.push(Number(index[1]));
  }
  return keys;
}

/** The schema beneath defaults, optionals and prefaults. */
function unwrapped(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodOptional
    )
      current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
    else return current;
  }
}

function showPath(keys: readonly PathKey[]): string {
  return keys
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? key : `.${key}`))
    .join('');
}

/**
 * Checks the path against the schema, from `schema` down; the error names the first key that is not a field
 * (with the closest known one) or the first key below a value that has no fields.
 */
function checkPath(
  spec: string,
  schema: z.ZodType,
  keys: readonly PathKey[],
  prefix: readonly PathKey[],
): void {
  let current = unwrapped(schema);
  keys.forEach((key, index) => {
    const here = showPath([...prefix, ...keys.slice(0, index + 1)]);
    if (current instanceof z.ZodObject) {
      const shape = current.shape as Record<string, z.ZodType>;
      if (typeof key !== 'string' || !(key in shape)) {
        const suggestion = typeof key === 'string' ? closestName(key, Object.keys(shape)) : undefined;
        throw sweepError(
          spec,
          `${here} is not a policy field${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}; ${showPath([...prefix, ...keys.slice(0, index)]) || 'the policy'} has ${Object.keys(shape).join(', ')}`,
        );
      }
      current = unwrapped(shape[key] as z.ZodType);
    } else if (current instanceof z.ZodArray) {
      if (typeof key !== 'number') throw sweepError(spec, `${here}: a list takes an index, e.g. [0]`);
      current = unwrapped(current.element as z.ZodType);
    } else if (current instanceof z.ZodRecord) {
      current = unwrapped(current.valueType as z.ZodType);
    } else {
      throw sweepError(spec, `${here}: ${showPath([...prefix, ...keys.slice(0, index)])} has no fields`);
    }
  });
  if (current instanceof z.ZodObject || current instanceof z.ZodArray || current instanceof z.ZodRecord)
    throw sweepError(spec, `${showPath([...prefix, ...keys])} is not a single value: name one of its fields`);
}

/**
 * The concrete paths into the policy the field stands for (one per flavor for a flavor field), checked against
 * the policy schema. Throws `SimulationInputError` naming the field.
 */
export function resolveSweepPaths(spec: SweepSpec, policy: Policy): PathKey[][] {
  const text = `${spec.field}=${spec.labels.join(',')}`;
  const flavorNames = Object.keys(policy.flavors);
  const flavorPaths = (flavors: readonly string[], rest: string): PathKey[][] => {
    const keys = pathKeys(rest);
    if (keys.length === 0) throw sweepError(text, `name a field of the flavor after flavors.<name>.`);
    checkPath(text, FlavorPolicySchema, keys, [
      'flavors',
      flavors.length === 1 ? (flavors[0] as string) : '*',
    ]);
    if (typeof keys[0] === 'string' && FIXED_FLAVOR_FIELDS.has(keys[0]))
      throw sweepError(text, `${keys[0]} is what a node holds, not a setting to sweep`);
    return flavors.map((name) => ['flavors', name, ...keys]);
  };
  if (spec.field.startsWith('flavors.')) {
    const rest = spec.field.slice('flavors.'.length);
    if (rest.startsWith('*.')) return flavorPaths(flavorNames, rest.slice(2));
    // Flavor names hold dots: the longest name the field starts with.
    const name = flavorNames
      .filter((candidate) => rest.startsWith(`${candidate}.`))
      .sort((a, b) => b.length - a.length)[0];
    if (name === undefined)
      throw sweepError(
        text,
        `no flavor of the policy starts the field (flavors: ${flavorNames.join(', ')}, or *)`,
      );
    return flavorPaths([name], rest.slice(name.length + 1));
  }
  const keys = pathKeys(spec.field);
  if (keys.length === 0) throw sweepError(text, 'the field is empty');
  const first = keys[0];
  const topFields = Object.keys(PolicySchema.shape);
  const flavorFields = Object.keys(FlavorPolicySchema.shape);
  if (typeof first === 'string' && topFields.includes(first)) {
    if (first === 'pool' || first === 'flavors' || first === 'endpoint')
      throw sweepError(text, `${first} is not a setting to sweep (a flavor field is flavors.<name>.<field>)`);
    checkPath(text, PolicySchema, keys, []);
    return [keys];
  }
  if (typeof first === 'string' && flavorFields.includes(first)) return flavorPaths(flavorNames, spec.field);
  const suggestion =
    typeof first === 'string' ? closestName(first, [...topFields, ...flavorFields]) : undefined;
  throw sweepError(
    text,
    `${String(first)} is neither a policy field nor a flavor field${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`,
  );
}

function setAt(target: unknown, keys: readonly PathKey[], value: unknown, spec: string): void {
  let current = target as Record<PathKey, unknown>;
  keys.slice(0, -1).forEach((key, index) => {
    const next = current[key];
    if (next === undefined) {
      if (typeof keys[index + 1] === 'number')
        throw sweepError(
          spec,
          `${showPath(keys.slice(0, index + 1))} is not set in the policy: no element to change`,
        );
      current[key] = {};
    } else if (typeof next !== 'object' || next === null) {
      throw sweepError(spec, `${showPath(keys.slice(0, index + 1))} holds no fields`);
    }
    if (Array.isArray(current[key]) && typeof keys[index + 1] === 'number') {
      const list = current[key] as unknown[];
      if ((keys[index + 1] as number) >= list.length)
        throw sweepError(
          spec,
          `${showPath(keys.slice(0, index + 2))}: the list has ${list.length} element(s)`,
        );
    }
    current = current[key] as Record<PathKey, unknown>;
  });
  current[keys[keys.length - 1] as PathKey] = value;
}

/**
 * The policy with the field at one value, validated again as any policy is; an invalid value is an error naming
 * the field and what is wrong.
 */
export function policyAtValue(
  policy: Policy,
  paths: readonly PathKey[][],
  spec: SweepSpec,
  index: number,
): Policy {
  const text = `${spec.field}=${spec.labels[index] as string}`;
  // The endpoint was judged against the deployment's allowlist when the file was read; a replay never calls it.
  const { endpoint, ...rest } = structuredClone(policy);
  const document = rest as unknown;
  for (const keys of paths) setAt(document, keys, spec.values[index], text);
  try {
    const parsed = parsePolicy(document);
    return endpoint === undefined ? parsed : { ...parsed, endpoint };
  } catch (error) {
    if (error instanceof PolicyValidationError)
      throw sweepError(text, error.issues.map((issue) => `${issue.field} ${issue.message}`).join('; '));
    throw error;
  }
}
