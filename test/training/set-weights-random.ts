import * as tf from '@tensorflow/tfjs';
import type { LayersModel } from '@tensorflow/tfjs';

/** Every weight (biases too) uniform in [−1, 1) from a seeded generator. */
export function setWeightsRandom(model: LayersModel, rng: () => number): void {
  const ws = model.getWeights().map((w) => tf.tensor(new Float32Array(w.size).map(() => 2 * rng() - 1), w.shape));
  model.setWeights(ws);
  tf.dispose(ws);
}
