import type { TrainingSample } from '../../state/training-sample-store.js';
import { FeatureSpecSchema } from '../registry/feature-spec.js';
import type { ModelVersion, NewModelVersion } from '../registry/model-registry.js';
import { classificationMetrics } from '../training/classification-metrics.js';
import { configHash } from '../training/config-hash.js';
import { calibrate } from '../training/conformal-calibration.js';
import { DIRECTION_NAMES } from '../training/direction-labels.js';
import { DEFAULT_PARAMS } from '../training/model-params.js';
import type { ModelParams } from '../training/model-params.js';
import { startTrainingJob } from '../training/training-job.js';
import type { TrainingPace } from '../training/training-job.js';
import type { TrainingSpec } from '../training/training-spec.js';
import type { ClassRule } from './sample-class.js';
import { sampleDataset, splitSamples, standardisedRange } from './sample-dataset.js';
import { readDenseMlp } from '../onnx/read-dense-mlp.js';
import type { Standardiser } from '../training/standardiser.js';

export type ChallengerOptions = Readonly<{
  seed: number;
  epochs: number;
  validationFraction: number;
  /** `worker` (default): fit on a worker thread (training-job.ts); `main` for debugging. */
  thread?: 'worker' | 'main';
  /** Why and at which event time the cycle started (lineage). */
  /** The cycle's trigger, its event time and (`cycle`) its number among the actor's cycles: the lineage `isCycleChallenger` reads. */
  trigger: Readonly<{ kind: string; detail: string; ts: number; cycle?: number }>;
  strategy: string;
  /** The champion's classes (sample-class.ts: `classRuleOf`): the challenger is fitted to the same task. */
  rule: ClassRule;
  /** Paces the training process (live wiring); absent: it trains unpaced. */
  pace?: TrainingPace;
  /** Told how to cancel the worker's fit (an operator pause); the fit then rejects as cancelled. */
  onCancel?: (cancel: () => void) => void;
  /**
   * Continual learning: start from the champion's weights (its ONNX artifact) at this learning
   * rate instead of from seeded random ones, on the champion's standardisation. Used when the
   * champion is a dense MLP over standardised inputs with the same columns; otherwise the
   * challenger is fitted from scratch and `details.retraining.warmStart` says why.
   */
  warmStart?: Readonly<{ onnx: Uint8Array; learningRate: number }>;
}>;

/** What a warm start would start from, or why it cannot. */
export type WarmStartPlan =
  | Readonly<{ ok: true; weights: readonly Float32Array[]; hidden: readonly number[]; standardiser: Standardiser }>
  | Readonly<{ ok: false; reason: string }>;

/**
 * Whether a challenger for `champion` can start from the weights in `onnx`: a dense ReLU MLP with a
 * softmax over the three classes, reading the `cols` standardised columns of its feature spec
 * (no standardisation baked into the graph, no sequence window).
 */
export function warmStartPlan(onnx: Uint8Array, champion: ModelVersion, cols: number): WarmStartPlan {
  const spec = champion.featureSpec;
  if (spec.window !== undefined) return { ok: false, reason: 'the champion reads a sequence window' };
  if (spec.features.length !== cols || spec.mean.length !== cols || spec.std.length !== cols) return { ok: false, reason: `the champion's feature spec has ${spec.features.length} columns, the samples ${cols}` };
  const mlp = readDenseMlp(onnx);
  if (!mlp.ok) return { ok: false, reason: `the champion is not a dense MLP: ${mlp.reason}` };
  if (mlp.normalization !== undefined) return { ok: false, reason: 'the champion standardises inside its graph' };
  const { layers } = mlp;
  const [firstLayer] = layers;
  const last = layers[layers.length - 1];
  if (firstLayer === undefined || last === undefined) return { ok: false, reason: 'the champion has no layer' };
  if (firstLayer.inDim !== cols) return { ok: false, reason: `the champion's first layer reads ${firstLayer.inDim} columns, not ${cols}` };
  if (last.outDim !== 3 || last.activation !== 'softmax') return { ok: false, reason: 'the champion does not end in a softmax over 3 classes' };
  if (layers.slice(0, -1).some((l) => l.activation !== 'relu')) return { ok: false, reason: 'the champion has hidden layers other than ReLU' };
  return {
    ok: true,
    weights: layers.flatMap((l) => [l.weights, l.bias]),
    hidden: layers.slice(0, -1).map((l) => l.outDim),
    standardiser: { mean: Float64Array.from(spec.mean), std: Float64Array.from(spec.std) },
  };
}

/** A fitted, not yet registered challenger with what validation needs to check its artifact. */
export type ChallengerFit = Readonly<{
  model: NewModelVersion;
  onnx: Uint8Array;
  validation: Readonly<{ x: Float32Array; y: Int32Array; rows: number; cols: number; tfjsProbs: Float32Array }>;
  valLogLoss: number;
  params: ModelParams;
  rows: Readonly<{ samples: number; skipped: number; fit: number; validation: number }>;
}>;

/**
 * Fits a challenger to the champion's task on labeled training samples: the champion's columns
 * and transforms (standardisation refitted on the fit rows), the champion's down/flat/up classes
 * of each sample's forward return (`o.rule`), a seeded MLP fitted on a worker thread with early stopping on the latest
 * rows, exported to ONNX by the training pipeline. Same samples and seed → same model bytes.
 */
