import { samplePrior } from './search-space.js';
import type { Sampler } from './search-space.js';
import { mulberry32 } from './seeded-rng.js';

/** Random search: every point from the prior, from one seeded stream (history is ignored). */
export function randomSampler(seed: number): Sampler {
  const rng = mulberry32(seed);
  return { name: 'random', suggest: (space) => samplePrior(space, rng) };
}
