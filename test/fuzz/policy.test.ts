import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PolicyValidationError, parsePolicy } from '../../functions/shared/engine';

const EXAMPLE = JSON.parse(
  readFileSync(new URL('../../examples/policy.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Paths to every value of a JSON document, so a mutation can land anywhere, nested fields included. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value)
    ? value.map((item, i) => [String(i), item] as const)
    : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => paths(item, [...prefix, key]))];
}

function mutate(
  document: unknown,
  path: string[],
  action: 'delete' | 'replace' | 'add',
  value: Json,
): unknown {
  const copy = structuredClone(document) as Record<string, unknown>;
  if (path.length === 0) return action === 'replace' ? value : copy;
  let parent: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  if (action === 'delete') delete parent[last];
  else if (action === 'replace') parent[last] = value;
  else if (typeof parent === 'object' && parent !== null && !Array.isArray(parent))
    parent[`${last}Extra`] = value;
  return copy;
}

const EXAMPLE_PATHS = paths(EXAMPLE);
const hugeOrOdd = fc.oneof(
  fc.constantFrom<Json>(-1, 0, 1e308, -1e308, 2 ** 53 + 1, 0.5, '', 'NaN', '1', true, null, [], {}),
  fc.jsonValue() as fc.Arbitrary<Json>,
  fc.string({ maxLength: 5000 }),
);

/** A policy either parses or fails with a PolicyValidationError naming a field; nothing else ever escapes. */
function expectClearOutcome(input: unknown): void {
  try {
    const policy = parsePolicy(input);
    expect(typeof policy.pool).toBe('string');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyValidationError);
    const validation = error as PolicyValidationError;
    expect(validation.field.length).toBeGreaterThan(0);
    expect(validation.issues.length).toBeGreaterThan(0);
    expect(validation.message).toContain(validation.issues[0]?.field ?? '');
    expect(validation.message.length).toBeLessThan(20_000);
  }
}

describe('parsePolicy under fuzzed policy items', () => {
  it('the shipped example is valid', () => {
    expect(() => parsePolicy(EXAMPLE)).not.toThrow();
  });

  it('a mutation anywhere in a valid policy parses or names the field', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EXAMPLE_PATHS),
        fc.constantFrom('delete', 'replace', 'add') as fc.Arbitrary<'delete' | 'replace' | 'add'>,
        hugeOrOdd,
        (path, action, value) => expectClearOutcome(mutate(EXAMPLE, path, action, value)),
      ),
      { numRuns: 400 },
    );
  });

  it('arbitrary JSON values never escape as anything but a PolicyValidationError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectClearOutcome(value)),
      { numRuns: 300 },
    );
  });

  it('an unknown field is rejected by name', () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 20 })
          .filter((key) => !(key in EXAMPLE) && /^[a-zA-Z]+$/.test(key)),
        (key) => {
          expect(() => parsePolicy({ ...EXAMPLE, [key]: 1 })).toThrow(PolicyValidationError);
          try {
            parsePolicy({ ...EXAMPLE, [key]: 1 });
          } catch (error) {
            expect((error as Error).message).toContain(key);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
