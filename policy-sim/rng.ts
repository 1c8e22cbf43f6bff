import { seededRandom as seededRandomSource } from '../simulator/random';

/** A seeded pseudo-random source: the same seed gives the same sequence on every machine. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/** mulberry32 (the simulator's source): good enough for jitter and synthetic traces; not for anything secret. */
export function seededRandom(seed: number): Random {
  return { next: seededRandomSource(seed) };
}

/** Derives an independent seed per stream (strategy, flavor) so that adding one stream never shifts another. */
export function deriveSeed(seed: number, stream: string): number {
  let hash = 2166136261 ^ (seed >>> 0);
  for (let i = 0; i < stream.length; i++) {
    hash ^= stream.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}
