import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolSchema, type Pool } from '../../functions/shared/modelarts/schemas';
import { startModelArtsSimulator, type ModelArtsSimulator } from '../../simulator';
import { sendJson } from './http';

const PROVISION = 300_000;
const DELETION = 60_000;
const AZS = ['cn-north-4a', 'cn-north-4b'] as const;
const FLAVORS = ['modelarts.vm.gpu.8v100', 'modelarts.vm.cpu.8ud'] as const;
type State = 'creating' | 'available' | 'abnormal' | 'deleting';

/** A scaling step: new per-AZ counts of one flavor (with or without `azs`), then some time passing. */
const step = fc.record({
  flavor: fc.constantFrom(0, 1),
  perAz: fc
    .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))
    .filter(([a, b]) => a + b >= 1),
  withAzs: fc.boolean(),
  waitMs: fc.constantFrom(0, 1_000, DELETION, PROVISION),
});

function tally(pool: Pool, state: State, flavor: string, az?: string): number {
  return (pool.status.resources?.[state] ?? [])
    .filter((r) => r.flavor === flavor)
    .flatMap((r) => r.azs ?? [])
    .filter((a) => az === undefined || a.az === az)
    .reduce((sum, a) => sum + a.count, 0);
}

/** Seeds a physical pool with one node of each flavor, placed in `az` when given; returns its name. */
function seedOneNodePerFlavor(sim: ModelArtsSimulator, label: string, az?: string): string {
  return sim.seedPool({
    kind: 'Pool',
    apiVersion: 'v2',
    metadata: { labels: { 'os.modelarts/name': label } },
    spec: {
      type: 'Dedicate',
      network: { name: 'network-prop' },
      resources: FLAVORS.map((flavor) => ({ flavor, count: 1, ...(az ? { azs: [{ az, count: 1 }] } : {}) })),
    },
  }).metadata.name;
}

describe('node lifecycle invariants', () => {
  let sim: ModelArtsSimulator;
  let run = 0;
  const capacity = 5;

  beforeAll(async () => {
    sim = await startModelArtsSimulator({
      provisioningDelayMs: PROVISION,
      deletionDelayMs: DELETION,
      availabilityZones: [...AZS],
      azCapacity: { [AZS[0]]: capacity },
      now: () => Date.UTC(2026, 0, 1),
    });
  });
  afterAll(() => sim.close());

  it('live nodes match every accepted PATCH, capacity is never exceeded, and everything settles', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        run += 1;
        const name = seedOneNodePerFlavor(sim, `prop-${run}`, AZS[1]);
        const url = `${sim.url}/v2/${sim.projectId}/pools/${name}`;
        const resources: Record<string, unknown>[] = FLAVORS.map((flavor) => ({
          flavor,
          count: 1,
          azs: [{ az: AZS[1], count: 1 }],
        }));

        for (const { flavor, perAz, withAzs, waitMs } of steps) {
          const count = perAz[0] + perAz[1];
          resources[flavor] = withAzs
            ? { flavor: FLAVORS[flavor], count, azs: AZS.map((az, i) => ({ az, count: perAz[i]! })) }
            : { flavor: FLAVORS[flavor], count };
          const response = await sendJson(
            url,
            'PATCH',
            { spec: { resources } },
            'application/merge-patch+json',
          );
          expect(response.status).toBe(200);
          const pool = PoolSchema.parse(response.json);
          for (const [index, entry] of resources.entries()) {
            const f = FLAVORS[index]!;
            const live = (az?: string) => tally(pool, 'creating', f, az) + tally(pool, 'available', f, az);
            expect(live()).toBe(entry.count);
            for (const placed of (entry.azs ?? []) as { az: string; count: number }[]) {
              expect(live(placed.az)).toBe(placed.count);
            }
          }
          sim.advance(waitMs);
          // Placed nodes (available or deleting) of all pools never exceed the AZ's capacity.
          const occupied = sim
            .pools()
            .reduce(
              (sum, p) =>
                sum +
                FLAVORS.reduce(
                  (s, f) => s + tally(p, 'available', f, AZS[0]) + tally(p, 'deleting', f, AZS[0]),
                  0,
                ),
              0,
            );
          expect(occupied).toBeLessThanOrEqual(capacity);
        }

        await sendJson(url, 'DELETE');
        sim.advance(PROVISION + DELETION);
        expect(sim.pool(name)).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });

  it('without capacity limits every scale settles to exactly the requested nodes, all available', async () => {
    const free = await startModelArtsSimulator({
      provisioningDelayMs: PROVISION,
      deletionDelayMs: DELETION,
      availabilityZones: [...AZS],
    });
    try {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
          n += 1;
          const name = seedOneNodePerFlavor(free, `settle-${n}`);
          const url = `${free.url}/v2/${free.projectId}/pools/${name}`;
          const resources: Record<string, unknown>[] = FLAVORS.map((flavor) => ({ flavor, count: 1 }));
          const pinned = new Set<number>();
          for (const { flavor, perAz, withAzs, waitMs } of steps) {
            if (withAzs) pinned.add(flavor);
            const count = perAz[0] + perAz[1];
            resources[flavor] = withAzs
              ? { flavor: FLAVORS[flavor], count, azs: AZS.map((az, i) => ({ az, count: perAz[i]! })) }
              : { flavor: FLAVORS[flavor], count };
            expect(
              (await sendJson(url, 'PATCH', { spec: { resources } }, 'application/merge-patch+json')).status,
            ).toBe(200);
            free.advance(waitMs);
          }
          free.advance(PROVISION + DELETION);
          const pool = PoolSchema.parse((await sendJson(url, 'GET')).json);
          expect(pool.status.phase).toBe('Running');
          for (const [index, entry] of resources.entries()) {
            const f = FLAVORS[index]!;
            expect(tally(pool, 'available', f)).toBe(entry.count);
            expect(tally(pool, 'creating', f) + tally(pool, 'deleting', f) + tally(pool, 'abnormal', f)).toBe(
              0,
            );
          }
          // An entry never pinned with azs is spread evenly: its AZ counts differ by at most one.
          for (const index of [0, 1]) {
            if (pinned.has(index)) continue;
            const perAz = AZS.map((az) => tally(pool, 'available', FLAVORS[index]!, az));
            expect(Math.max(...perAz) - Math.min(...perAz)).toBeLessThanOrEqual(1);
          }
        }),
        { numRuns: 40 },
      );
    } finally {
      await free.close();
    }
  });
});
