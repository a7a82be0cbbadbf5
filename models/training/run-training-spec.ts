import * as tf from '@tensorflow/tfjs';
import type { LayersModel } from '@tensorflow/tfjs';
import { exportDenseMlp } from '../onnx/dense-mlp.js';
import { exportGruClassifier } from '../onnx/gru-classifier.js';
import { denseLayersOf } from '../onnx/tfjs-dense-layers.js';
import { gruLayersOf } from '../onnx/tfjs-gru-layers.js';
import { selectFeatures } from './feature-selection.js';
import { fitStackedEnsemble } from './fit-stacked-ensemble.js';
import { fitClassifier, predictRows, seedWeights } from './fit-classifier.js';
import type { FitResult, TensorRows } from './fit-classifier.js';
import { runSearch } from './hyperparameter-search.js';
import { applyParams } from './model-params.js';
import type { ModelParams } from './model-params.js';
import { randomSampler } from './random-search.js';
import { mulberry32 } from './seeded-rng.js';
import { tpeSampler } from './tpe-sampler.js';
import { buildGruClassifier } from './train-gru.js';
import { useTfjsBackend } from './train-mlp.js';
import { TrainingCancelledError } from './training-errors.js';
import type { SelectionReport, TrainingProgress, TrainingResult, TrainingSpec } from './training-spec.js';

export type TrainingHooks = Readonly<{ onProgress?: (p: TrainingProgress) => void; cancelled?: () => boolean }>;

type Rows = Readonly<{ x: Float32Array; rows: number }>;

function buildMlp(cols: number, p: ModelParams, classes: number): LayersModel {
  const regularizer = p.l2 > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2: p.l2 }) } : {};
  const widths = [...p.hidden, classes];
  return tf.sequential({
    layers: widths.map((units, i) => tf.layers.dense({ ...(i === 0 ? { inputShape: [cols] } : {}), units, activation: i === widths.length - 1 ? 'softmax' : 'relu', ...regularizer })),
  });
}

/** Puts a warm start's weights (`TrainingSpec.init`) into a freshly built model, shape by shape. */
function setInitialWeights(model: LayersModel, weights: readonly Float32Array[]): void {
  const current = model.getWeights();
  if (current.length !== weights.length) throw new RangeError(`warm start: ${weights.length} weight arrays for a model with ${current.length}`);
  const init = current.map((w, k) => {
    const src = weights[k] as Float32Array;
    if (src.length !== w.size) throw new RangeError(`warm start: weight ${k} has ${src.length} values, the model's [${w.shape.join(', ')}] needs ${w.size}`);
    for (let i = 0; i < src.length; i++) if (!Number.isFinite(src[i])) throw new RangeError(`warm start: weight ${k}[${i}] is not finite`);
    return tf.tensor(src, w.shape);
  });
  model.setWeights(init);
  tf.dispose(init);
}

/** Keeps input columns `kept` of rows laid out as `steps × cols` per row. */
export function narrowColumns(m: Rows, steps: number, cols: number, kept: readonly number[]): Float32Array {
  const out = new Float32Array(m.rows * steps * kept.length);
  for (let r = 0; r < m.rows; r++) {
    for (let t = 0; t < steps; t++) {
      const src = (r * steps + t) * cols;
      const dst = (r * steps + t) * kept.length;
      kept.forEach((j, k) => {
        out[dst + k] = m.x[src + j] as number;
      });
    }
  }
  return out;
}

/**
 * Runs a {@link TrainingSpec} on the calling thread: optional feature selection (a fit on all
 * columns, permutation importance on the validation rows, correlation filter on the fit rows),
 * optional hyper-parameter search (each trial a seeded fit with early stopping, scored by its
 * best validation log loss), then the final fit, its ONNX export and the tfjs probabilities of
 * the `evaluate` row sets. The training worker calls this; so can tests and the main thread.
 * For the stacked ensemble, selection and search fit its MLP base alone; the final fit is the
 * ensemble (LR + that MLP, out-of-fold stacking), and the epochs reported are its meta-learner's.
 */
