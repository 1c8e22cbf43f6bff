import { describe, expect, it } from 'vitest';
import { buildPatchBody, FlavorEntryNotFoundError, InvalidTargetError } from '../../functions/shared/engine';
import type { PoolResource } from '../../functions/shared/modelarts/schemas';
import { CPU, GPU, pool } from './fixtures';

const richEntry: PoolResource = {
  flavor: GPU,
  count: 2,
  maxCount: 2,
  azs: [
    { az: 'a', count: 1 },
    { az: 'b', count: 1 },
  ],
  tags: [{ key: 'team', value: 'vision' }],
  extendParams: { dockerBaseSize: '100', postInstall: 'ZWNobyBoaQ==', vendorFlag: { nested: [1, 2] } },
  creatingStep: { step: 1, type: 'rack' },
  rootVolume: { volumeType: 'SSD', size: '100' },
  dataVolumes: [{ volumeType: 'SSD', size: '500', count: 1, extendParams: { volumeGroup: 'vgpaas' } }],
  volumeGroupConfigs: [{ volumeGroup: 'vgpaas', dockerThinPool: 90, lvmConfig: { lvType: 'linear' } }],
  network: { name: 'net-1' },
  taints: [{ key: 'gpu', effect: 'NoSchedule' }],
};
const cpuEntry: PoolResource = { flavor: CPU, count: 3, maxCount: 3, labels: { role: 'cpu' } };

describe('buildPatchBody', () => {
  const current = pool({ resources: [richEntry, cpuEntry] });

  it('carries every entry with every field, changing only the sizing of scaled flavors', () => {
    const azs = [
      { az: 'a', count: 2 },
      { az: 'b', count: 2 },
    ];
    const patch = buildPatchBody(current, [{ flavor: GPU, count: 4, maxCount: 4, azs }]);
    expect(patch).toEqual({ spec: { resources: [{ ...richEntry, count: 4, maxCount: 4, azs }, cpuEntry] } });
  });

  it('deep-copies: the pool read from the API is not modified', () => {
    const before = structuredClone(current);
    const patch = buildPatchBody(current, [{ flavor: CPU, count: 5, maxCount: 5 }]);
    expect(current).toEqual(before);
    patch!.spec!.resources![0]!.extendParams!.dockerBaseSize = 'changed';
    expect(current.spec.resources[0]?.extendParams?.dockerBaseSize).toBe('100');
  });

  it('keeps a field named __proto__ as data', () => {
    const hostile = JSON.parse(
      `{"flavor":"${CPU}","count":1,"extendParams":{"__proto__":{"polluted":true}}}`,
    );
    const patch = buildPatchBody(pool({ resources: [hostile] }), [{ flavor: CPU, count: 2 }]);
    const copied = patch?.spec?.resources?.[0]?.extendParams as Record<string, unknown>;
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(Object.keys(copied)).toEqual(['__proto__']);
    expect(JSON.stringify(patch)).toContain('"__proto__":{"polluted":true}');
  });

  it.each([
    ['no targets', []],
    ['targets equal to the current sizes', [{ flavor: CPU, count: 3, maxCount: 3 }]],
    [
      'same AZ counts in another order',
      [
        {
          flavor: GPU,
          count: 2,
          maxCount: 2,
          azs: [
            { az: 'b', count: 1 },
            { az: 'a', count: 1 },
          ],
        },
      ],
    ],
  ])('returns null for %s', (_name, targets) => {
    expect(buildPatchBody(current, targets)).toBeNull();
  });

  it.each([
    ['an unknown flavor', { flavor: 'modelarts.vm.npu.1', count: 1 }, FlavorEntryNotFoundError],
    [
      'AZ counts not summing to count',
      { flavor: GPU, count: 3, maxCount: 3, azs: [{ az: 'a', count: 1 }] },
      InvalidTargetError,
    ],
    [
      'a new count without new azs on an entry placed per AZ',
      { flavor: GPU, count: 3, maxCount: 3 },
      InvalidTargetError,
    ],
    ['maxCount != count in a physical pool', { flavor: CPU, count: 4, maxCount: 6 }, InvalidTargetError],
    ['a negative count', { flavor: CPU, count: -1, maxCount: -1 }, InvalidTargetError],
    [
      'an AZ named twice',
      {
        flavor: GPU,
        count: 2,
        maxCount: 2,
        azs: [
          { az: 'a', count: 1 },
          { az: 'a', count: 1 },
        ],
      },
      InvalidTargetError,
    ],
  ])('refuses %s', (_name, target, error) => {
    expect(() => buildPatchBody(current, [target])).toThrow(error);
  });

  it('refuses maxCount below count in a logical pool but accepts a higher one', () => {
    const logical = pool({ type: 'Logical', resources: [{ flavor: CPU, count: 2, maxCount: 4 }] });
    expect(() => buildPatchBody(logical, [{ flavor: CPU, count: 5 }])).toThrow(InvalidTargetError);
    expect(buildPatchBody(logical, [{ flavor: CPU, count: 3 }])).toEqual({
      spec: { resources: [{ flavor: CPU, count: 3, maxCount: 4 }] },
    });
  });

  it('picks the entry by nodePool when several share a flavor', () => {
    const shared = pool({
      resources: [
        { flavor: CPU, count: 1, nodePool: 'pool-one' },
        { flavor: CPU, count: 1, nodePool: 'pool-two' },
      ],
    });
    expect(() => buildPatchBody(shared, [{ flavor: CPU, count: 2 }])).toThrow(FlavorEntryNotFoundError);
    expect(
      buildPatchBody(shared, [{ flavor: CPU, nodePool: 'pool-two', count: 2 }])?.spec?.resources,
    ).toEqual([
      { flavor: CPU, count: 1, nodePool: 'pool-one' },
      { flavor: CPU, count: 2, nodePool: 'pool-two' },
    ]);
  });
});
