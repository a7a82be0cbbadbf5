import { describe, expect, it } from 'vitest';
import { trainCommand } from '../../cli/commands/train.js';
import { META_LEARNER_MIN_EPOCHS, metaLearnerEpochs } from '../../models/training/meta-learner-epochs.js';
import { tinyRegistry } from '../training/tiny-registry.js';

/**
 * `sextant train --model ensemble --epochs 5` trained the stacked ensemble's meta-learner for up
 * to 30 epochs (fit-stacked-ensemble.ts), while the flag's help said "most training epochs": the
 * help now says so, from the same constant the fit uses.
 */
describe('sextant train --epochs and the ensemble meta-learner', () => {
  it('the meta-learner gets at least the documented floor, more when --epochs asks more', () => {
    expect(metaLearnerEpochs(5)).toBe(META_LEARNER_MIN_EPOCHS);
    expect(metaLearnerEpochs(META_LEARNER_MIN_EPOCHS + 20)).toBe(META_LEARNER_MIN_EPOCHS + 20);
  });

  it('the --epochs help names the meta-learner floor', () => {
    const help = trainCommand(() => Promise.resolve(tinyRegistry())).options.find((o) => o.long === '--epochs')?.description ?? '';
    expect(help).toContain('meta-learner');
    expect(help).toContain(`at least ${META_LEARNER_MIN_EPOCHS}`);
  });
});
