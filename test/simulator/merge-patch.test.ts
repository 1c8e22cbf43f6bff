import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolSchema, type Pool } from '../../functions/shared/modelarts/schemas';
import { demoPool, DEMO_FLAVORS, startModelArtsSimulator, type ModelArtsSimulator } from '../../simulator';
import { applyMergePatch, type JsonValue } from '../../simulator/merge-patch';
import { sendJson } from './http';

/** RFC 7396 appendix A, one line per example: target, patch, result. */
const rfcExamples: [target: JsonValue, patch: JsonValue, result: JsonValue][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [
    ['a', 'b'],
    ['c', 'd'],
    ['c', 'd'],
  ],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

const json = fc.jsonValue() as fc.Arbitrary<JsonValue>;

describe('applyMergePatch (RFC 7396)', () => {
  it.each(rfcExamples)('%j patched with %j gives %j', (target, patch, result) => {
    expect(applyMergePatch(target, patch)).toEqual(result);
  });

  it('replaces arrays whole: a resources list of one entry drops the others', () => {
    const target = {
      spec: {
        resources: [
          { flavor: 'a', count: 1, tags: [{ key: 'k', value: 'v' }] },
          { flavor: 'b', count: 2 },
        ],
      },
    };
    const patched = applyMergePatch(target, { spec: { resources: [{ flavor: 'a', count: 3 }] } });
    expect(patched).toEqual({ spec: { resources: [{ flavor: 'a', count: 3 }] } });
  });

  it('keeps a "__proto__" key as data', () => {
    const patched = applyMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(patched)).toBe(Object.prototype);
    expect(Object.keys(patched)).toEqual(['__proto__']);
  });

  it('never modifies its arguments', () => {
    fc.assert(
      fc.property(json, json, (target, patch) => {
        const [targetCopy, patchCopy] = [structuredClone(target), structuredClone(patch)];
        applyMergePatch(target, patch);
        expect(target).toEqual(targetCopy);
        expect(patch).toEqual(patchCopy);
      }),
    );
  });

  it('an empty object patch changes nothing in an object', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), (target) => {
        expect(applyMergePatch(target, {})).toEqual(target);
      }),
    );
  });

  it('applying the same patch twice gives the same result (idempotence)', () => {
    fc.assert(
      fc.property(json, json, (target, patch) => {
        const once = applyMergePatch(target, patch);
        expect(applyMergePatch(once, patch)).toEqual(once);
      }),
    );
  });
});

describe('merge-patch semantics of the simulated pool', () => {
  let sim: ModelArtsSimulator;
  let url: string;
  const patch = (body: unknown) => sendJson(url, 'PATCH', body, 'application/merge-patch+json');

  beforeAll(async () => {
    sim = await startModelArtsSimulator({
      provisioningDelayMs: 60_000,
      deletionDelayMs: 30_000,
      now: () => 1_800_000_000_000,
    });
    const pool = sim.seedPool(demoPool());
    url = `${sim.url}/v2/${sim.projectId}/pools/${pool.metadata.name}`;
  });
  afterAll(() => sim.close());

  it("a PATCH whose spec.resources leaves out a flavor entry removes all of that flavor's nodes", async () => {
    const before = PoolSchema.parse((await sendJson(url, 'GET')).json);
    const gpu = before.spec.resources.find((r) => r.flavor === DEMO_FLAVORS.gpu)!;
    const response = await patch({ spec: { resources: [{ ...gpu }] } });
    expect(response.status).toBe(200);
    const after = PoolSchema.parse(response.json);
    expect(after.spec.resources.map((r) => r.flavor)).toEqual([DEMO_FLAVORS.gpu]);
    expect(after.status.resources?.deleting).toEqual([
      {
        flavor: DEMO_FLAVORS.npu,
        count: 2,
        azs: [
          { az: 'cn-north-4a', count: 1 },
          { az: 'cn-north-4b', count: 1 },
        ],
      },
    ]);
    expect(after.status.resources?.available?.map((r) => r.flavor)).toEqual([DEMO_FLAVORS.gpu]);

    sim.advance(30_000);
    const gone = PoolSchema.parse((await sendJson(url, 'GET')).json);
    expect(flavorsIn(gone)).toEqual([DEMO_FLAVORS.gpu]);
  });

  it('fields left out of an entry are dropped from the spec, not kept from before', async () => {
    const before = PoolSchema.parse((await sendJson(url, 'GET')).json);
    const gpu = before.spec.resources[0]!;
    expect(gpu.tags).toBeDefined();
    const response = await patch({
      spec: { resources: [{ flavor: gpu.flavor, count: gpu.count, azs: gpu.azs }] },
    });
    const after = PoolSchema.parse(response.json);
    expect(after.spec.resources[0]).toEqual({ flavor: gpu.flavor, count: gpu.count, azs: gpu.azs });
  });

  it('objects merge key by key and null deletes an annotation', async () => {
    const response = await patch({
      metadata: {
        annotations: { 'os.modelarts/description': null, 'os.modelarts/scheduler.extension': 'high' },
      },
    });
    const after = PoolSchema.parse(response.json);
    expect(after.metadata.annotations?.['os.modelarts/description']).toBeUndefined();
    expect(after.metadata.annotations?.['os.modelarts/scheduler.extension']).toBe('high');
    expect(after.metadata.annotations?.['os.modelarts/billing.mode']).toBe('0');
  });

  it('a patch without spec.resources keeps every entry as it was', async () => {
    const before = PoolSchema.parse((await sendJson(url, 'GET')).json);
    const after = PoolSchema.parse((await patch({ spec: { scope: ['Train', 'Infer'] } })).json);
    expect(after.spec.resources).toEqual(before.spec.resources);
    expect(after.spec.scope).toEqual(['Train', 'Infer']);
  });
});

describe('flavor removal can be refused', () => {
  it("with flavorRemoval 'reject' a PATCH leaving out an entry is a 400 naming the flavor", async () => {
    const sim = await startModelArtsSimulator({ provisioningDelayMs: 0, flavorRemoval: 'reject' });
    try {
      const pool = sim.seedPool(demoPool());
      const url = `${sim.url}/v2/${sim.projectId}/pools/${pool.metadata.name}`;
      const response = await sendJson(
        url,
        'PATCH',
        { spec: { resources: [pool.spec.resources[0]] } },
        'application/merge-patch+json',
      );
      expect(response.status).toBe(400);
      expect((response.json as { error_msg: string }).error_msg).toContain(DEMO_FLAVORS.npu);
      expect(sim.pool(pool.metadata.name)?.spec.resources).toHaveLength(2);
    } finally {
      await sim.close();
    }
  });
});

function flavorsIn(pool: Pool): string[] {
  const states = pool.status.resources ?? {};
  return [
    ...new Set(
      [states.creating, states.available, states.abnormal, states.deleting].flatMap((list) =>
        (list ?? []).map((r) => r.flavor),
      ),
    ),
  ];
}
