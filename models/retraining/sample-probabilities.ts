import type { FeatureSpec } from '../registry/feature-spec.js';
import type { ModelRuntime } from '../runtime/model-runtime.js';
import type { TrainingSample } from '../../state/training-sample-store.js';
import { rowOf } from './sample-dataset.js';

/**
 * A one-row classifier's class probabilities (down, flat, up) for each sample, in one batched
 * run: each sample's stored feature values are read per the model's feature spec and
 * standardised with its statistics. `null` where a sample lacks a feature the model reads.
 */
export async function probabilitiesOfSamples(
  runtime: ModelRuntime,
  spec: Pick<FeatureSpec, 'features' | 'transforms' | 'mean' | 'std'>,
  samples: readonly Pick<TrainingSample, 'features'>[],
): Promise<(Float32Array | null)[]> {
  const cols = spec.features.length;
  const row = new Array<number>(cols);
  const batch = new Float32Array(samples.length * cols);
  /** Each sample's row in the batch, or -1 where it has none. */
  const at: number[] = [];
  let n = 0;
  for (const s of samples) {
    if (!rowOf(s.features, spec, row)) {
      at.push(-1);
      continue;
    }
    for (let j = 0; j < cols; j++) batch[n * cols + j] = ((row[j] as number) - (spec.mean[j] as number)) / (spec.std[j] as number);
    at.push(n++);
  }
  const [probs] = n === 0 ? [new Float32Array(0)] : await runtime.run(batch, n, cols);
  return at.map((k) => (k < 0 || probs === undefined ? null : probs.slice(k * 3, k * 3 + 3)));
}
