import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../functions/shared/events';
import { MessageStream } from './workload';

const event = (n: number): JobEvent => ({
  type: 'job.submitted',
  pool: `pool-chaos-${'0'.repeat(32)}`,
  flavor: 'modelarts.vm.gpu.8v100',
  jobId: `job-${n}`,
  units: 1,
  at: new Date(0).toISOString(),
});

describe('the chaos message stream', () => {
  it('sends every event at least once, the counted duplicates again, and exactly the poison asked for', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 20 }),
        (seed, chunks) => {
          const total = chunks.reduce((sum, n) => sum + n, 0);
          const stream = new MessageStream({
            seed,
            duplicateRate: 0.15,
            reorderWindow: 40,
            poisonCount: 4,
            poisonWithin: Math.max(1, total),
          });
          const sent: string[] = [];
          let next = 0;
          for (const size of chunks) {
            const events = Array.from({ length: size }, () => event(next++));
            sent.push(...stream.push(events));
          }
          sent.push(...stream.flush());
          const bodies = Array.from({ length: total }, (_, n) => JSON.stringify(event(n)));
          const counts = new Map<string, number>();
          for (const body of sent) counts.set(body, (counts.get(body) ?? 0) + 1);
          for (const body of bodies) expect(counts.get(body) ?? 0).toBeGreaterThanOrEqual(1);
          const poison = sent.filter((body) => !bodies.includes(body));
          expect(poison).toHaveLength(4);
          expect(stream.poison).toBe(4);
          expect(sent.length).toBe(total + stream.duplicates + 4);
        },
      ),
    );
  });

  it('holds back no more than the reorder window until flushed', () => {
    const stream = new MessageStream({
      seed: 7,
      duplicateRate: 0,
      reorderWindow: 40,
      poisonCount: 0,
      poisonWithin: 1,
    });
    expect(stream.push(Array.from({ length: 100 }, (_, n) => event(n)))).toHaveLength(60);
    expect(stream.flush()).toHaveLength(40);
  });
});
