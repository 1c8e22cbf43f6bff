import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../functions/shared/config';
import { PolicyValidationError, parsePolicy } from '../../functions/shared/engine';
import { InvalidEventError, parseEvent } from '../../functions/shared/events';
import { JsonSyntaxError, parseJsonText } from '../../functions/shared/json-text';
import { closestName, formatIssues, parseFields } from '../../functions/shared/validation-issues';

const FLAVOR = 'modelarts.vm.gpu.8v100';
const POOL = 'pool-a-6f5da086876d4cd084d36f8bd3346036';

function policyIssues(input: unknown): string[] {
  try {
    parsePolicy(input);
  } catch (error) {
    if (error instanceof PolicyValidationError)
      return error.issues.map((issue) => `${issue.field}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('one wording for every validated input', () => {
  const Schema = z.strictObject({
    name: z.string(),
    count: z.int().min(1).max(10),
    mode: z.enum(['fast', 'slow']),
    tags: z.array(z.string()).min(1),
    url: z.url().optional(),
  });

  it.each([
    ['a missing field', { name: undefined }, 'name: is required'],
    [
      'a wrong type, naming the kind found and never the value',
      { name: 7 },
      'name: must be a string, not a number',
    ],
    ['a number below the minimum', { count: 0 }, 'count: must be at least 1'],
    ['a number above the maximum', { count: 11 }, 'count: must be at most 10'],
    ['a fraction where a whole number is due', { count: 1.5 }, 'count: must be a whole number, not a number'],
    ['an unknown option', { mode: 'medium' }, 'mode: must be one of "fast", "slow"'],
    ['an empty list', { tags: [] }, 'tags: must not be empty'],
    ['an element of a list', { tags: [1] }, 'tags[0]: must be a string, not a number'],
    ['a bad URL', { url: 'not a url' }, 'url: must be a URL'],
    ['a typo, with the field it meant', { cont: 1 }, 'cont: unknown field (did you mean count?)'],
    ['an unknown field like no other', { colour: 'red' }, 'colour: unknown field'],
  ])('%s', (_name, input, line) => {
    const parsed = parseFields(Schema, { name: 'n', count: 1, mode: 'fast', tags: ['a'], ...input });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(formatIssues(parsed.issues)).toContain(line);
  });

  it('reports every problem, not only the first', () => {
    const parsed = parseFields(Schema, { count: 0, mode: 'x', tags: [] });
    expect(parsed.success ? [] : parsed.issues.map((issue) => issue.field)).toEqual([
      'name',
      'count',
      'mode',
      'tags',
    ]);
  });

  it.each([
    ['maxcount', ['minCount', 'maxCount'], 'maxCount'],
    ['maxCont', ['minCount', 'maxCount'], 'maxCount'],
    ['unitPerNode', ['unitsPerNode', 'targetUtilization'], 'unitsPerNode'],
    ['colour', ['cooldownSeconds', 'pool'], undefined],
    ['x', ['y', 'pool'], 'y'],
  ])('closestName(%j) is %j', (name, candidates, expected) => {
    expect(closestName(name, candidates)).toBe(expected);
  });
});

describe('the call sites use it', () => {
  it('policies: "is required", the real floor of minCount, did-you-mean, every issue', () => {
    expect(policyIssues({ flavors: {} })).toEqual(['pool: is required']);
    expect(policyIssues({ pool: 'p', flavors: { [FLAVOR]: { minCount: -1, maxCount: 4 } } })).toEqual([
      `flavors.${FLAVOR}.minCount: must be at least 1 (0 only with allowZero: true)`,
    ]);
    expect(policyIssues({ pool: 'p', flavors: { [FLAVOR]: { minCount: 0, maxCount: 4 } } })).toEqual([
      `flavors.${FLAVOR}.minCount: must be at least 1 (0 only with allowZero: true)`,
    ]);
    expect(
      policyIssues({ pool: 'p', cooldownSecond: 3, flavors: { [FLAVOR]: { maxcount: 4, unitsPerNode: 0 } } }),
    ).toEqual([
      `flavors.${FLAVOR}.maxCount: is required`,
      `flavors.${FLAVOR}.unitsPerNode: must be above 0`,
      `flavors.${FLAVOR}.maxcount: unknown field (did you mean maxCount?)`,
      `cooldownSecond: unknown field (did you mean cooldownSeconds?)`,
    ]);
  });

  it('policies: "$schema" (an editor\'s pointer to the JSON Schema) is accepted and dropped', () => {
    const policy = parsePolicy({
      $schema: '../policy.schema.json',
      pool: 'p',
      flavors: { [FLAVOR]: { maxCount: 4 } },
    });
    expect(policy).not.toHaveProperty('$schema');
    expect(policy.flavors[FLAVOR]?.maxCount).toBe(4);
  });

  it('events: the first field named, every problem in the message', () => {
    const body = JSON.stringify({ type: 'job.submitted', pool: POOL, flavor: 'f', units: 0, at: 'now' });
    const error = (() => {
      try {
        parseEvent(body);
      } catch (caught) {
        return caught as InvalidEventError;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error.field).toBe('jobId');
    expect(error.message).toBe(
      'jobId: is required; units: must be at least 1; at: must be an ISO-8601 date-time with offset or Z',
    );
    expect(() => parseEvent('{"type":"job.paused"}')).toThrow(/^type: must be one of job\.submitted, /);
    expect(() => parseEvent('{"pool":"p"}')).toThrow(/^type: is required/);
    expect(() => parseEvent('{"type": "pool.evaluate",\n "pool": }')).toThrow(
      "body is not JSON (line 2, column 10: expected a value, found '}')",
    );
  });

  it("the Lambdas' environment: every bad variable", () => {
    expect(() => loadConfig({ POLICIES_TABLE: 'x' })).toThrow(
      /^environment variable POLICIES_TABLE: must name a DynamoDB table; DEPTH_TABLE: is required;/,
    );
  });
});

describe('JSON syntax errors by line and column', () => {
  it.each([
    ['a missing value', '{\n  "pool": \n}', 3, 1, "expected a value, found '}'"],
    ['a trailing comma', '{\n  "a": 1,\n}', 3, 1, 'expected a property name (no comma before })'],
    ['a missing colon', '{"a" 1}', 1, 6, "expected ':' after the property name, found '1'"],
    ['a missing comma', '[1\n 2]', 2, 2, "expected ',' or ']', found '2'"],
    ['an unterminated object', '{"a": 1', 1, 8, "expected ',' or '}', found end of input"],
    ['a single-quoted name', "{'a': 1}", 1, 2, "expected a property name in double quotes, found '''"],
    ['text after the value', '{} x', 1, 4, "expected the end of the input after the value, found 'x'"],
    ['an empty file', '  \n', 2, 1, 'empty input, expected JSON'],
  ])('%s', (_name, text, line, column, detail) => {
    expect(() => parseJsonText(text)).toThrow(JsonSyntaxError);
    expect(() => parseJsonText(text)).toThrow(`line ${line}, column ${column}: ${detail}`);
  });

  it('reads what JSON.parse reads, a byte-order mark aside', () => {
    expect(parseJsonText('\uFEFF{"a": [1, "x", null, true]}')).toEqual({ a: [1, 'x', null, true] });
  });
});
