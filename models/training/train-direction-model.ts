import { InferenceSession, Tensor } from 'onnxruntime-node';
import { z } from 'zod';
import { FeatureSpecSchema } from '../registry/feature-spec.js';
import type { FeatureSpec } from '../registry/feature-spec.js';
import type { ModelCalibration, ModelRegistry, ModelVersion } from '../registry/model-registry.js';
import { lineageParent } from '../registry/lineage-parent.js';
import { ModelNameSchema } from '../registry/new-model-version.js';
import { buildBarDataset } from './bar-dataset.js';
import { requireTrainingRows } from './too-few-rows.js';
import type { BarDataset, SymbolBars } from './bar-dataset.js';
import { purgedTail, splitChronological } from './chronological-split.js';
import type { Segment } from './chronological-split.js';
import { classificationMetrics, majorityProbabilities } from './classification-metrics.js';
import { configHash } from './config-hash.js';
import { calibrate } from './conformal-calibration.js';
import { DIRECTION_NAMES } from './direction-labels.js';
import { DEFAULT_PARAMS, DEFAULT_SEARCH_SPACE, GRU_WINDOW, ModelKind } from './model-params.js';
import type { ModelParams } from './model-params.js';
import type { Trial } from './search-space.js';
import { runTrainingSpec } from './run-training-spec.js';
import { sequenceMatrix, windowChains } from './sequence-windows.js';
import { fitStandardiser, pick, standardiseRows } from './standardiser.js';
import type { Standardiser } from './standardiser.js';
import type { DatasetDescription, ModelScores } from './train-baseline.js';
import { ONNX_PARITY_TOLERANCE } from './onnx-parity.js';
import { startTrainingJob } from './training-job.js';
import type { TrainingProgress, TrainingResult, TrainingSpec } from './training-spec.js';
import { requireTwoClasses } from './label-classes.js';

/** Everything besides the bars that decides the model; hashed into `configHash`. */
export const TrainDirectionOptionsSchema = z
  .object({
    model: z.enum([ModelKind.mlp, ModelKind.gru, ModelKind.ensemble]).default('mlp'),
    name: ModelNameSchema.optional(),
    timeframe: z.string().min(1),
    barMs: z.number().int().positive(),
    horizon: z.number().int().min(1).default(4),
    kAtr: z.number().min(0).default(0.75),
    /** Time steps the GRU reads (ignored by the MLP). */
    window: z.number().int().min(GRU_WINDOW.min).max(GRU_WINDOW.max).default(16),
    seed: z.number().int().min(0).default(42),
    epochs: z.number().int().positive().optional(),
    search: z.enum(['none', 'random', 'tpe']).default('none'),
    trials: z.number().int().positive().default(8),
    selectFeatures: z.boolean().default(false),
    maxCorrelation: z.number().gt(0).max(1).default(0.95),
    minImportance: z.number().default(0),
    trainFraction: z.number().gt(0).lt(1).default(0.7),
    calibrationFraction: z.number().gt(0).lt(1).default(0.15),
    validationFraction: z.number().gt(0).lt(1).default(0.15),
    purgeBars: z.number().int().positive().optional(),
    /** Most training rows used (the latest ones); keeps CPU runs short. Default all. */
    maxFitRows: z.number().int().positive().optional(),
  })
  .strict();
export type TrainDirectionOptions = z.input<typeof TrainDirectionOptionsSchema>;
type Resolved = z.output<typeof TrainDirectionOptionsSchema>;

export type TrainDirectionReport = Readonly<{
  model: ModelVersion;
  kind: ModelKind;
  rows: Readonly<{ fit: number; validation: number; calibration: number; test: number }>;
  test: Readonly<{ model: ModelScores; majority: ModelScores }>;
  features: readonly string[];
  params: ModelParams;
  training: Readonly<{ epochsRun: number; bestEpoch: number; backend: string; valLogLoss: number }>;
  selection?: TrainingResult['selection'];
  /** `history`: every trial, in order (its params and validation log loss). */
  search?: Readonly<{ sampler: string; trials: number; bestValLogLoss: number; bestParams: Readonly<Record<string, string | number>>; history: readonly Trial[] }>;
  calibration: ModelCalibration;
  onnxParityMaxAbsDiff: number;
}>;

