import { createHash } from 'node:crypto';
import { ONNX_PARITY_TOLERANCE } from './onnx-parity.js';
import { canonicalJson } from './config-hash.js';
import { z } from 'zod';
import { denseLayersOf } from '../onnx/tfjs-dense-layers.js';
import { exportDenseMlp } from '../onnx/dense-mlp.js';
import { featureSpecHash, FeatureSpecSchema } from '../registry/feature-spec.js';
import type { FeatureSpec } from '../registry/feature-spec.js';
import type { ModelCalibration, ModelRegistry, ModelVersion, NewModelVersion } from '../registry/model-registry.js';
import { lineageParent } from '../registry/lineage-parent.js';
import { ModelNameSchema } from '../registry/new-model-version.js';
import { createOnnxRuntime } from '../runtime/onnx-runtime.js';
import { buildBarDataset } from './bar-dataset.js';
import { requireTrainingRows } from './too-few-rows.js';
import type { BarDataset, SymbolBars } from './bar-dataset.js';
import { purgedTail, splitChronological } from './chronological-split.js';
import type { Segment } from './chronological-split.js';
import { classFrequencies, classificationMetrics, majorityProbabilities } from './classification-metrics.js';
import type { ClassificationMetrics } from './classification-metrics.js';
import { calibrate } from './conformal-calibration.js';
import { DIRECTION_NAMES } from './direction-labels.js';
import { trainLogisticRegression } from './logistic-regression.js';
import { fitStandardiser, pick, standardiseRows } from './standardiser.js';
import { requireTwoClasses } from './label-classes.js';
import type { Standardiser } from './standardiser.js';
import { predictProbabilities, trainDenseClassifier } from './train-mlp.js';
import type { Matrix, TrainedClassifier } from './train-mlp.js';
import { DEFAULT_HORIZON_BARS } from './label-horizon.js';
import { trainingCacheKey } from './training-cache.js';
import type { TrainingCache } from './training-cache.js';
import { TrainingCancelledError } from './training-errors.js';

/** Everything that decides the trained model besides the bars; hashed into `configHash`. */
export const TrainBaselineOptionsSchema = z
  .object({
    name: ModelNameSchema.default('direction-mlp'),
    timeframe: z.string().min(1),
    /** Bar spacing of `timeframe` in ms. */
    barMs: z.number().int().positive(),
    horizon: z.number().int().min(1).default(DEFAULT_HORIZON_BARS),
    kAtr: z.number().min(0).default(0.75),
    hidden: z.array(z.number().int().positive()).min(1).default([32, 16]),
    epochs: z.number().int().positive().default(30),
    batchSize: z.number().int().positive().default(512),
    learningRate: z.number().positive().default(1e-3),
    patience: z.number().int().positive().default(4),
    l2: z.number().min(0).default(1e-4),
    seed: z.number().int().min(0).default(42),
    trainFraction: z.number().gt(0).lt(1).default(0.7),
    calibrationFraction: z.number().gt(0).lt(1).default(0.15),
    /** Share of the training segment held out (purged) for early stopping. */
    validationFraction: z.number().gt(0).lt(1).default(0.15),
    /** Bars dropped before each split boundary; default the horizon. */
    purgeBars: z.number().int().positive().optional(),
  })
  .strict();
export type TrainBaselineOptions = z.input<typeof TrainBaselineOptionsSchema>;
type Resolved = z.output<typeof TrainBaselineOptionsSchema>;

/** Where the bars came from, for lineage (stored in `details`, and hashed with the options). */
export type DatasetDescription = Readonly<{ source: string; symbols: readonly string[]; from?: number; to?: number }>;

export type ModelScores = Readonly<{ accuracy: number; logLoss: number; recall: readonly (number | null)[]; confusion: readonly (readonly number[])[] }>;

export type TrainBaselineReport = Readonly<{
  model: ModelVersion;
  rows: Readonly<{ total: number; train: number; fit: number; validation: number; calibration: number; test: number }>;
  classShare: Readonly<{ train: readonly number[]; test: readonly number[] }>;
  test: Readonly<{ mlp: ModelScores; logisticRegression: ModelScores; majority: ModelScores }>;
  calibration: ModelCalibration;
  onnxParityMaxAbsDiff: number;
  mlp: Readonly<{ epochsRun: number; bestEpoch: number; backend: string }>;
  logisticRegression: Readonly<{ epochsRun: number; bestEpoch: number }>;
  /** What the exported ONNX model takes: standardised inputs, `(x − mean) / std` per the feature spec. */
  onnxInput: 'standardised';
  /** The model came from the training cache (the same bars, settings and code trained it before): registered, not trained again. */
  cached: boolean;
}>;

/** The report as the cache keeps it: everything but the registered version (and whether it was cached). */
type CachedReport = Omit<TrainBaselineReport, 'model' | 'cached'>;

const scores = (m: ClassificationMetrics): ModelScores => ({ accuracy: m.accuracy, logLoss: m.logLoss, recall: m.recall, confusion: m.confusion });

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** sha256 of the canonical JSON of the resolved options and the dataset description. */
export function trainingConfigHash(options: TrainBaselineOptions, dataset: DatasetDescription): string {
  return sha256(canonicalJson({ options: TrainBaselineOptionsSchema.parse(options), dataset }));
}

