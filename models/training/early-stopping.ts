/** What one epoch's validation loss means for training. */
export const EpochVerdict = { improved: 'improved', wait: 'wait', stop: 'stop' } as const;
export type EpochVerdict = (typeof EpochVerdict)[keyof typeof EpochVerdict];

export type EarlyStopping = {
  /** Records the loss of the next epoch (1-based, in call order) and says whether to go on. */
  observe(loss: number): EpochVerdict;
  /** 1-based epoch with the lowest loss so far (0 before any). */
  readonly bestEpoch: number;
  readonly bestLoss: number;
  readonly epochs: number;
};

/**
 * Patience-based early stopping on a validation loss: an epoch improves when its loss is below
 * the best so far by more than `minDelta`; training stops after `patience` epochs in a row
 * without improvement (so the epoch that stops is `bestEpoch + patience`). A non-finite loss
 * never improves. The same rule as `trainDenseClassifier`, held separately so the search runner,
 * the GRU and hand-built loss curves in tests share it.
 *
 * @example
 * const es = earlyStopping(3);
 * for (const loss of curve) if (es.observe(loss) === 'stop') break;
 */
export function earlyStopping(patience: number, minDelta = 0): EarlyStopping {
  if (!Number.isInteger(patience) || patience < 1) throw new RangeError(`patience must be a positive integer, got ${patience}`);
  if (!(minDelta >= 0)) throw new RangeError(`minDelta must be ≥ 0, got ${minDelta}`);
  let bestEpoch = 0;
  let bestLoss = Infinity;
  let epochs = 0;
  return {
    observe(loss) {
      epochs++;
      if (Number.isFinite(loss) && loss < bestLoss - minDelta) {
        bestLoss = loss;
        bestEpoch = epochs;
        return EpochVerdict.improved;
      }
      return epochs - bestEpoch >= patience ? EpochVerdict.stop : EpochVerdict.wait;
    },
    get bestEpoch() {
      return bestEpoch;
    },
    get bestLoss() {
      return bestLoss;
    },
    get epochs() {
      return epochs;
    },
  };
}

/** The epoch (1-based) at which early stopping would end training on `curve`, and the best one. */
export function stoppingPoint(curve: readonly number[], patience: number, minDelta = 0): Readonly<{ stopEpoch: number; bestEpoch: number; stopped: boolean }> {
  const es = earlyStopping(patience, minDelta);
  for (const loss of curve) {
    if (es.observe(loss) === EpochVerdict.stop) return { stopEpoch: es.epochs, bestEpoch: es.bestEpoch, stopped: true };
  }
  return { stopEpoch: es.epochs, bestEpoch: es.bestEpoch, stopped: false };
}