export type TrainDirectionHooks = Readonly<{
  /** `worker` (default): the fits run in a background training job (`startTrainingJob`: a child process); `main`: on this thread (tests, debugging). */
  thread?: 'worker' | 'main';
  onProgress?: (p: TrainingProgress) => void;
}>;

type Rows = Readonly<{ x: Float32Array; y: Int32Array; rows: number; indices: Int32Array }>;

const scores = (probs: Float32Array, y: Int32Array): ModelScores => {
  const m = classificationMetrics(probs, y, 3);
  return { accuracy: m.accuracy, logLoss: m.logLoss, recall: m.recall, confusion: m.confusion };
};
const iso = (ms: number): string => new Date(ms).toISOString();

function rowsOf(ds: BarDataset, seg: Segment, s: Standardiser, o: Resolved, chains: readonly Int32Array[] | undefined): Rows {
  if (chains !== undefined) return sequenceMatrix(ds, chains, seg.indices, o.window, s);
  return { x: standardiseRows(ds.x, ds.cols, seg.indices, s), y: pick(ds.y, seg.indices), rows: seg.indices.length, indices: seg.indices };
}

/** The last `n` rows of a set (the most recent, when rows are in time order). */
function tail(m: Rows, n: number | undefined, width: number): Rows {
  if (n === undefined || m.rows <= n) return m;
  const from = m.rows - n;
  return { x: m.x.slice(from * width), y: m.y.slice(from), rows: n, indices: m.indices.slice(from) };
}

async function onnxProbs(onnx: Uint8Array, x: Float32Array, dims: readonly number[]): Promise<Float32Array> {
  const session = await InferenceSession.create(onnx);
  try {
    const out = await session.run({ [session.inputNames[0] as string]: new Tensor('float32', x, [...dims]) });
    return Float32Array.from(out[session.outputNames[0] as string]?.data as Float32Array);
  } finally {
    await session.release();
  }
}

/**
 * A direction classifier (MLP, GRU over the last `window` bars, or a stacked ensemble of LR and
 * an MLP) end to end, with the
 * extensions of issue 6: optional feature selection and hyper-parameter search (random or TPE),
 * every fit in a background training job (a child process); then the same purged chronological split, out-of-sample scores
 * next to the majority class, calibration, ONNX export checked in onnxruntime against tfjs, and
 * registration with lineage (feature spec of the selected columns, training range, parent
 * version, config hash, search trials). The model takes standardised inputs, like the baseline;
 * the GRU's input is `[batch, window, features]`, oldest bar first (details.input says so).
 */
