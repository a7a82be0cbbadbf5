import { mulberry32 } from '../../models/training/seeded-rng.js';

/** Seeded uniform [0, 1) (mulberry32): synthetic streams are the same on every run. */
export const mulberry = mulberry32;

/** Standard normal draws from a seeded uniform (Box–Muller). */
export function gaussian(rnd: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}
