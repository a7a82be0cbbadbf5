import type { Prediction } from '../../../streams/messages/prediction.js';

export type PredictedClass = 'up' | 'down' | 'flat';

/** The class a prediction favours: the largest probability (ties read as flat). */
export function predictedClass(p: Prediction): PredictedClass {
  const { down, flat, up } = p.probs;
  if (up > down && up > flat) return 'up';
  if (down > up && down > flat) return 'down';
  return 'flat';
}