const matrixOf = (ds: BarDataset, seg: Segment, s: Standardiser): Matrix => ({ x: standardiseRows(ds.x, ds.cols, seg.indices, s), y: pick(ds.y, seg.indices), rows: seg.indices.length });

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The baseline direction model, end to end: features and labels from bars, a purged
 * chronological split, an MLP and two baselines (multinomial logistic regression, majority
 * class) scored on the same test rows, calibration, ONNX export checked against tfjs in
 * onnxruntime, and registration as a new version (parent: the version `production` points at,
 * else the newest one not rejected: `lineageParent`).
 *
 * The ONNX model takes standardised inputs — `(x − mean) / std` with the feature spec's
 * statistics, after its transforms — exactly as the `FeatureSpec` port says a consumer prepares
 * them (models/inference/input-builder.ts does it); normalisation is not baked into the graph, so it is
 * never applied twice.
 *
 * An aborted `signal` (a command's Ctrl-C) ends it with a `TrainingCancelledError` between epochs
 * or steps, before anything is registered.
 */
export async function trainBaseline(
  bars: readonly SymbolBars[],
  dataset: DatasetDescription,
  options: TrainBaselineOptions,
  registry: ModelRegistry,
  cache?: TrainingCache,
  signal?: AbortSignal,
): Promise<TrainBaselineReport> {
  const o: Resolved = TrainBaselineOptionsSchema.parse(options);
  const stopIfCancelled = (): void => {
    if (signal?.aborted === true) throw new TrainingCancelledError('training cancelled');
  };
  const key = cache === undefined ? undefined : trainingCacheKey('direction-baseline', cache.revision, { options: o, dataset }, bars);
  const hit = key === undefined ? undefined : await cache?.get<CachedReport>(key);
  stopIfCancelled();
  if (hit !== undefined) {
    const model = await registry.register({ ...hit.model, parentVersion: await lineageParent(registry, o.name) }, hit.artifact, {
      actor: 'sextant-train',
      reason: `baseline training, seed ${o.seed} (from the training cache: the same bars, settings and code trained it before)`,
    });
    return { ...hit.report, model, cached: true };
  }
  const ds = buildBarDataset(bars, { horizon: o.horizon, kAtr: o.kAtr, barMs: o.barMs });
  requireTrainingRows(ds);
  const purgeBars = o.purgeBars ?? o.horizon;
  const split = splitChronological(ds, { trainFraction: o.trainFraction, calibrationFraction: o.calibrationFraction, purgeBars });
  const { fit, validation } = purgedTail(ds, split.train, o.validationFraction, purgeBars);
  for (const [what, seg] of [['fit', fit], ['validation', validation], ['calibration', split.calibration], ['test', split.test]] as const) {
    if (seg.indices.length === 0) throw new RangeError(`the ${what} segment is empty; give more bars or change the fractions`);
  }
  requireTwoClasses(ds.y, split.train.indices, o);

  const standardiser = fitStandardiser(ds.x, ds.cols, split.train.indices);
  const fitM = matrixOf(ds, fit, standardiser);
  const valM = matrixOf(ds, validation, standardiser);
  const calM = matrixOf(ds, split.calibration, standardiser);
  const testM = matrixOf(ds, split.test, standardiser);
  stopIfCancelled();

  const mlp = await trainDenseClassifier(fitM, valM, ds.cols, {
    hidden: o.hidden,
    classes: 3,
    seed: o.seed,
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    patience: o.patience,
    l2: o.l2,
    ...(signal !== undefined ? { signal } : {}),
  });
  let lr: TrainedClassifier;
  try {
    lr = await trainLogisticRegression(fitM, valM, ds.cols, { seed: o.seed, epochs: o.epochs, patience: o.patience, ...(signal !== undefined ? { signal } : {}) });
  } catch (e) {
    mlp.model.dispose();
    throw e;
  }
  try {
    stopIfCancelled();
    const mlpTest = predictProbabilities(mlp.model, testM.x, testM.rows, ds.cols);
    const mlpScores = classificationMetrics(mlpTest, testM.y, 3);
    const lrScores = classificationMetrics(predictProbabilities(lr.model, testM.x, testM.rows, ds.cols), testM.y, 3);
    const trainY = pick(ds.y, split.train.indices);
    const majorityScores = classificationMetrics(majorityProbabilities(trainY, testM.rows, 3), testM.y, 3);

    const calibration = calibrate(
      { y: trainY, r: pick(ds.r, split.train.indices) },
      { probs: predictProbabilities(mlp.model, calM.x, calM.rows, ds.cols), r: pick(ds.r, split.calibration.indices), scale: pick(ds.scale, split.calibration.indices) },
      o.horizon * o.barMs,
    );

    const featureSpec: FeatureSpec = FeatureSpecSchema.parse({
      version: 1,
      features: ds.features,
      mean: Array.from(standardiser.mean),
      std: Array.from(standardiser.std),
      transforms: ds.transforms,
    });
    const onnx = exportDenseMlp({
      layers: denseLayersOf(mlp.model),
      inputName: 'features',
      outputName: 'probs',
      graphName: o.name,
      metadata: {
        'sextant.input': 'standardised: (transform(x) - mean) / std per the feature spec',
        'sextant.features': ds.features.join(','),
        'sextant.feature_spec_hash': featureSpecHash(featureSpec),
        'sextant.classes': DIRECTION_NAMES.join(','),
        'sextant.horizon_bars': String(o.horizon),
        'sextant.timeframe': o.timeframe,
      },
    });
    const runtime = await createOnnxRuntime({ bytes: onnx }, { thread: 'main' });
    let parity: number;
    try {
      const [onnxTest] = await runtime.run(testM.x, testM.rows, ds.cols);
      parity = maxAbsDiff(onnxTest ?? new Float32Array(0), mlpTest);
    } finally {
      await runtime.dispose();
    }
    if (!(parity <= ONNX_PARITY_TOLERANCE)) throw new Error(`ONNX export differs from tfjs by ${parity} on the test rows (tolerance ${ONNX_PARITY_TOLERANCE}); not registering`);

    stopIfCancelled();
    const parentVersion = await lineageParent(registry, o.name);
    const trainFirst = ds.ts[split.train.indices[0] as number] as number;
    const trainLast = ds.ts[split.train.indices[split.train.indices.length - 1] as number] as number;
    const recallMetrics: Record<string, number> = {};
    mlpScores.recall.forEach((r, c) => {
      if (r !== null) recallMetrics[`test_recall_${DIRECTION_NAMES[c]}`] = r;
    });
    const segmentInfo = (seg: Segment): Record<string, unknown> => ({ rows: seg.indices.length, from: iso(seg.from), to: iso(seg.to) });
    const registered: Omit<NewModelVersion, 'parentVersion'> = {
      name: o.name,
      format: 'onnx',
      metrics: {
        test_accuracy: mlpScores.accuracy,
        test_log_loss: mlpScores.logLoss,
        majority_accuracy: majorityScores.accuracy,
        majority_log_loss: majorityScores.logLoss,
        lr_accuracy: lrScores.accuracy,
        lr_log_loss: lrScores.logLoss,
        ...recallMetrics,
        val_log_loss: mlp.valLogLoss[mlp.bestEpoch - 1] as number,
        test_rows: testM.rows,
        train_rows: split.train.indices.length,
        calibration_rows: calM.rows,
        onnx_parity_max_abs_diff: parity,
      },
      featureSpec,
      calibration,
      trainRange: { from: trainFirst, to: trainLast + (o.horizon + 1) * o.barMs },
      configHash: trainingConfigHash(options, dataset),
      details: {
        kind: 'direction-classifier',
        classes: DIRECTION_NAMES,
        onnxInput: 'standardised',
        labels: { horizonBars: o.horizon, kAtr: o.kAtr, rule: 'ln(close[t+H]/close[t]) vs ±kAtr·ATR14[t]/close[t]' },
        dataset: { ...dataset, timeframe: o.timeframe, rows: ds.rows, dropped: ds.dropped },
        split: {
          purgeBars,
          boundaries: split.boundaries.map(iso),
          train: segmentInfo(split.train),
          fit: segmentInfo(fit),
          validation: segmentInfo(validation),
          calibration: segmentInfo(split.calibration),
          test: segmentInfo(split.test),
        },
        options: o,
        mlp: { hidden: o.hidden, activation: 'relu', epochsRun: mlp.epochsRun, bestEpoch: mlp.bestEpoch, backend: mlp.backend, confusion: mlpScores.confusion },
        logisticRegression: { epochsRun: lr.epochsRun, bestEpoch: lr.bestEpoch, confusion: lrScores.confusion },
        majority: { confusion: majorityScores.confusion },
      },
    };
    const model = await registry.register({ ...registered, parentVersion }, onnx, { actor: 'sextant-train', reason: `baseline training, seed ${o.seed}` });
    const report: CachedReport = {
      rows: { total: ds.rows, train: split.train.indices.length, fit: fitM.rows, validation: valM.rows, calibration: calM.rows, test: testM.rows },
      classShare: { train: Array.from(classFrequencies(trainY, 3)), test: Array.from(classFrequencies(testM.y, 3)) },
      test: { mlp: scores(mlpScores), logisticRegression: scores(lrScores), majority: scores(majorityScores) },
      calibration,
      onnxParityMaxAbsDiff: parity,
      mlp: { epochsRun: mlp.epochsRun, bestEpoch: mlp.bestEpoch, backend: mlp.backend },
      logisticRegression: { epochsRun: lr.epochsRun, bestEpoch: lr.bestEpoch },
      onnxInput: 'standardised',
    };
    if (key !== undefined) await cache?.put(key, { model: registered, artifact: onnx, report });
    return { ...report, model, cached: false };
  } finally {
    mlp.model.dispose();
    lr.model.dispose();
  }
}
