import type { TrainingSample, TrainingSampleStore } from '../../state/training-sample-store.js';

/** The most samples read for a PSI reference (the default `training.maxSamples`: a retrained champion's whole training set). */
export const REFERENCE_SAMPLES = 5000;
/** Equal parts of a training range that each give their share when it holds more than the cap. */
const SLICES = 50;

export type ReferenceQuery = Readonly<{
  strategy: string;
  /** The model's training range (`ModelVersion.trainRange`): decision time from `from`, labeled before `to`. */
  from: number;
  to: number;
  /** The most samples read (default `REFERENCE_SAMPLES`). */
  cap?: number;
}>;

/**
 * The stored samples a model was trained on, for the PSI reference of its inputs: decision time in
 * its training range, labeled before the range's end (a retrained model's range ends just past
 * the last label it was fitted on, so a sample decided in the range but labeled later is not one
 * it saw). At most `cap` are read: where the range holds more, each of 50 equal parts of it (by
 * decision time) gives a share in proportion to the samples it holds, so the reference spans the
 * whole range — the oldest `cap` alone were its first part, whose inputs may be nothing like the
 * rest the model learned from.
 */
export async function referenceSamples(store: Pick<TrainingSampleStore, 'samples' | 'countSamples'>, q: ReferenceQuery): Promise<readonly TrainingSample[]> {
  const cap = Math.max(0, Math.floor(q.cap ?? REFERENCE_SAMPLES));
  const range = { strategy: q.strategy, labeledBefore: q.to } as const;
  if (cap === 0 || !(q.from < q.to)) return [];
  const n = await store.countSamples({ ...range, from: q.from, to: q.to, atMost: cap + 1 });
  if (n <= cap) return store.samples({ ...range, from: q.from, to: q.to });
  const total = await store.countSamples({ ...range, from: q.from, to: q.to });
  const out: TrainingSample[] = [];
  const span = q.to - q.from;
  for (let k = 0; k < SLICES; k++) {
    const from = q.from + Math.floor((span * k) / SLICES);
    const to = k === SLICES - 1 ? q.to : q.from + Math.floor((span * (k + 1)) / SLICES);
    if (from >= to) continue;
    const held = await store.countSamples({ ...range, from, to });
    const share = Math.floor((cap * held) / total);
    if (share > 0) out.push(...(await store.samples({ ...range, from, to, limit: share })));
  }
  return out;
}
