import type { LayersModel } from '@tensorflow/tfjs';
import { loadSymbolBars } from '../../cli/commands/train.js';
import { FeatureEngine } from '../../models/features/feature-engine.js';
import type { BarInput } from '../../models/features/inputs.js';
import { exportGruClassifier } from '../../models/onnx/gru-classifier.js';
import { gruLayersOf } from '../../models/onnx/tfjs-gru-layers.js';
import type { FeatureSpec } from '../../models/registry/feature-spec.js';
import { FeatureSpecSchema } from '../../models/registry/feature-spec.js';
import type { ModelCalibration } from '../../models/registry/model-registry.js';
import { buildBarDataset } from '../../models/training/bar-dataset.js';
import type { BarDataset } from '../../models/training/bar-dataset.js';
import { calibrate } from '../../models/training/conformal-calibration.js';
import { predictRows } from '../../models/training/fit-classifier.js';
import { sequenceMatrix, windowChains } from '../../models/training/sequence-windows.js';
import { fitStandardiser, pick } from '../../models/training/standardiser.js';
import type { Standardiser } from '../../models/training/standardiser.js';
import { trainGruClassifier } from '../../models/training/train-gru.js';
import type { Bar } from '../../streams/messages/bar.js';
import { barId, TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { featureVectorId } from '../../streams/messages/feature-vector.js';
import { testDataDir } from '../support/data-dir.js';

export const VENUE = 'binance';
export const BAR_MS = TIMEFRAME_MS['1h'];

/** One bar of a symbol and the vector the asset actor computes from it (FeatureEngine, close carried). */
export type BarEvent = Readonly<{ bar: Bar; vector: FeatureVector }>;

export type RealGru = Readonly<{
  window: number;
  /** The trained tfjs model (the reference the served ONNX graph must match). */
  tfjs: LayersModel;
  onnx: Uint8Array;
  featureSpec: FeatureSpec;
  calibration: ModelCalibration;
  ds: BarDataset;
  standardiser: Standardiser;
  /** Per symbol, every bar in time order with its vector. */
  events: ReadonlyMap<string, readonly BarEvent[]>;
  /** Event time from which bars were not seen in training (serve these). */
  servingFrom: number;
}>;

/** The bar messages and feature vectors the asset actor would publish for `bars`. */
export function barEvents(symbol: string, bars: readonly BarInput[]): BarEvent[] {
  const engine = new FeatureEngine();
  return bars.map((b) => {
    engine.onBar(b);
    const bar: Bar = { type: 'md.bar', v: 1, id: barId(VENUE, symbol, '1h', b.ts), venue: VENUE, symbol, tf: '1h', open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, ts: b.ts };
    const values: Record<string, number | null> = { ...engine.values(), close: b.close };
    return { bar, vector: { type: 'feat.vector', v: 1, id: featureVectorId(bar.id), venue: VENUE, symbol, ts: b.ts, source: bar.id, values } };
  });
}

/**
 * A small GRU (8 units, a few seeded epochs) trained on real 1h bars of `symbols` over
 * [from, to) — the first 80 % of labelled rows, the last 10 % of those for early stopping — with
 * the spec and calibration `sextant train --model gru` would register (window in the spec).
 */
export async function trainRealGru(symbols: readonly string[], from: string, to: string, window: number): Promise<RealGru> {
  const loaded = await loadSymbolBars(testDataDir(), symbols, '1h', { from: Date.parse(`${from}T00:00:00Z`), to: Date.parse(`${to}T00:00:00Z`) });
  const ds = buildBarDataset(loaded, { horizon: 4, kAtr: 0.75, barMs: BAR_MS });
  const trainEnd = Math.floor(ds.rows * 0.8);
  const fitEnd = Math.floor(trainEnd * 0.9);
  const range = (a: number, b: number): Int32Array => Int32Array.from({ length: b - a }, (_, i) => a + i);
  const standardiser = fitStandardiser(ds.x, ds.cols, range(0, trainEnd));
  const chains = windowChains(ds, window);
  const fit = sequenceMatrix(ds, chains, range(0, fitEnd - 8), window, standardiser);
  const val = sequenceMatrix(ds, chains, range(fitEnd, trainEnd), window, standardiser);
  const trained = await trainGruClassifier(fit, val, { units: 8, classes: 3, seed: 11, epochs: 3, batchSize: 128, learningRate: 0.01, patience: 2 });
  const { gru, head } = gruLayersOf(trained.model);
  const onnx = exportGruClassifier({ gru, head, window, inputName: 'windows', outputName: 'probs' });
  const featureSpec = FeatureSpecSchema.parse({
    version: 1,
    features: ds.features,
    mean: Array.from(standardiser.mean),
    std: Array.from(standardiser.std),
    transforms: ds.transforms,
    window: { steps: window, stepMs: BAR_MS },
  });
  const valProbs = predictRows(trained.model, { x: val.x, rows: val.rows, shape: [window, ds.cols] });
  const calibration = calibrate({ y: pick(ds.y, range(0, fitEnd)), r: pick(ds.r, range(0, fitEnd)) }, { probs: valProbs, r: pick(ds.r, val.indices) }, 4 * BAR_MS);
  const events = new Map(loaded.map((s) => [s.symbol, barEvents(s.symbol, s.bars)]));
  return { window, tfjs: trained.model, onnx, featureSpec, calibration, ds, standardiser, events, servingFrom: (ds.ts[trainEnd] as number) + 5 * BAR_MS };
}

/**
 * What the model should see for vector `k` of a symbol: the last `window` vectors (k − W + 1 … k),
 * transformed and standardised per the spec, written independently of the strategy core's input
 * builder; undefined when one of them lacks a feature or the bars are not consecutive.
 */
export function referenceWindow(g: RealGru, symbolEvents: readonly BarEvent[], k: number): Float32Array | undefined {
  const { features, mean, std, transforms } = g.featureSpec;
  const out = new Float32Array(g.window * features.length);
  for (let t = 0; t < g.window; t++) {
    const e = symbolEvents[k - g.window + 1 + t];
    if (e === undefined) return undefined;
    if (t > 0 && e.vector.ts - (symbolEvents[k - g.window + t] as BarEvent).vector.ts !== BAR_MS) return undefined;
    for (let j = 0; j < features.length; j++) {
      const raw = e.vector.values[features[j] as string];
      if (raw === undefined || raw === null) return undefined;
      const x = transforms[j] === 'rel_price' ? raw / e.bar.close : raw;
      out[t * features.length + j] = (x - (mean[j] as number)) / (std[j] as number);
    }
  }
  return out;
}