export async function runTrainingSpec(spec: TrainingSpec, hooks: TrainingHooks = {}): Promise<TrainingResult> {
  if (spec.init !== undefined && (spec.model !== 'mlp' || spec.selectFeatures !== undefined || spec.search !== undefined)) {
    throw new RangeError('a warm start (init) needs model mlp without feature selection or a search: the columns and widths must stay those of the weights');
  }
  const backend = await useTfjsBackend('wasm');
  const { window, classes } = spec;
  const cancelled = hooks.cancelled ?? ((): boolean => false);
  const shapeOf = (cols: number): number[] => (window === 1 ? [cols] : [window, cols]);
  const check = (): void => {
    if (cancelled()) throw new TrainingCancelledError('training cancelled');
  };

  const fitOnce = async (p: ModelParams, cols: number, fit: Rows & { y: Int32Array }, val: Rows & { y: Int32Array }, phase: 'selection' | 'search' | 'final', trial?: number): Promise<{ model: LayersModel; r: FitResult }> => {
    const rng = mulberry32(p.seed);
    const model = spec.model === 'gru' ? buildGruClassifier(window, cols, { units: p.units, hidden: p.hidden, classes, l2: p.l2 }) : buildMlp(cols, p, classes);
    seedWeights(model, rng);
    if (phase === 'final' && spec.init !== undefined) {
      try {
        setInitialWeights(model, spec.init.weights);
      } catch (e) {
        model.dispose();
        throw e;
      }
    }
    model.compile({ optimizer: tf.train.adam(p.learningRate), loss: 'sparseCategoricalCrossentropy' });
    const shape = shapeOf(cols);
    try {
      const r = await fitClassifier(model, { ...fit, shape }, { ...val, shape }, {
        classes,
        epochs: p.epochs,
        batchSize: p.batchSize,
        patience: p.patience,
        rng,
        cancelled,
        onEpoch: (e) => hooks.onProgress?.({ type: 'epoch', phase, ...(trial !== undefined ? { trial } : {}), ...e }),
      });
      if (r.cancelled) throw new TrainingCancelledError('training cancelled');
      return { model, r };
    } catch (e) {
      model.dispose();
      throw e;
    }
  };

  let fit = spec.fit;
  let validation = spec.validation;
  let evaluate: Record<string, Rows> = { ...spec.evaluate };
  let columns = Array.from({ length: spec.cols }, (_, j) => j);
  let selection: SelectionReport | undefined;

  if (spec.selectFeatures !== undefined) {
    hooks.onProgress?.({ type: 'phase', phase: 'selection' });
    const s = spec.selectFeatures;
    const { model } = await fitOnce(spec.params, spec.cols, fit, validation, 'selection');
    try {
      // Correlations over the last step of each fit row: one row per bar.
      const last = narrowColumns({ x: fit.x, rows: fit.rows * window }, 1, spec.cols, columns).filter((_, i) => Math.floor(i / spec.cols) % window === window - 1);
      const sel = await selectFeatures((x, rows) => predictRows(model, { x, rows, shape: shapeOf(spec.cols) }), validation.x, validation.y, last, {
        classes,
        cols: spec.cols,
        steps: window,
        repeats: s.repeats,
        seed: s.seed,
        maxCorrelation: s.maxCorrelation,
        minImportance: s.minImportance,
      });
      selection = { kept: sel.kept, importance: sel.importance.importance, baseLogLoss: sel.importance.baseLogLoss, correlated: sel.correlated, unimportant: sel.unimportant };
      columns = [...sel.kept];
    } finally {
      model.dispose();
    }
    const narrow = <T extends Rows>(m: T): T => ({ ...m, x: narrowColumns(m, window, spec.cols, columns) });
    fit = narrow(fit);
    validation = narrow(validation);
    evaluate = Object.fromEntries(Object.entries(evaluate).map(([k, v]) => [k, narrow(v)]));
  }
  check();

  const cols = columns.length;
  let params = spec.params;
  let search: TrainingResult['search'];
  if (spec.search !== undefined) {
    hooks.onProgress?.({ type: 'phase', phase: 'search' });
    const s = spec.search;
    const sampler = s.sampler === 'tpe' ? tpeSampler({ seed: s.seed, startupTrials: Math.min(10, Math.max(2, Math.ceil(s.trials / 3))) }) : randomSampler(s.seed);
    const result = await runSearch({
      space: s.space,
      sampler,
      trials: s.trials,
      cancelled,
      onTrial: (t) => hooks.onProgress?.({ type: 'trial', trial: t }),
      objective: async (p, i) => {
        const { model, r } = await fitOnce(applyParams(spec.params, p), cols, fit, validation, 'search', i);
        model.dispose();
        return { loss: r.valLogLoss[r.bestEpoch - 1] ?? Infinity, detail: { epochsRun: r.epochsRun, bestEpoch: r.bestEpoch } };
      },
    });
    check();
    search = { sampler: result.sampler, trials: result.trials, best: result.best };
    if (Number.isFinite(result.best.loss)) params = applyParams(spec.params, result.best.params);
  }

  hooks.onProgress?.({ type: 'phase', phase: 'final' });
  if (spec.model === 'ensemble') {
    const ex = spec.export;
    const ens = await fitStackedEnsemble(fit, validation, cols, {
      bases: [[], params.hidden],
      classes,
      seed: params.seed,
      epochs: params.epochs,
      folds: spec.ensemble?.folds ?? 4,
      purge: spec.ensemble?.purgeRows ?? 0,
      learningRate: params.learningRate,
      batchSize: params.batchSize,
      patience: params.patience,
      l2: params.l2,
      export: { inputName: ex.inputName, outputName: ex.outputName, graphName: ex.graphName, metadata: ex.metadata },
      // Its epochs in the progress, as a single model's final fit reports its own.
      onMetaEpoch: (e) => hooks.onProgress?.({ type: 'epoch', phase: 'final', learner: 'meta-learner', ...e }),
    });
    try {
      check();
      const m = ens.metaTraining;
      return {
        onnx: ens.onnx,
        params,
        backend,
        epochsRun: m.epochsRun,
        bestEpoch: m.bestEpoch,
        valLogLoss: m.valLogLoss,
        columns,
        ...(selection !== undefined ? { selection } : {}),
        ...(search !== undefined ? { search } : {}),
        predictions: Object.fromEntries(Object.entries(evaluate).map(([k, v]) => [k, ens.predict(v.x, v.rows)])),
      };
    } finally {
      ens.dispose();
    }
  }
  const { model, r } = await fitOnce(params, cols, fit, validation, 'final');
  try {
    const ex = spec.export;
    const onnx =
      spec.model === 'gru'
        ? exportGruClassifier({ ...gruLayersOf(model), inputName: ex.inputName, outputName: ex.outputName, graphName: ex.graphName, metadata: ex.metadata })
        : exportDenseMlp({ layers: denseLayersOf(model), inputName: ex.inputName, outputName: ex.outputName, graphName: ex.graphName, metadata: ex.metadata });
    const predictions = Object.fromEntries(Object.entries(evaluate).map(([k, v]) => [k, predictRows(model, { ...v, shape: shapeOf(cols) } satisfies Omit<TensorRows, 'y'>)]));
    return {
      onnx,
      params,
      backend,
      epochsRun: r.epochsRun,
      bestEpoch: r.bestEpoch,
      valLogLoss: r.valLogLoss,
      columns,
      ...(selection !== undefined ? { selection } : {}),
      ...(search !== undefined ? { search } : {}),
      predictions,
    };
  } finally {
    model.dispose();
  }
}
