import { buildBarDataset } from '../training/bar-dataset.js';
import { requireTrainingRows } from '../training/too-few-rows.js';
import type { BarDataset, SymbolBars } from '../training/bar-dataset.js';
import { purgedTail, splitChronological } from '../training/chronological-split.js';
import { trainLogisticRegression } from '../training/logistic-regression.js';
import { fitStandardiser, pick, standardiseRows } from '../training/standardiser.js';
import { predictProbabilities, trainDenseClassifier } from '../training/train-mlp.js';
import type { Matrix } from '../training/train-mlp.js';
import { TrainBaselineOptionsSchema } from '../training/train-baseline.js';
import type { TrainBaselineOptions } from '../training/train-baseline.js';
import { crossValidate, cvPlan } from './cross-validate.js';
import type { CvOptions, CvPlan, CvReport } from './cross-validate.js';
import type { LabelIntervals } from './label-intervals.js';

export type BaselineCvReport = Readonly<{
  /** Rows cross-validated: everything before the holdout test segment, purged at its boundary. */
  rows: number;
  /** Folds scored; CPCV: its splits, C(N, k) of its N groups (MLflow metric `cv_splits`). */
  folds: number;
  /** CPCV: its backtest paths. */
  paths?: number;
  mlp: CvReport;
  logisticRegression: CvReport;
}>;

type ParsedOptions = ReturnType<typeof TrainBaselineOptionsSchema.parse>;
type BaselinePlan = Readonly<{ ds: BarDataset; devIdx: Int32Array; purgeBars: number; intervals: LabelIntervals }>;

/** The baseline's CV rows: its dataset, the rows before the holdout test (`devIdx`) and their label intervals. */
function baselineRows(bars: readonly SymbolBars[], o: ParsedOptions): BaselinePlan {
  const ds = buildBarDataset(bars, { horizon: o.horizon, kAtr: o.kAtr, barMs: o.barMs });
  requireTrainingRows(ds);
  const purgeBars = o.purgeBars ?? o.horizon;
  const split = splitChronological(ds, { trainFraction: o.trainFraction, calibrationFraction: o.calibrationFraction, purgeBars });
  const labelMs = (o.horizon + 1) * o.barMs;
  const dev: number[] = [];
  for (let i = 0; i < ds.rows; i++) if ((ds.ts[i] as number) + labelMs <= split.boundaries[1]) dev.push(i);
  const devIdx = Int32Array.from(dev);
  const start = pick(ds.ts, devIdx);
  return { ds, devIdx, purgeBars, intervals: { start, end: start.map((t) => t + labelMs) } };
}

/**
 * Why `cv` cannot score the baseline on these bars, or undefined: more folds (CPCV: groups) than
 * rows before the holdout test, or a fold whose training rows, after the purge and the embargo,
 * leave its early-stopping split (fit and validation) empty. `sextant train` asks this before it
 * fits: found in the cross-validation itself, it came after the model was registered, as
 * "cannot cut 1679 samples into 5000 blocks" or "cannot fit a standardiser on no rows".
 * Undefined too when the bars hold too few rows to train at all (the trainer says so). With it,
 * the test rows of each fold (CPCV: split) of a plan without a problem (else none) and the rows
 * before the holdout test: `sextant train` warns, before it fits, of folds too thin to score
 * (models/validation/thin-folds.ts).
 */
export function baselineCvCheck(bars: readonly SymbolBars[], options: TrainBaselineOptions, cv: CvOptions): Readonly<{ problem: string | undefined; testRows: readonly number[]; rows: number }> {
  const o = TrainBaselineOptionsSchema.parse(options);
  let rows: BaselinePlan;
  try {
    rows = baselineRows(bars, o);
  } catch {
    return { problem: undefined, testRows: [], rows: 0 }; // too few rows to train, or one class: the trainer refuses them, naming the window
  }
  const { ds, devIdx, purgeBars } = rows;
  let plan: CvPlan;
  try {
    plan = cvPlan(rows.intervals, cv);
  } catch (e) {
    return { problem: `${devIdx.length} rows lie before the holdout test: ${(e as Error).message}`, testRows: [], rows: devIdx.length };
  }
  for (const [i, fold] of plan.folds.entries()) {
    const train = Int32Array.from(fold.train, (r) => devIdx[r] as number);
    if (fold.train.length > 0) {
      const { fit, validation } = purgedTail(ds, { indices: train, from: NaN, to: NaN }, o.validationFraction, purgeBars);
      if (fit.indices.length > 0 && validation.indices.length > 0) continue;
    }
    const first = new Date(ds.ts[devIdx[fold.test[0] as number] as number] as number).toISOString();
    const problem =
      `${cv.scheme === 'cpcv' ? 'split' : 'fold'} ${i + 1} of ${plan.folds.length} (its test rows from ${first}) has ` +
      (fold.train.length === 0 ? 'no training rows' : `${fold.train.length} training rows, too few for a fit and an early-stopping validation`) +
      ` left after the purge and the embargo, of the ${devIdx.length} rows before the holdout test`;
    return { problem, testRows: [], rows: devIdx.length };
  }
  return { problem: undefined, testRows: plan.folds.map((f) => f.test.length), rows: devIdx.length };
}

/**
 * Cross-validates the baseline MLP and logistic regression of `sextant train` with the same
 * options (features, labels, network, seed), on the rows before the holdout test segment, so the
 * holdout figures stay out-of-sample. Each fold standardises with its own training rows and
 * early-stops on a purged tail of them. Label intervals: `[ts, ts + (horizon + 1)·barMs]`;
 * `cv.embargo` is in ms.
 */
export async function crossValidateBaseline(bars: readonly SymbolBars[], options: TrainBaselineOptions, cv: CvOptions): Promise<BaselineCvReport> {
  const o = TrainBaselineOptionsSchema.parse(options);
  const { ds, devIdx, purgeBars, intervals } = baselineRows(bars, o);
  const plan = cvPlan(intervals, cv);
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
