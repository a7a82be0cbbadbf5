import { describe, expect, it } from 'vitest';
import { cvOptionsProblem, runTrain, runTrainDirection } from '../../cli/commands/train.js';
import type { TrainCliOptions } from '../../cli/commands/train.js';
import { testDataDir } from '../support/data-dir.js';
import { tinyRegistry } from '../training/tiny-registry.js';

/**
 * `sextant train --cv purged-kfold --cv-folds 1` (and `--cv cpcv --cv-folds 2`) trained and
 * registered a new version, then failed in the cross-validation with "folds must be an integer
 * ≥ 2, got 1": a failed command left a registry version behind. The folds are now checked first.
 */
describe('sextant train --cv options', () => {
  const OPTS: TrainCliOptions = { data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', horizon: 4, kAtr: 0.75, name: 'direction-mlp', seed: 1, epochs: 1, from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 3, 1) };

  it('refuses too few folds for the scheme before training, and registers nothing', async () => {
    const registry = tinyRegistry();
    const open = (): Promise<typeof registry> => Promise.resolve(registry);
    await expect(runTrain({ ...OPTS, cv: 'purged-kfold', cvFolds: 1 }, open, () => undefined)).rejects.toThrow('--cv purged-kfold needs --cv-folds ≥ 2, got 1');
    await expect(runTrain({ ...OPTS, cv: 'cpcv', cvFolds: 2 }, open, () => undefined)).rejects.toThrow(/^--cv cpcv needs --cv-folds ≥ 3 .*got 2$/);
    await expect(runTrain({ ...OPTS, cvFolds: 4 }, open, () => undefined)).rejects.toThrow('--cv-folds goes with --cv <scheme>');
    await expect(runTrainDirection({ ...OPTS, model: 'gru', window: 4, cvFolds: 4 }, open, () => undefined)).rejects.toThrow('--cv-folds goes with --cv <scheme>');
    expect(await registry.list()).toEqual([]);
  });

  /**
   * An embargo that leaves a fold no training rows, or more folds than rows, failed in the
   * cross-validation after the fit, the version registered, as "cannot fit a standardiser on no
   * rows" or "cannot cut 1679 samples into 5000 blocks". Now refused before the fit, naming them.
   */
  it('refuses a --cv-embargo or --cv-folds that leaves a fold nothing to train on, before training, and registers nothing', async () => {
    const registry = tinyRegistry();
    const open = (): Promise<typeof registry> => Promise.resolve(registry);
    await expect(runTrain({ ...OPTS, cv: 'purged-kfold', cvEmbargo: 5000 }, open, () => undefined)).rejects.toThrow(
      /^--cv purged-kfold \(--cv-folds 5, --cv-embargo 5000 bars\): fold 1 of 5 \(its test rows from 2023-01-09T07:00:00\.000Z\) has no training rows left after the purge and the embargo, of the \d+ rows before the holdout test; give fewer --cv-folds or a smaller --cv-embargo, or a wider --from\/--to window$/,
    );
    await expect(runTrain({ ...OPTS, cv: 'walk-forward', cvEmbargo: 2000 }, open, () => undefined)).rejects.toThrow(/^--cv walk-forward \(--cv-folds 5, --cv-embargo 2000 bars\): fold 1 of 5 .* has no training rows left/);
    await expect(runTrain({ ...OPTS, cv: 'purged-kfold', cvFolds: 5000 }, open, () => undefined)).rejects.toThrow(/^--cv purged-kfold \(--cv-folds 5000, --cv-embargo 24 bars\): (\d+) rows lie before the holdout test: cannot cut \1 samples into 5000 blocks; give fewer --cv-folds/);
    expect(await registry.list()).toEqual([]);
  });

  it('refuses a flag without the one it goes with, instead of dropping it, and registers nothing', async () => {
    const registry = tinyRegistry();
    const open = (): Promise<typeof registry> => Promise.resolve(registry);
    await expect(runTrain({ ...OPTS, window: 8 }, open, () => undefined)).rejects.toThrow('--window goes with --model gru (bars per GRU input window); --model mlp does not read it');
    await expect(runTrainDirection({ ...OPTS, model: 'ensemble', window: 8 }, open, () => undefined)).rejects.toThrow('--model ensemble does not read it');
    await expect(runTrain({ ...OPTS, trials: 3 }, open, () => undefined)).rejects.toThrow('--trials goes with --search <sampler>');
    await expect(runTrain({ ...OPTS, cvEmbargo: 3 }, open, () => undefined)).rejects.toThrow('--cv-embargo goes with --cv <scheme>');
    expect(await registry.list()).toEqual([]);
    expect(cvOptionsProblem({ model: 'gru', window: 8 })).toBeUndefined();
    expect(cvOptionsProblem({ search: 'tpe', trials: 3 })).toBeUndefined();
    expect(cvOptionsProblem({ cv: 'cpcv', cvEmbargo: 0 })).toBeUndefined();
  });

  it('accepts the least folds each scheme can split into, and no --cv at all', () => {
    expect(cvOptionsProblem({ cv: 'purged-kfold', cvFolds: 2 })).toBeUndefined();
    expect(cvOptionsProblem({ cv: 'walk-forward', cvFolds: 1 })).toBeUndefined();
    expect(cvOptionsProblem({ cv: 'cpcv', cvFolds: 3 })).toBeUndefined();
    expect(cvOptionsProblem({ cv: 'cpcv' })).toBeUndefined();
    expect(cvOptionsProblem({})).toBeUndefined();
  });
});
