import { PoolValidationError } from './errors';

/** One requirement of a `labelSelector` query (Kubernetes equality style: `k=v`, `k==v`, `k!=v`, `k`, `!k`). */
export type LabelRequirement =
  | { key: string; op: 'equals'; value: string }
  | { key: string; op: 'notEquals'; value: string }
  | { key: string; op: 'exists' }
  | { key: string; op: 'notExists' };

/** Comma-separated requirements, all of which must hold. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  return selector
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part): LabelRequirement => {
      const notEquals = part.indexOf('!=');
      if (notEquals > 0)
        return {
          key: part.slice(0, notEquals).trim(),
          op: 'notEquals',
          value: part.slice(notEquals + 2).trim(),
        };
      const equals = part.indexOf('=');
      if (equals > 0) {
        const value = part.slice(part.startsWith('==', equals) ? equals + 2 : equals + 1);
        return { key: part.slice(0, equals).trim(), op: 'equals', value: value.trim() };
      }
      if (part.startsWith('!') && part.length > 1) return { key: part.slice(1).trim(), op: 'notExists' };
      if (/^[^=!]+$/.test(part)) return { key: part, op: 'exists' };
      throw new PoolValidationError('labelSelector', `cannot parse requirement "${part}"`);
    });
}

export function matchesLabelSelector(
  requirements: LabelRequirement[],
  labels: Record<string, string>,
): boolean {
  return requirements.every((requirement) => {
    const value = labels[requirement.key];
    switch (requirement.op) {
      case 'equals':
        return value === requirement.value;
      case 'notEquals':
        return value !== requirement.value;
      case 'exists':
        return value !== undefined;
      case 'notExists':
        return value === undefined;
    }
  });
}
