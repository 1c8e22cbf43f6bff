import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePolicy, PolicyValidationError } from '../../functions/shared/engine';
import { GPU } from './fixtures';
import { policySchemaFile, renderPolicySchema } from './policy-schema-file';

const minimal = { pool: 'pool-a', flavors: { [GPU]: { maxCount: 4 } } };

function withFlavor(flavor: Record<string, unknown>): unknown {
  return { pool: 'pool-a', flavors: { [GPU]: { maxCount: 4, ...flavor } } };
}

function fieldOf(input: unknown): string {
  try {
    parsePolicy(input);
  } catch (error) {
    if (error instanceof PolicyValidationError) return error.field;
    throw error;
  }
  throw new Error('policy was accepted');
}

describe('parsePolicy defaults', () => {
  const parsed = parsePolicy(minimal);
  const flavor = parsed.flavors[GPU];
  it.each([
    ['enabled', parsed.enabled, true],
    ['dryRun', parsed.dryRun, false],
    ['cooldownSeconds', parsed.cooldownSeconds, 60],
    ['staleAfterSeconds', parsed.staleAfterSeconds, 300],
    ['scaleWhileChanging', parsed.scaleWhileChanging, false],
    ['resizablePhases', parsed.resizablePhases, ['Running']],
    ['minCount', flavor?.minCount, 1],
    ['unitsPerNode', flavor?.unitsPerNode, 1],
    ['targetUtilization', flavor?.targetUtilization, 1],
    ['activationUnits', flavor?.activationUnits, 1],
    ['allowZero', flavor?.allowZero, false],
    ['schedules', flavor?.schedules, []],
    ['azBackoff', flavor?.azBackoff, { afterSeconds: 1200, durationSeconds: 600 }],
    [
      'scaleUp (HPA default: max of 100 % or 4 nodes per 15 s, no stabilization)',
      flavor?.scaleUp,
      {
        stabilizationSeconds: 0,
        policies: [
          { type: 'Percent', value: 100, periodSeconds: 15 },
          { type: 'Nodes', value: 4, periodSeconds: 15 },
        ],
        select: 'Max',
      },
    ],
    [
      'scaleDown (HPA default: 100 % per 15 s after 300 s stabilization)',
      flavor?.scaleDown,
      {
        stabilizationSeconds: 300,
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
        select: 'Max',
      },
    ],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('fills the fields a partial scaleDown leaves out from the HPA defaults', () => {
    const partial = parsePolicy(withFlavor({ scaleDown: { select: 'Min' } })).flavors[GPU];
    expect(partial?.scaleDown).toEqual({
      stabilizationSeconds: 300,
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      select: 'Min',
    });
  });

  it('gives every parsed policy its own copy of the default rate policies', () => {
    const a = parsePolicy(minimal).flavors[GPU];
    const b = parsePolicy(minimal).flavors[GPU];
    expect(a?.scaleUp.policies).not.toBe(b?.scaleUp.policies);
  });
});

describe('parsePolicy rejects and names the field', () => {
  it.each([
    ['unknown top-level field', { ...minimal, colour: 'red' }, 'colour'],
    ['unknown flavor field', withFlavor({ maxcount: 3 }), `flavors.${GPU}.maxcount`],
    [
      'unknown rate policy type',
      withFlavor({ scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] } }),
      `flavors.${GPU}.scaleUp.policies[0].type`,
    ],
    [
      'period above 1800 s',
      withFlavor({ scaleDown: { policies: [{ type: 'Nodes', value: 1, periodSeconds: 1801 }] } }),
      `flavors.${GPU}.scaleDown.policies[0].periodSeconds`,
    ],
    ['empty policy list', withFlavor({ scaleUp: { policies: [] } }), `flavors.${GPU}.scaleUp.policies`],
    ['unknown select', withFlavor({ scaleUp: { select: 'Avg' } }), `flavors.${GPU}.scaleUp.select`],
    [
      'stabilization above an hour',
      withFlavor({ scaleDown: { stabilizationSeconds: 3601 } }),
      `flavors.${GPU}.scaleDown.stabilizationSeconds`,
    ],
    ['minCount 0 without allowZero', withFlavor({ minCount: 0 }), `flavors.${GPU}.minCount`],
    ['minCount above maxCount', withFlavor({ minCount: 5 }), `flavors.${GPU}.minCount`],
    ['missing maxCount', { pool: 'pool-a', flavors: { [GPU]: {} } }, `flavors.${GPU}.maxCount`],
    ['fractional maxCount', withFlavor({ maxCount: 2.5 }), `flavors.${GPU}.maxCount`],
    ['targetUtilization above 1', withFlavor({ targetUtilization: 1.2 }), `flavors.${GPU}.targetUtilization`],
    ['unitsPerNode 0', withFlavor({ unitsPerNode: 0 }), `flavors.${GPU}.unitsPerNode`],
    ['all AZ weights 0', withFlavor({ azs: { a: 0 } }), `flavors.${GPU}.azs`],
    [
      'bad cron',
      withFlavor({ schedules: [{ cron: 'at eight', durationSeconds: 60, minCount: 2 }] }),
      `flavors.${GPU}.schedules[0].cron`,
    ],
    [
      'unknown time zone',
      withFlavor({
        schedules: [{ cron: '0 8 * * *', timezone: 'Mars/Olympus', durationSeconds: 60, minCount: 2 }],
      }),
      `flavors.${GPU}.schedules[0].timezone`,
    ],
    [
      'schedule overriding nothing',
      withFlavor({ schedules: [{ cron: '0 8 * * *', durationSeconds: 60 }] }),
      `flavors.${GPU}.schedules[0]`,
    ],
    [
      'schedule minCount above maxCount',
      withFlavor({ schedules: [{ cron: '0 8 * * *', durationSeconds: 60, minCount: 9 }] }),
      `flavors.${GPU}.schedules[0].minCount`,
    ],
    ['insecure-looking endpoint', { ...minimal, endpoint: 'ftp://host' }, 'endpoint'],
    ['plain http to a remote host', { ...minimal, endpoint: 'http://modelarts.example.com' }, 'endpoint'],
    ['unknown phase', { ...minimal, resizablePhases: ['Sleeping'] }, 'resizablePhases[0]'],
    ['no pool', { flavors: {} }, 'pool'],
  ])('%s', (_name, input, field) => {
    expect(fieldOf(input)).toBe(field);
  });

  it('lists every problem in the message', () => {
    expect(() => parsePolicy({ ...minimal, colour: 'red', cooldownSeconds: -1 })).toThrow(
      /colour: unknown field.*cooldownSeconds|cooldownSeconds.*colour: unknown field/,
    );
  });

  it('accepts plain http to a loopback endpoint only where loopback is enabled', () => {
    const endpoint = 'http://127.0.0.1:8443';
    const local = { endpointAllowlist: { hosts: [], loopback: true } };
    expect(parsePolicy({ ...minimal, endpoint }, local).endpoint).toBe(endpoint);
    expect(fieldOf({ ...minimal, endpoint })).toBe('endpoint');
  });

  it('accepts scale to zero when allowZero is set', () => {
    expect(parsePolicy(withFlavor({ minCount: 0, allowZero: true })).flavors[GPU]?.minCount).toBe(0);
  });
});

describe('shipped files', () => {
  it('examples/policy.json (the ARCHITECTURE example) validates', () => {
    const example = JSON.parse(readFileSync(new URL('../../examples/policy.json', import.meta.url), 'utf8'));
    const parsed = parsePolicy(example);
    expect(parsed.flavors[GPU]?.scaleUp.policies).toEqual([{ type: 'Nodes', value: 4, periodSeconds: 60 }]);
    expect(parsed.flavors[GPU]?.schedules[0]?.timezone).toBe('Asia/Shanghai');
  });

  it('examples/policy.schema.json is generated from the current schema (npx tsx test/engine/write-policy-schema.ts)', () => {
    const committed = JSON.parse(readFileSync(policySchemaFile, 'utf8'));
    expect(committed).toEqual(JSON.parse(renderPolicySchema()));
  });
});
