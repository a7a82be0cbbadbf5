import { classificationMetrics } from '../training/classification-metrics.js';
import { assetClassOf } from './asset-class.js';
import { combinatorialPurgedCv } from './combinatorial-purged-cv.js';
import type { CpcvPath } from './combinatorial-purged-cv.js';
import type { Fold, LabelIntervals } from './label-intervals.js';
import { metricsByGroup } from './grouped-metrics.js';
import { purgedKFold } from './purged-kfold.js';
import { walkForward } from './walk-forward.js';

export const CV_SCHEMES = ['purged-kfold', 'walk-forward', 'cpcv'] as const;
export type CvScheme = (typeof CV_SCHEMES)[number];

export type CvOptions = Readonly<{
  scheme: CvScheme;
  /** k for purged k-fold, test folds for walk-forward, N groups for CPCV; default 5 (CPCV 6). */
  folds?: number;
  /** CPCV: test groups per split; default 2. */
  testGroups?: number;
  /** Embargo in interval units (see each splitter); default 0. */
  embargo?: number;
}>;

/** CPCV's test groups per split when `testGroups` is not given. */
export const DEFAULT_CPCV_TEST_GROUPS = 2;

/**
 * The least `folds` a scheme splits into (the splitters refuse fewer): 2 for purged k-fold, 1 for
 * walk-forward, and for CPCV one group more than it tests per split. Lets a caller refuse a bad
 * option before it fits anything.
 */
export function leastFolds(o: Pick<CvOptions, 'scheme' | 'testGroups'>): number {
  if (o.scheme === 'purged-kfold') return 2;
  if (o.scheme === 'walk-forward') return 1;
  return (o.testGroups ?? DEFAULT_CPCV_TEST_GROUPS) + 1;
}

/** The folds of a scheme, and for CPCV the backtest paths and group ranges. */
export type CvPlan = Readonly<{ folds: readonly Fold[]; paths?: readonly CpcvPath[]; groups?: readonly (readonly [number, number])[] }>;

export function cvPlan(iv: LabelIntervals, o: CvOptions): CvPlan {
  const embargo = o.embargo ?? 0;
  if (o.scheme === 'purged-kfold') return { folds: purgedKFold(iv, { folds: o.folds ?? 5, embargo }) };
  if (o.scheme === 'walk-forward') return { folds: walkForward(iv, { folds: o.folds ?? 5, embargo }) };
  const cv = combinatorialPurgedCv(iv, { groups: o.folds ?? 6, testGroups: o.testGroups ?? DEFAULT_CPCV_TEST_GROUPS, embargo });
  return { folds: cv.splits, paths: cv.paths, groups: cv.groups };
}

export type Scores = Readonly<{ n: number; accuracy: number; logLoss: number; brier: number }>;

export type CvReport = Readonly<{
  scheme: CvScheme;
  perFold: readonly (Scores & Readonly<{ train: number }>)[];
  /** Mean and sample std of the per-fold (CPCV: per-path) scores. */
  mean: Omit<Scores, 'n'>;
  std: Omit<Scores, 'n'>;
  /** Every out-of-sample prediction pooled (CPCV: all splits, each row once per split that tests it). */
  pooled: Scores & Readonly<{ recall: readonly (number | null)[] }>;
  /** CPCV: the φ backtest paths' scores. */
  paths?: readonly Scores[];
  /** Recall per class and accuracy of the pooled predictions per asset class (large-cap, memecoin, other). */
  byAssetClass: Readonly<Record<string, Readonly<{ n: number; accuracy: number; recall: readonly (number | null)[] }>>>;
}>;

/** Class probabilities for `fold.test`'s rows (row-major, `test.length × classes`). */
export type FoldPredictor = (fold: Fold, index: number) => Promise<ArrayLike<number>>;

const scoresOf = (probs: ArrayLike<number>, y: ArrayLike<number>, classes: number): Scores => {
  const m = classificationMetrics(probs, y, classes);
  return { n: m.n, accuracy: m.accuracy, logLoss: m.logLoss, brier: m.brier };
};

const meanStd = (xs: readonly Scores[]): { mean: Omit<Scores, 'n'>; std: Omit<Scores, 'n'> } => {
  const keys = ['accuracy', 'logLoss', 'brier'] as const;
  const mean = Object.fromEntries(keys.map((k) => [k, xs.reduce((a, s) => a + s[k], 0) / xs.length])) as Omit<Scores, 'n'>;
  const std = Object.fromEntries(keys.map((k) => [k, xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, s) => a + (s[k] - mean[k]) ** 2, 0) / (xs.length - 1))])) as Omit<Scores, 'n'>;
  return { mean, std };
};

/**
 * Runs `predict` on every fold of the plan and scores it: per fold, pooled, per asset class and,
 * for CPCV, per backtest path (each group's rows predicted by the split the path assigns it).
 * Folds run one after another, so a seeded predictor gives the same report every time.
 */
export async function crossValidate(plan: CvPlan, scheme: CvScheme, y: ArrayLike<number>, classes: number, symbolOf: (row: number) => string, predict: FoldPredictor): Promise<CvReport> {
  const perFold: (Scores & { train: number })[] = [];
  const predictions: ArrayLike<number>[] = [];
  for (const [i, fold] of plan.folds.entries()) {
    const probs = await predict(fold, i);
    if (probs.length !== fold.test.length * classes) throw new RangeError(`fold ${i}: expected ${fold.test.length * classes} probabilities, got ${probs.length}`);
    predictions.push(probs);
    perFold.push({ ...scoresOf(probs, Array.from(fold.test, (r) => y[r] as number), classes), train: fold.train.length });
  }
  const allProbs: number[] = [];
  const allY: number[] = [];
  const allSym: string[] = [];
  plan.folds.forEach((f, i) => {
    const probs = predictions[i] as ArrayLike<number>;
    for (let j = 0; j < probs.length; j++) allProbs.push(probs[j] as number); // no spread: a fold's rows × 3 can overflow the stack
    for (const r of f.test) {
      allY.push(y[r] as number);
      allSym.push(assetClassOf(symbolOf(r)));
    }
  });
  const pooledM = classificationMetrics(allProbs, allY, classes);
  let paths: Scores[] | undefined;
  if (plan.paths !== undefined && plan.groups !== undefined) {
    const groups = plan.groups;
    paths = plan.paths.map((path) => {
      const p: number[] = [];
      const t: number[] = [];
      for (const { group, split } of path) {
        const fold = plan.folds[split] as Fold;
        const probs = predictions[split] as ArrayLike<number>;
        const [from, to] = groups[group] as readonly [number, number];
        fold.test.forEach((r, k) => {
          if (r < from || r >= to) return;
          for (let c = 0; c < classes; c++) p.push(probs[k * classes + c] as number);
          t.push(y[r] as number);
        });
      }
      return scoresOf(p, t, classes);
    });
  }
  const byClass = metricsByGroup(allProbs, allY, classes, allSym);
  return {
    scheme,
    perFold,
    ...meanStd(paths ?? perFold),
    pooled: { n: pooledM.n, accuracy: pooledM.accuracy, logLoss: pooledM.logLoss, brier: pooledM.brier, recall: pooledM.recall },
    ...(paths !== undefined ? { paths } : {}),
    byAssetClass: Object.fromEntries([...byClass].map(([k, m]) => [k, { n: m.n, accuracy: m.accuracy, recall: m.recall }])),
  };
}
