/**
 * The least epoch budget of the stacked ensemble's logistic meta-learner, whatever
 * `sextant train --epochs` says: a few epochs of its small learning rate leave it near its start
 * (early stopping, patience 5, may still end it sooner).
 */
export const META_LEARNER_MIN_EPOCHS = 30;

/** The meta-learner's most epochs for a `--epochs` of `epochs`. */
export const metaLearnerEpochs = (epochs: number): number => Math.max(epochs, META_LEARNER_MIN_EPOCHS);
