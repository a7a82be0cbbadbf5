import type { TrainingSample } from '../../state/training-sample-store.js';
import { DEFAULT_PRICE_KEYS } from '../inference/input-builder.js';
import { conformalScaleOf } from '../inference/prediction-math.js';
import type { FeatureSpec } from '../registry/feature-spec.js';
import { fitStandardiser } from '../training/standardiser.js';
import type { Standardiser } from '../training/standardiser.js';
import { classOfSample } from './sample-class.js';
import type { ClassRule } from './sample-class.js';

/**
 * Training samples as a model's rows: the columns and transforms of a feature spec (the
 * champion's, so the challenger reads the same inputs), one row per sample with every feature
 * present, in (decision time, id) order. The class of each row is the champion's (`rule`:
 * sample-class.ts), never the direction-relative triple-barrier label.
 */
export type SampleDataset = Readonly<{
  features: readonly string[];
  transforms: FeatureSpec['transforms'];
  /** Transformed, not standardised; row-major `rows × cols`. */
  x: Float64Array;
  y: Int32Array;
  r: Float64Array;
  /** ATR14 / close of each row's vector: the conformal intervals' scale. */
  scale: Float64Array;
  ts: Float64Array;
  labeledTs: Float64Array;
  rows: number;
  cols: number;
  skipped: number;
}>;

/**
 * Writes the transformed (not standardised) row of one stored vector into `out`, as the input
 * builder does (models/inference/input-builder.ts) but in float64; false when a feature or the
 * price is missing or a value is not finite (the strategy core would not score that vector either).
 */
export function rowOf(values: Readonly<Record<string, number | null>>, spec: Pick<FeatureSpec, 'features' | 'transforms'>, out: number[]): boolean {
  let price: number | undefined;
  for (const k of DEFAULT_PRICE_KEYS) {
    const p = values[k];
    if (p !== undefined && p !== null && Number.isFinite(p) && p > 0) {
      price = p;
      break;
    }
  }
  if (price === undefined) return false;
  for (let j = 0; j < spec.features.length; j++) {
    const raw = values[spec.features[j] as string];
    if (raw === undefined || raw === null) return false;
    const v = spec.transforms[j] === 'rel_price' ? raw / price : raw;
    if (!Number.isFinite(v)) return false;
    out[j] = v;
  }
  return true;
}

export function sampleDataset(samples: readonly TrainingSample[], spec: Pick<FeatureSpec, 'features' | 'transforms'>, rule: ClassRule): SampleDataset {
  const cols = spec.features.length;
  const x: number[] = [];
  const y: number[] = [];
  const r: number[] = [];
  const sc: number[] = [];
  const ts: number[] = [];
  const lts: number[] = [];
  let skipped = 0;
  const row = new Array<number>(cols);
  for (const s of samples) {
    const cls = classOfSample(s, rule);
    const scale = conformalScaleOf(s.features['atr_14'] ?? Number.NaN, s.features['close'] ?? Number.NaN);
    if (cls === undefined || Number.isNaN(scale) || !rowOf(s.features, spec, row)) {
      skipped++;
      continue;
    }
    x.push(...row);
    y.push(cls);
    r.push(s.forwardReturn);
    sc.push(scale);
    ts.push(s.ts);
    lts.push(s.labeledTs);
  }
  return { features: spec.features, transforms: spec.transforms, x: Float64Array.from(x), y: Int32Array.from(y), r: Float64Array.from(r), scale: Float64Array.from(sc), ts: Float64Array.from(ts), labeledTs: Float64Array.from(lts), rows: y.length, cols, skipped };
}

/** Rows `[from, to)` standardised as float32 (what the ONNX model reads). */
export function standardisedRange(ds: SampleDataset, s: Standardiser, from: number, to: number): Float32Array {
  const out = new Float32Array((to - from) * ds.cols);
  for (let i = from; i < to; i++) for (let j = 0; j < ds.cols; j++) out[(i - from) * ds.cols + j] = ((ds.x[i * ds.cols + j] as number) - (s.mean[j] as number)) / (s.std[j] as number);
  return out;
}

/**
 * Chronological split: the last `validationFraction` of the rows validate; the fit rows are those
 * before the first row whose label was not known at the first validation decision (its horizon
 * overlaps it), so none of them saw a validation bar. Samples may mix horizons (models of one
 * strategy with different horizons), so label times do not rise with the rows: the cut is the
 * first such row from the start, not the last from the end.
 */
export function splitSamples(ds: SampleDataset, validationFraction: number): Readonly<{ fitEnd: number; valStart: number; standardiser: Standardiser }> {
  const valStart = Math.min(ds.rows - 1, Math.max(1, Math.floor(ds.rows * (1 - validationFraction))));
  const firstVal = ds.ts[valStart] as number;
  let fitEnd = 0;
  while (fitEnd < valStart && (ds.labeledTs[fitEnd] as number) <= firstVal) fitEnd++;
  if (fitEnd < 10) throw new RangeError(`only ${fitEnd} fit rows after the purge; need more samples`);
  return { fitEnd, valStart, standardiser: fitStandardiser(ds.x, ds.cols, Int32Array.from({ length: fitEnd }, (_, i) => i)) };
}