export async function fitChallenger(samples: readonly TrainingSample[], champion: ModelVersion, o: ChallengerOptions): Promise<ChallengerFit> {
  const ds = sampleDataset(samples, champion.featureSpec, o.rule);
  if (ds.rows < 20) throw new RangeError(`only ${ds.rows} usable samples (${ds.skipped} lacked a feature)`);
  const split = splitSamples(ds, o.validationFraction);
  const { fitEnd, valStart } = split;
  const warm = o.warmStart === undefined ? undefined : warmStartPlan(o.warmStart.onnx, champion, ds.cols);
  // A warm start keeps the champion's standardisation: its weights were learned on those inputs.
  const standardiser = warm?.ok === true ? warm.standardiser : split.standardiser;
  const fitX = standardisedRange(ds, standardiser, 0, fitEnd);
  const valX = standardisedRange(ds, standardiser, valStart, ds.rows);
  const valRows = ds.rows - valStart;
  if (valRows < 20) throw new RangeError(`only ${valRows} validation rows (the calibration's conformal quantiles need ≥ 20); raise training.minSamples or validationFraction`);
  const fitY = ds.y.slice(0, fitEnd);
  const valY = ds.y.slice(valStart);
  const params: ModelParams =
    warm?.ok === true && o.warmStart !== undefined
      ? { ...DEFAULT_PARAMS.mlp, seed: o.seed, epochs: o.epochs, hidden: warm.hidden, learningRate: o.warmStart.learningRate }
      : { ...DEFAULT_PARAMS.mlp, seed: o.seed, epochs: o.epochs };
  const spec: TrainingSpec = {
    model: 'mlp',
    params,
    classes: 3,
    window: 1,
    cols: ds.cols,
    fit: { x: fitX, y: fitY, rows: fitEnd },
    validation: { x: valX, y: valY, rows: valRows },
    evaluate: { validation: { x: valX, rows: valRows } },
    export: {
      inputName: 'features',
      outputName: 'probs',
      graphName: champion.name,
      metadata: { 'sextant.input': 'standardised: (transform(x) - mean) / std per the feature spec', 'sextant.classes': DIRECTION_NAMES.join(','), 'sextant.model': 'mlp', 'sextant.retrained': 'true' },
    },
    ...(warm?.ok === true ? { init: { weights: warm.weights } } : {}),
  };
  const warmStart = warm === undefined ? undefined : warm.ok ? { from: champion.version, learningRate: params.learningRate } : { from: champion.version, skipped: warm.reason };
  let result;
  // Loaded only here: tfjs is ~43 MB of the heap, and a live engine trains in a child process.
  if (o.thread === 'main') result = await (await import('../training/run-training-spec.js')).runTrainingSpec(spec);
  else {
    const job = startTrainingJob(spec, undefined, o.pace === undefined ? {} : { pace: o.pace });
    o.onCancel?.(() => job.cancel());
    result = await job.result;
  }
  const tfjsProbs = result.predictions['validation'] as Float32Array;
  const val = classificationMetrics(tfjsProbs, valY, 3);
  const valLogLoss = result.valLogLoss[result.bestEpoch - 1] as number;
  const featureSpec = FeatureSpecSchema.parse({ version: 1, features: [...ds.features], mean: [...standardiser.mean], std: [...standardiser.std], transforms: [...ds.transforms] });
  const calibration = calibrate({ y: fitY, r: ds.r.slice(0, fitEnd) }, { probs: tfjsProbs, r: ds.r.slice(valStart), scale: ds.scale.slice(valStart) }, champion.calibration.horizonMs);
  const horizons = new Set(samples.map((s) => s.horizonBars));
  const first = ds.ts[0] as number;
  const lastLabeled = ds.labeledTs.reduce((m, t) => (t > m ? t : m), Number.NEGATIVE_INFINITY);
  const model: NewModelVersion = {
    name: champion.name,
    format: 'onnx',
    metrics: { val_log_loss: valLogLoss, val_accuracy: val.accuracy, fit_rows: fitEnd, validation_rows: valRows, samples: samples.length },
    featureSpec,
    calibration,
    // From the first sample's decision time to just past the last label's time: the span of
    // information the fit saw, as `sextant train` records it (the last bar plus its label's
    // horizon). The shadow's purge (a label decided before `to` shares its outcome's span with
    // the training labels), the PSI reference (labeled before `to`) and the experiment's leakage
    // audit (`to` ≤ when it serves) read `to` as that label time; the last decision time would let
    // labels the fit overlaps into the shadow.
    trainRange: { from: first, to: lastLabeled + 1 },
    parentVersion: champion.version,
    configHash: configHash({ kind: 'retraining', params, features: ds.features, samples: samples.length, first, lastLabeled, validationFraction: o.validationFraction, ...(warmStart !== undefined ? { warmStart } : {}) }),
    details: {
      kind: 'direction-classifier',
      model: 'mlp',
      classes: DIRECTION_NAMES,
      onnxInput: 'standardised',
      input: { layout: '[batch, features]' },
      labels: {
        kAtr: o.rule.kAtr,
        ...(horizons.size === 1 ? { horizonBars: [...horizons][0] } : {}),
        rule: 'ln(exit/entry) of each labeled prediction over its horizon vs ±kAtr·ATR14/close of its decision-time vector',
        source: 'training samples',
        strategy: o.strategy,
      },
      retraining: { trigger: o.trigger, champion: { name: champion.name, version: champion.version }, ...(warmStart !== undefined ? { warmStart } : {}) },
      split: { fitRows: fitEnd, purged: valStart - fitEnd, validationRows: valRows },
      params: result.params,
      training: { epochsRun: result.epochsRun, bestEpoch: result.bestEpoch, backend: result.backend, valLogLoss: result.valLogLoss },
      confusion: val.confusion,
    },
  };
  return { model, onnx: result.onnx, validation: { x: valX, y: valY, rows: valRows, cols: ds.cols, tfjsProbs }, valLogLoss, params: result.params, rows: { samples: samples.length, skipped: ds.skipped, fit: fitEnd, validation: valRows } };
}
