import { formatFieldPath } from '../../functions/shared/validation-issues';

/** One difference between the stored policy document and the one being applied. */
export interface DocumentChange {
  field: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted: equal documents compare equal whatever order their keys were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isPlainObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * The fields that differ, objects compared field by field and anything else (numbers, lists) as a whole, as
 * `kubectl diff` shows them: the document is replaced as written, so a field left out is a field removed.
 */
export function diffDocuments(before: unknown, after: unknown, path: string[] = []): DocumentChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    // In the order of the document being applied (what the operator wrote), then what it leaves out.
    const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])];
    return keys.flatMap((key) => {
      const field = formatFieldPath([...path, key]);
      if (!(key in after)) return [{ field, kind: 'removed' as const, before: before[key] }];
      if (!(key in before)) return [{ field, kind: 'added' as const, after: after[key] }];
      return diffDocuments(before[key], after[key], [...path, key]);
    });
  }
  if (canonical(before) === canonical(after)) return [];
  return [{ field: formatFieldPath(path, '(document)'), kind: 'changed', before, after }];
}

const SIGNS = { added: '+', removed: '-', changed: '~' } as const;

/** `~ flavors.f.maxCount: 16 → 32`, `+ cooldownSeconds: 30`, `- dryRun (was true)`. */
export function formatChange(change: DocumentChange): string {
  const sign = SIGNS[change.kind];
  if (change.kind === 'added') return `${sign} ${change.field}: ${JSON.stringify(change.after)}`;
  if (change.kind === 'removed') return `${sign} ${change.field} (was ${JSON.stringify(change.before)})`;
  return `${sign} ${change.field}: ${JSON.stringify(change.before)} → ${JSON.stringify(change.after)}`;
}
