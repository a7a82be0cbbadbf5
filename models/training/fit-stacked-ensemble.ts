import { exportStackedEnsemble } from '../onnx/stacked-ensemble.js';
import { metaLearnerEpochs } from './meta-learner-epochs.js';
import { denseLayersOf } from '../onnx/tfjs-dense-layers.js';
import type { DenseLayer } from '../onnx/dense-mlp.js';
import { trainLogisticRegression } from './logistic-regression.js';
import { outOfFoldProbabilities, rowsOf, stackProbabilities } from './stacked-ensemble.js';
import type { OutOfFold } from './stacked-ensemble.js';
import { predictProbabilities, trainDenseClassifier } from './train-mlp.js';
import type { Matrix } from './train-mlp.js';
import type { EpochReport } from './fit-classifier.js';

export type StackedEnsembleOptions = Readonly<{
  /** Hidden widths of each dense base model (`[]` = logistic regression). */
  bases: readonly (readonly number[])[];
  classes: number;
  seed: number;
  /** Most epochs of each base model; the meta-learner gets at least `META_LEARNER_MIN_EPOCHS` (meta-learner-epochs.ts). */
  epochs: number;
  /** Forward-chaining folds for the out-of-fold probabilities; default 4. */
  folds?: number;
  /** Rows left out before each predicted fold (the label horizon); default 0. */
  purge?: number;
  learningRate?: number;
  batchSize?: number;
  patience?: number;
  /** L2 penalty on the bases' kernels (default 1e-4, as `trainDenseClassifier`). */
  l2?: number;
  /** Names and metadata of the exported graph (default input `features`, output `probs`). */
  export?: Readonly<{ inputName?: string; outputName?: string; graphName?: string; metadata?: Readonly<Record<string, string>> }>;
  /** Told after each epoch of the meta-learner (the epochs `metaTraining` reports). */
  onMetaEpoch?: (e: EpochReport) => void;
}>;

export type StackedEnsemble = Readonly<{
  /** One ONNX graph: bases → Concat → meta softmax. */
  onnx: Uint8Array;
  /** The ensemble's probabilities of rows `x` (what the graph computes, in tfjs). */
  predict(x: Float32Array, rows: number): Float32Array;
  outOfFold: OutOfFold;
  meta: DenseLayer;
  bases: readonly (readonly DenseLayer[])[];
  /** The meta-learner's fit: epochs run, the epoch kept, validation log loss per epoch. */
  metaTraining: Readonly<{ epochsRun: number; bestEpoch: number; valLogLoss: readonly number[] }>;
  /** Frees the tfjs models behind `predict`. */
  dispose(): void;
}>;

/**
 * A stacked ensemble of dense classifiers: out-of-fold base probabilities by forward chaining
 * (models/training/stacked-ensemble.ts) train a multinomial logistic-regression meta-learner
 * (early stopping on the bases' validation probabilities, from the bases refitted on all of
 * `fit`); the refitted bases and the meta layer are exported as one ONNX graph. `fit` rows must
 * be in time order.
 */
export async function fitStackedEnsemble(fit: Matrix, validation: Matrix, cols: number, o: StackedEnsembleOptions): Promise<StackedEnsemble> {
  const { classes } = o;
  const common = {
    classes,
    epochs: o.epochs,
    ...(o.learningRate !== undefined ? { learningRate: o.learningRate } : {}),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.patience !== undefined ? { patience: o.patience } : {}),
    ...(o.l2 !== undefined ? { l2: o.l2 } : {}),
  };
  const fitBase = (hidden: readonly number[], k: number, train: Matrix, val: Matrix): ReturnType<typeof trainDenseClassifier> => trainDenseClassifier(train, val, cols, { ...common, hidden, seed: o.seed + k });

  // Out-of-fold: early stopping inside a fold watches the same validation rows as the final fit.
  const outOfFold = await outOfFoldProbabilities(
    fit.rows,
    o.folds ?? 4,
    o.purge ?? 0,
    o.bases.map((hidden, k) => async (train, predict) => {
      const m = await fitBase(hidden, k, rowsOf(fit, cols, train), validation);
      try {
        const p = rowsOf(fit, cols, predict);
        return predictProbabilities(m.model, p.x, p.rows, cols);
      } finally {
        m.model.dispose();
      }
    }),
    classes,
  );

  const full = await Promise.all(o.bases.map((hidden, k) => fitBase(hidden, k, fit, validation)));
  try {
    const bases = full.map((m) => denseLayersOf(m.model));
    const stackedVal = stackProbabilities(full.map((m) => predictProbabilities(m.model, validation.x, validation.rows, cols)), validation.rows, classes);
    const metaFit: Matrix = { x: outOfFold.x, y: Int32Array.from(outOfFold.rows, (r) => fit.y[r] as number), rows: outOfFold.rows.length };
    const width = o.bases.length * classes;
    const lr = await trainLogisticRegression(metaFit, { x: stackedVal, y: validation.y, rows: validation.rows }, width, {
      seed: o.seed,
      epochs: metaLearnerEpochs(o.epochs),
      patience: 5,
      learningRate: 0.01,
      classes,
      ...(o.onMetaEpoch !== undefined ? { onEpoch: o.onMetaEpoch } : {}),
    });
    try {
      const [meta] = denseLayersOf(lr.model) as [DenseLayer];
      const ex = o.export ?? {};
      const onnx = exportStackedEnsemble({
        bases,
        meta,
        inputName: ex.inputName ?? 'features',
        outputName: ex.outputName ?? 'probs',
        graphName: ex.graphName ?? 'stacked_ensemble',
        ...(ex.metadata !== undefined ? { metadata: ex.metadata } : {}),
      });
      const baseModels = full.map((m) => m.model);
      const metaModel = lr.model;
      return {
        onnx,
        outOfFold,
        meta,
        bases,
        metaTraining: { epochsRun: lr.epochsRun, bestEpoch: lr.bestEpoch, valLogLoss: lr.valLogLoss },
        dispose: () => [...baseModels, metaModel].forEach((m) => m.dispose()),
        predict: (x, rows) => predictProbabilities(metaModel, stackProbabilities(baseModels.map((m) => predictProbabilities(m, x, rows, cols)), rows, classes), rows, width),
      };
    } catch (e) {
      lr.model.dispose();
      throw e;
    }
  } catch (e) {
    full.forEach((m) => m.model.dispose());
    throw e;
  }
}
