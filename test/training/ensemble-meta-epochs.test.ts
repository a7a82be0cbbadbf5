import { describe, expect, it } from 'vitest';
import { runTrainingSpec } from '../../models/training/run-training-spec.js';
import type { TrainingProgress } from '../../models/training/training-spec.js';
import { mlpSpec } from './training-job-spec.js';

// The stacked ensemble's final fit reported no epoch at all, while a single model's reports each of its own.
describe('the stacked ensemble\'s final fit', () => {
  it('reports each epoch of its meta-learner in the progress, as its result counts them', async () => {
    const progress: TrainingProgress[] = [];
    const result = await runTrainingSpec({ ...mlpSpec(2, 2), model: 'ensemble', params: { ...mlpSpec(2, 2).params, hidden: [8] } }, { onProgress: (p) => progress.push(p) });
    const epochs = progress.filter((p) => p.type === 'epoch');
    expect(epochs.length).toBeGreaterThan(0);
    expect(epochs.every((p) => p.phase === 'final' && p.learner === 'meta-learner')).toBe(true);
    expect(epochs.map((p) => p.epoch)).toEqual(Array.from({ length: result.epochsRun }, (_, i) => i + 1));
    expect(epochs.map((p) => p.valLogLoss)).toEqual(result.valLogLoss);
    expect(epochs.at(-1)?.bestEpoch).toBe(result.bestEpoch);
  }, 120_000);
});