export async function trainDirectionModel(bars: readonly SymbolBars[], dataset: DatasetDescription, options: TrainDirectionOptions, registry: ModelRegistry, hooks: TrainDirectionHooks = {}): Promise<TrainDirectionReport> {
  const o = TrainDirectionOptionsSchema.parse(options);
  const name = o.name ?? `direction-${o.model}`;
  const ds = buildBarDataset(bars, { horizon: o.horizon, kAtr: o.kAtr, barMs: o.barMs });
  requireTrainingRows(ds);
  const purgeBars = o.purgeBars ?? o.horizon;
  const split = splitChronological(ds, { trainFraction: o.trainFraction, calibrationFraction: o.calibrationFraction, purgeBars });
  const { fit: fitSeg, validation: valSeg } = purgedTail(ds, split.train, o.validationFraction, purgeBars);
  requireTwoClasses(ds.y, split.train.indices, o);
  const standardiser = fitStandardiser(ds.x, ds.cols, split.train.indices);
  const window = o.model === 'gru' ? o.window : 1;
  const chains = o.model === 'gru' ? windowChains(ds, o.window) : undefined;
  const fit = tail(rowsOf(ds, fitSeg, standardiser, o, chains), o.maxFitRows, window * ds.cols);
  const validation = rowsOf(ds, valSeg, standardiser, o, chains);
  const cal = rowsOf(ds, split.calibration, standardiser, o, chains);
  const test = rowsOf(ds, split.test, standardiser, o, chains);
  for (const [what, m] of [['fit', fit], ['validation', validation], ['calibration', cal], ['test', test]] as const) {
    if (m.rows === 0) throw new RangeError(`the ${what} segment has no rows${chains !== undefined ? ` with a full ${o.window}-bar window` : ''}; give more bars or change the fractions`);
  }

  const params: ModelParams = { ...DEFAULT_PARAMS[o.model], seed: o.seed, ...(o.epochs !== undefined ? { epochs: o.epochs } : {}) };
  const metadata = {
    'sextant.input': window === 1 ? 'standardised: (transform(x) - mean) / std per the feature spec' : `standardised windows [batch, ${window}, features], oldest bar first`,
    'sextant.classes': DIRECTION_NAMES.join(','),
    'sextant.horizon_bars': String(o.horizon),
    'sextant.timeframe': o.timeframe,
    'sextant.model': o.model,
  };
  const spec: TrainingSpec = {
    model: o.model,
    params,
    classes: 3,
    window,
    cols: ds.cols,
    fit,
    validation,
    evaluate: { calibration: { x: cal.x, rows: cal.rows }, test: { x: test.x, rows: test.rows } },
    ...(o.selectFeatures ? { selectFeatures: { maxCorrelation: o.maxCorrelation, minImportance: o.minImportance, repeats: 3, seed: o.seed } } : {}),
    ...(o.search !== 'none' ? { search: { sampler: o.search, trials: o.trials, seed: o.seed, space: DEFAULT_SEARCH_SPACE[o.model] } } : {}),
    // Fit rows interleave the symbols bar by bar: a label horizon spans about horizon × symbols rows.
    ...(o.model === 'ensemble' ? { ensemble: { folds: 4, purgeRows: o.horizon * bars.length } } : {}),
    export: { inputName: window === 1 ? 'features' : 'windows', outputName: 'probs', graphName: name, metadata },
  };
  const result = hooks.thread === 'main' ? await runTrainingSpec(spec, { ...(hooks.onProgress !== undefined ? { onProgress: hooks.onProgress } : {}) }) : await startTrainingJob(spec, hooks.onProgress).result;

  const features = result.columns.map((j) => ds.features[j] as string);
  const testProbs = result.predictions['test'] as Float32Array;
  const calProbs = result.predictions['calibration'] as Float32Array;
  const k = result.columns.length;
  const narrowTest = k === ds.cols ? test.x : Float32Array.from({ length: test.rows * window * k }, (_, i) => test.x[Math.floor(i / k) * ds.cols + (result.columns[i % k] as number)] as number);
  const onnxTest = await onnxProbs(result.onnx, narrowTest, window === 1 ? [test.rows, k] : [test.rows, window, k]);
  let parity = onnxTest.length === testProbs.length ? 0 : Infinity;
  for (let i = 0; i < testProbs.length && parity !== Infinity; i++) parity = Math.max(parity, Math.abs((onnxTest[i] as number) - (testProbs[i] as number)));
  if (!(parity <= ONNX_PARITY_TOLERANCE)) throw new Error(`ONNX export differs from tfjs by ${parity} on the test rows (tolerance ${ONNX_PARITY_TOLERANCE}); not registering`);

  const modelScores = scores(testProbs, test.y);
  const trainY = pick(ds.y, split.train.indices);
  const majority = scores(majorityProbabilities(trainY, test.rows, 3), test.y);
  const calibration = calibrate({ y: trainY, r: pick(ds.r, split.train.indices) }, { probs: calProbs, r: pick(ds.r, cal.indices), scale: pick(ds.scale, cal.indices) }, o.horizon * o.barMs);
  const featureSpec: FeatureSpec = FeatureSpecSchema.parse({
    version: 1,
    features,
    mean: result.columns.map((j) => standardiser.mean[j] as number),
    std: result.columns.map((j) => standardiser.std[j] as number),
    transforms: result.columns.map((j) => ds.transforms[j]),
    // The strategy core builds the same windows from live bars: `window` bars, `barMs` apart.
    ...(window > 1 ? { window: { steps: window, stepMs: o.barMs } } : {}),
  });
  const valLogLoss = result.valLogLoss[result.bestEpoch - 1] as number;
  const parentVersion = await lineageParent(registry, name);
  const trainFirst = ds.ts[split.train.indices[0] as number] as number;
  const trainLast = ds.ts[split.train.indices[split.train.indices.length - 1] as number] as number;
  const seg = (s: Segment): Record<string, unknown> => ({ rows: s.indices.length, from: iso(s.from), to: iso(s.to) });
  const search = result.search;
  const model = await registry.register(
    {
      name,
      format: 'onnx',
      metrics: {
        test_accuracy: modelScores.accuracy,
        test_log_loss: modelScores.logLoss,
        majority_accuracy: majority.accuracy,
        majority_log_loss: majority.logLoss,
        val_log_loss: valLogLoss,
        test_rows: test.rows,
        fit_rows: fit.rows,
        calibration_rows: cal.rows,
        onnx_parity_max_abs_diff: parity,
        features: k,
        ...(search !== undefined ? { search_trials: search.trials.length, search_best_val_log_loss: search.best.loss } : {}),
      },
      featureSpec,
      calibration,
      trainRange: { from: trainFirst, to: trainLast + (o.horizon + 1) * o.barMs },
      parentVersion,
      configHash: configHash({ options: o, dataset }),
      details: {
        kind: 'direction-classifier',
        model: o.model,
        classes: DIRECTION_NAMES,
        onnxInput: 'standardised',
        input: window === 1 ? { layout: '[batch, features]' } : { layout: '[batch, window, features]', window, order: 'oldest bar first' },
        labels: { horizonBars: o.horizon, kAtr: o.kAtr },
        dataset: { ...dataset, timeframe: o.timeframe, rows: ds.rows, dropped: ds.dropped },
        split: { purgeBars, boundaries: split.boundaries.map(iso), train: seg(split.train), fit: seg(fitSeg), validation: seg(valSeg), calibration: seg(split.calibration), test: seg(split.test), fitRowsUsed: fit.rows },
        options: o,
        params: result.params,
        training: { epochsRun: result.epochsRun, bestEpoch: result.bestEpoch, backend: result.backend, valLogLoss: result.valLogLoss },
        ...(result.selection !== undefined
          ? {
              featureSelection: {
                allFeatures: ds.features,
                importance: Object.fromEntries(ds.features.map((f, j) => [f, result.selection?.importance[j] ?? 0])),
                correlated: result.selection.correlated.map((d) => ({ dropped: ds.features[d.column], kept: ds.features[d.keptInstead], correlation: d.correlation })),
                unimportant: result.selection.unimportant.map((j) => ds.features[j]),
              },
            }
          : {}),
        ...(search !== undefined ? { search: { sampler: search.sampler, trials: search.trials.map((t) => ({ index: t.index, params: t.params, valLogLoss: Number.isFinite(t.loss) ? t.loss : null })) } } : {}),
        confusion: modelScores.confusion,
      },
    },
    result.onnx,
    { actor: 'sextant-train', reason: `${o.model} training, seed ${o.seed}${search !== undefined ? `, ${search.sampler} search over ${search.trials.length} trials` : ''}` },
  );
  return {
    model,
    kind: o.model,
    rows: { fit: fit.rows, validation: validation.rows, calibration: cal.rows, test: test.rows },
    test: { model: modelScores, majority },
    features,
    params: result.params,
    training: { epochsRun: result.epochsRun, bestEpoch: result.bestEpoch, backend: result.backend, valLogLoss },
    ...(result.selection !== undefined ? { selection: result.selection } : {}),
    ...(search !== undefined ? { search: { sampler: search.sampler, trials: search.trials.length, bestValLogLoss: search.best.loss, bestParams: search.best.params, history: search.trials } } : {}),
    calibration,
    onnxParityMaxAbsDiff: parity,
  };
}
