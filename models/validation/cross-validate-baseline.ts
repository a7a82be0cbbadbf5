import { buildBarDataset } from '../training/bar-dataset.js';
import { requireTrainingRows } from '../training/too-few-rows.js';
import type { SymbolBars } from '../training/bar-dataset.js';
import { purgedTail, splitChronological } from '../training/chronological-split.js';
import { trainLogisticRegression } from '../training/logistic-regression.js';
import { fitStandardiser, pick, standardiseRows } from '../training/standardiser.js';
import { predictProbabilities, trainDenseClassifier } from '../training/train-mlp.js';
import type { Matrix } from '../training/train-mlp.js';
import { TrainBaselineOptionsSchema } from '../training/train-baseline.js';
import type { TrainBaselineOptions } from '../training/train-baseline.js';
import { crossValidate, cvPlan } from './cross-validate.js';
import type { CvOptions, CvReport } from './cross-validate.js';

export type BaselineCvReport = Readonly<{
  /** Rows cross-validated: everything before the holdout test segment, purged at its boundary. */
  rows: number;
  folds: number;
  paths?: number;
  mlp: CvReport;
  logisticRegression: CvReport;
}>;

/**
 * Cross-validates the baseline MLP and logistic regression of `sextant train` with the same
 * options (features, labels, network, seed), on the rows before the holdout test segment, so the
 * holdout figures stay out-of-sample. Each fold standardises with its own training rows and
 * early-stops on a purged tail of them. Label intervals: `[ts, ts + (horizon + 1)·barMs]`;
 * `cv.embargo` is in ms.
 */
export async function crossValidateBaseline(bars: readonly SymbolBars[], options: TrainBaselineOptions, cv: CvOptions): Promise<BaselineCvReport> {
  const o = TrainBaselineOptionsSchema.parse(options);
  const ds = buildBarDataset(bars, { horizon: o.horizon, kAtr: o.kAtr, barMs: o.barMs });
  requireTrainingRows(ds);
  const purgeBars = o.purgeBars ?? o.horizon;
  const split = splitChronological(ds, { trainFraction: o.trainFraction, calibrationFraction: o.calibrationFraction, purgeBars });
  const labelMs = (o.horizon + 1) * o.barMs;
  const dev: number[] = [];
  for (let i = 0; i < ds.rows; i++) if ((ds.ts[i] as number) + labelMs <= split.boundaries[1]) dev.push(i);
  const devIdx = Int32Array.from(dev);
  const start = pick(ds.ts, devIdx);
  const plan = cvPlan({ start, end: start.map((t) => t + labelMs) }, cv);
  const y = pick(ds.y, devIdx);
  const symbolOf = (r: number): string => ds.symbols[ds.symbolIndex[devIdx[r] as number] as number] as string;

  const run = (kind: 'mlp' | 'lr'): Promise<CvReport> =>
    crossValidate(plan, cv.scheme, y, 3, symbolOf, async (fold) => {
      const train = Int32Array.from(fold.train, (r) => devIdx[r] as number);
      const test = Int32Array.from(fold.test, (r) => devIdx[r] as number);
      const trainSeg = { indices: train, from: NaN, to: NaN };
      const { fit, validation } = purgedTail(ds, trainSeg, o.validationFraction, purgeBars);
      const s = fitStandardiser(ds.x, ds.cols, train);
      const m = (idx: Int32Array): Matrix => ({ x: standardiseRows(ds.x, ds.cols, idx, s), y: pick(ds.y, idx), rows: idx.length });
      const fitM = m(fit.indices);
      const valM = m(validation.indices);
      const testM = m(test);
      const trained =
        kind === 'mlp'
          ? await trainDenseClassifier(fitM, valM, ds.cols, { hidden: o.hidden, classes: 3, seed: o.seed, epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, patience: o.patience, l2: o.l2 })
          : await trainLogisticRegression(fitM, valM, ds.cols, { seed: o.seed, epochs: o.epochs, patience: o.patience });
      try {
        return predictProbabilities(trained.model, testM.x, testM.rows, ds.cols);
      } finally {
        trained.model.dispose();
      }
    });
  const mlp = await run('mlp');
  const logisticRegression = await run('lr');
  return { rows: devIdx.length, folds: plan.folds.length, ...(plan.paths !== undefined ? { paths: plan.paths.length } : {}), mlp, logisticRegression };
}
