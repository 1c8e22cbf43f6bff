import { decide, initialScalerState, parsePolicy, type DecisionInput } from '../functions/shared/engine';
import type { Pool, PoolResource } from '../functions/shared/modelarts/schemas';
import { benchLine, benchNote } from './format';

const ZONES = ['cn-north-4a', 'cn-north-4b', 'cn-north-4c'];
const T0 = Date.parse('2026-11-23T12:00:00Z');

function azs(count: number) {
  return ZONES.map((az, index) => ({ az, count: Math.floor(count / 3) + (index < count % 3 ? 1 : 0) }));
}

/** A Running physical pool with `flavors` flavors over 3 AZs, each with a weekday schedule and demand to scale up. */
function scenario(flavors: number): DecisionInput {
  const names = Array.from({ length: flavors }, (_, index) => `modelarts.vm.gpu.bench${index}`);
  const resources: PoolResource[] = names.map((flavor, index) => ({
    flavor,
    count: 6,
    maxCount: 6,
    azs: azs(6),
    tags: [{ key: 'team', value: `t${index}` }],
    extendParams: { dockerBaseSize: '100' },
    rootVolume: { volumeType: 'SSD', size: '200' },
  }));
  const pool: Pool = {
    apiVersion: 'v2',
    kind: 'Pool',
    metadata: { name: 'pool-bench', labels: { 'os.modelarts/name': 'pool-bench' } },
    spec: { type: 'Dedicate', resources },
    status: {
      phase: 'Running',
      resources: { available: names.map((flavor) => ({ flavor, count: 6, azs: azs(6) })) },
    },
  };
  const policy = parsePolicy({
    pool: 'pool-bench',
    flavors: Object.fromEntries(
      names.map((name) => [
        name,
        {
          minCount: 1,
          maxCount: 64,
          unitsPerNode: 8,
          azs: Object.fromEntries(ZONES.map((az) => [az, 1])),
          scaleDown: { stabilizationSeconds: 600 },
          schedules: [
            { cron: '0 8 * * 1-5', timezone: 'Asia/Shanghai', durationSeconds: 36000, minCount: 4 },
          ],
        },
      ]),
    ),
  });
  const depth = Object.fromEntries(
    names.map((name) => [name, { pendingUnits: 80, runningUnits: 40, updatedAt: T0 }]),
  );
  // A history like a pool evaluated every 15 s for the last 10 minutes.
  const state = initialScalerState();
  for (const name of names) {
    state.flavors[name] = {
      recommendations: Array.from({ length: 40 }, (_, index) => ({
        at: T0 - (600 - index * 15) * 1000,
        nodes: 6,
      })),
      scaleUpEvents: [{ at: T0 - 120_000, change: 2 }],
      scaleDownEvents: [],
      azs: {},
    };
  }
  return { policy, pool, depth, state, now: T0 };
}

function decisionsPerSecond(input: DecisionInput, seconds: number): number {
  // Advance the clock a little per call so stabilization windows and schedules are really evaluated.
  let calls = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    for (let batch = 0; batch < 100; batch += 1) {
      decide({ ...input, now: input.now + calls });
      calls += 1;
    }
  }
  return calls / ((performance.now() - started) / 1000);
}

/** Copies of the same input per second: a measure of this machine's speed at the same data, for the ratio. */
function copiesPerSecond(input: DecisionInput, seconds: number): number {
  let calls = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    for (let batch = 0; batch < 100; batch += 1) {
      structuredClone(input);
      calls += 1;
    }
  }
  return calls / ((performance.now() - started) / 1000);
}

export default async function (): Promise<void> {
  benchNote(
    'engine: decide() on a Running pool over 3 AZs, 40 recommendations of history per flavor, one schedule each',
  );
  benchNote('engine: about 1 s per figure, the best of three 0.35 s rounds (the machine may be shared)');
  const figures: number[] = [];
  for (const flavors of [1, 4, 16]) {
    const input = scenario(flavors);
    decisionsPerSecond(input, 0.1);
    const rate = Math.max(...[0, 1, 2].map(() => decisionsPerSecond(input, 0.35)));
    figures.push(rate);
    benchLine(`engine.decisions_per_s.flavors${flavors}`, Math.round(rate), '1/s');
    const copies = Math.max(...[0, 1, 2].map(() => copiesPerSecond(input, 0.35)));
    // Against copying the same input (structuredClone), measured now: comparable across machines.
    benchLine(`engine.decisions_vs_input_copies.flavors${flavors}`, rate / copies, 'x');
  }
  const [one = 0, , sixteen = 0] = figures;
  benchNote(`engine: a 16-flavor decision costs ${(one / sixteen).toFixed(1)}x a 1-flavor decision`);
}
