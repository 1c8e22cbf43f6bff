import { z } from 'zod';

/**
 * Every validated input (policies, events, the Lambdas' environment, ModelArts requests and responses, the
 * simulator's API, the command line) reports its problems the same way: one `field: message` line per problem,
 * all of them, in plain words. zod gives the issues and their paths; this module gives the words.
 */

/** One problem of an input: the dotted path of the field and what is wrong with it. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** Dotted path with array indices in brackets: `flavors.f.scaleUp.policies[0].type`; `root` when empty. */
export function formatFieldPath(path: readonly PropertyKey[], root = '(input)'): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text === '' ? root : text;
}

/** Levenshtein distance, for suggesting the field a typo meant. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known name a mistyped one most likely meant: the closest by edit distance (case ignored), if it is within a
 * third of the name's length (at least 1, at most 3 edits), so `maxcount` and `maxCont` find `maxCount` but `colour`
 * finds nothing.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance))
      best = { name: candidate, distance };
  }
  return best?.name;
}

/** Separates the per-key messages of one `unrecognized_keys` issue (see `plainMessages`). */
const KEY_MESSAGE_SEPARATOR = '\n';

function unknownFieldMessage(key: string, known: readonly string[]): string {
  const suggestion = closestName(key, known);
  return suggestion === undefined ? 'unknown field' : `unknown field (did you mean ${suggestion}?)`;
}

function knownKeys(inst: unknown): string[] {
  const def = (inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def;
  return def?.shape !== undefined && typeof def.shape === 'object' && def.shape !== null
    ? Object.keys(def.shape)
    : [];
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  bigint: 'an integer',
  date: 'a date',
  null: 'null',
};

/** The kind of value found, never the value itself: inputs may carry keys and tokens. */
function received(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'number' && Number.isNaN(input)) return 'NaN';
  if (typeof input === 'object') return 'an object';
  return `a ${typeof input}`;
}

function sizeMessage(
  origin: string,
  bound: number | bigint,
  inclusive: boolean | undefined,
  side: 'min' | 'max',
): string {
  const limit = Number(bound);
  if (origin === 'string' || origin === 'array' || origin === 'set' || origin === 'file') {
    const noun = origin === 'string' ? 'character' : 'entr';
    const plural = (count: number): string =>
      origin === 'string'
        ? `${count} ${noun}${count === 1 ? '' : 's'}`
        : `${count} ${noun}${count === 1 ? 'y' : 'ies'}`;
    if (side === 'min') return limit <= 1 ? 'must not be empty' : `needs at least ${plural(limit)}`;
    return `takes at most ${plural(limit)}`;
  }
  if (side === 'min') return inclusive === false ? `must be above ${limit}` : `must be at least ${limit}`;
  return inclusive === false ? `must be below ${limit}` : `must be at most ${limit}`;
}

/**
 * The wording of the issues a schema gives no message of its own: `is required` for a missing field, the type
 * expected, the bounds, the allowed values, and `unknown field (did you mean maxCount?)` for a typo. Pass it to
 * `safeParse(input, { error: plainMessages })`, or use `parseFields`.
 */
export const plainMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}, not ${received(issue.input)}`;
    case 'too_small':
      return sizeMessage(issue.origin, issue.minimum, issue.inclusive, 'min');
    case 'too_big':
      return sizeMessage(issue.origin, issue.maximum, issue.inclusive, 'max');
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_format':
      if (issue.format === 'url') return 'must be a URL';
      if (issue.format === 'datetime') return 'must be an ISO 8601 time, e.g. 2026-11-22T10:00:00Z';
      if (issue.format === 'regex') return 'is not in the expected format';
      return `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys': {
      const known = knownKeys(issue.inst);
      return issue.keys.map((key) => unknownFieldMessage(key, known)).join(KEY_MESSAGE_SEPARATOR);
    }
    case 'invalid_key':
      return 'is not a valid key';
    case 'invalid_union': {
      const { discriminator, options } = issue as { discriminator?: string; options?: unknown[] };
      if (discriminator === undefined) return undefined;
      const input = issue.input as Record<string, unknown> | undefined;
      if (input?.[discriminator] === undefined) return 'is required';
      return `must be one of ${(options ?? []).map((option) => JSON.stringify(option)).join(', ')}`;
    }
    default:
      return undefined;
  }
};

/** A schema-level message for a field that must be there: `is required` when missing, else `message`. */
export function requiredOr(message: string): (issue: z.core.$ZodRawIssue) => string {
  return (issue) => (issue.input === undefined && issue.code === 'invalid_type' ? 'is required' : message);
}

/**
 * The issues as `field: message` pairs, one per unknown key, each said once (a field's own check and a rule over
 * the whole object may find the same problem); `root` names the input itself. `depth` keeps only that many keys
 * of a path: 1 names an environment variable or a setting, not the list element its value was parsed into.
 */
export function fieldIssues(
  issues: readonly z.core.$ZodIssue[],
  root = '(input)',
  depth = Number.POSITIVE_INFINITY,
): FieldIssue[] {
  const seen = new Set<string>();
  const trimmed = issues.map((issue) =>
    issue.path.length > depth && issue.code !== 'unrecognized_keys'
      ? { ...issue, path: issue.path.slice(0, depth) }
      : issue,
  );
  return trimmed.flatMap(splitKeys(root)).filter((issue) => {
    const line = `${issue.field}\u0000${issue.message}`;
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
}

function splitKeys(root: string): (issue: z.core.$ZodIssue) => FieldIssue[] {
  return (issue) => {
    if (issue.code !== 'unrecognized_keys')
      return [{ field: formatFieldPath(issue.path, root), message: issue.message }];
    const messages = issue.message.split(KEY_MESSAGE_SEPARATOR);
    return issue.keys.map((key, index) => ({
      field: formatFieldPath([...issue.path, key], root),
      message: messages.length === issue.keys.length ? (messages[index] ?? 'unknown field') : 'unknown field',
    }));
  };
}

export type FieldsResult<T> = { success: true; data: T } | { success: false; issues: FieldIssue[] };

/** Validates `input` with the plain wording; on failure every issue, as `field: message` pairs (see `fieldIssues`). */
export function parseFields<S extends z.ZodType>(
  schema: S,
  input: unknown,
  root = '(input)',
  depth = Number.POSITIVE_INFINITY,
): FieldsResult<z.output<S>> {
  const parsed = schema.safeParse(input, { error: plainMessages });
  if (parsed.success) return { success: true, data: parsed.data };
  return { success: false, issues: fieldIssues(parsed.error.issues, root, depth) };
}

/** `field: message` lines. */
export function issueLines(issues: readonly FieldIssue[]): string[] {
  return issues.map((issue) => `${issue.field}: ${issue.message}`);
}

/** The issues on one line, `; ` between them; past `limit` (for inputs of unbounded size) only their number. */
export function formatIssues(issues: readonly FieldIssue[], limit = Number.POSITIVE_INFINITY): string {
  const lines = issueLines(issues.slice(0, limit));
  if (issues.length > limit) lines.push(`and ${issues.length - limit} more`);
  return lines.join('; ');
}
