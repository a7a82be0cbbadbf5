import { FeatureEngine } from '../features/feature-engine.js';
import { FEATURE_NAMES } from '../features/feature-names.js';
import type { BarInput } from '../features/inputs.js';
import { conformalScaleOf } from '../inference/prediction-math.js';
import { directionLabels } from './direction-labels.js';
import { BASELINE_FEATURES, engineColumns, transformRow } from './feature-row.js';
import type { FeatureTransform } from './feature-row.js';

/** The bars of one symbol, in time order, all of one timeframe. */
export type SymbolBars = Readonly<{ symbol: string; bars: readonly BarInput[] }>;

export type DatasetOptions = Readonly<{
  horizon: number;
  kAtr: number;
  /** Bar spacing (the timeframe) in ms: labels never span a gap in the data. */
  barMs: number;
  /** Inputs and their transforms; default {@link BASELINE_FEATURES}. */
  features?: readonly Readonly<{ name: string; transform: FeatureTransform }>[];
}>;

/**
 * Labelled rows of every symbol, sorted by time (then by symbol order), one row per bar that has
 * all its features and a label. `x` holds the transformed but unstandardised inputs, row-major.
 */
export type BarDataset = Readonly<{
  features: readonly string[];
  transforms: readonly FeatureTransform[];
  cols: number;
  rows: number;
  x: Float64Array;
  /** Class per row: 0 down, 1 flat, 2 up. */
  y: Int32Array;
  /** Forward log return over the horizon, per row (for calibration). */
  r: Float64Array;
  /** ATR14 / close at the row's bar (`conformalScaleOf`): the conformal intervals' scale. */
  scale: Float64Array;
  /** Bar open time per row. */
  ts: Float64Array;
  /** Index into `symbols` per row. */
  symbolIndex: Int32Array;
  symbols: readonly string[];
  horizon: number;
  barMs: number;
  /** Bars left out: warming up (a feature missing) and unlabelled (end of data, gaps). */
  dropped: Readonly<{ warmup: number; unlabelled: number }>;
}>;

/**
 * Runs the FeatureEngine — the class the asset actor runs live — over each symbol's bars, labels
 * each bar with {@link directionLabels} and keeps rows with complete inputs and a label.
 */
export function buildBarDataset(input: readonly SymbolBars[], opts: DatasetOptions): BarDataset {
  const spec = opts.features ?? BASELINE_FEATURES;
  const features = spec.map((f) => f.name);
  const transforms = spec.map((f) => f.transform);
  const columns = engineColumns(features);
  const cols = features.length;
  const atrColumn = FEATURE_NAMES.indexOf('atr_14');
  const engineRow = new Float64Array(FEATURE_NAMES.length);
  const tmp = new Float64Array(cols);

  const xs: number[] = [];
  const ys: number[] = [];
  const rs: number[] = [];
  const scs: number[] = [];
  const tss: number[] = [];
  const syms: number[] = [];
  let warmup = 0;
  let unlabelled = 0;
  input.forEach((s, si) => {
    const n = s.bars.length;
    const ts = new Float64Array(n);
    const close = new Float64Array(n);
    const atr = new Float64Array(n);
    const ok = new Uint8Array(n);
    const rowsX = new Float64Array(n * cols);
    const engine = new FeatureEngine();
    for (let i = 0; i < n; i++) {
      const bar = s.bars[i] as BarInput;
      if (i > 0 && bar.ts <= (ts[i - 1] as number)) throw new RangeError(`${s.symbol}: bars are not in strictly increasing time order at ts ${bar.ts}`);
      engine.onBar(bar);
      engine.fill(engineRow);
      ts[i] = bar.ts;
      close[i] = bar.close;
      atr[i] = engineRow[atrColumn] as number;
      if (engine.warm() && transformRow(engineRow, bar.close, columns, transforms, tmp)) {
        ok[i] = 1;
        rowsX.set(tmp, i * cols);
      }
    }
    const labels = directionLabels(ts, close, atr, { horizon: opts.horizon, kAtr: opts.kAtr, barMs: opts.barMs });
    for (let i = 0; i < n; i++) {
      if (ok[i] === 0) {
        warmup++;
        continue;
      }
      const l = labels[i];
      if (l === null || l === undefined) {
        unlabelled++;
        continue;
      }
      for (let j = 0; j < cols; j++) xs.push(rowsX[i * cols + j] as number);
      ys.push(l.label);
      rs.push(l.forwardReturn);
      scs.push(conformalScaleOf(atr[i] as number, close[i] as number));
      tss.push(ts[i] as number);
      syms.push(si);
    }
  });

  // Time order across symbols (stable: equal times keep the symbols' order).
  const rows = ys.length;
  const order = Array.from({ length: rows }, (_, i) => i).sort((a, b) => (tss[a] as number) - (tss[b] as number) || (syms[a] as number) - (syms[b] as number));
  const x = new Float64Array(rows * cols);
  const y = new Int32Array(rows);
  const r = new Float64Array(rows);
  const scale = new Float64Array(rows);
  const ts = new Float64Array(rows);
  const symbolIndex = new Int32Array(rows);
  order.forEach((src, dst) => {
    for (let j = 0; j < cols; j++) x[dst * cols + j] = xs[src * cols + j] as number;
    y[dst] = ys[src] as number;
    r[dst] = rs[src] as number;
    scale[dst] = scs[src] as number;
    ts[dst] = tss[src] as number;
    symbolIndex[dst] = syms[src] as number;
  });
  return {
    features,
    transforms,
    cols,
    rows,
    x,
    y,
    r,
    scale,
    ts,
    symbolIndex,
    symbols: input.map((s) => s.symbol),
    horizon: opts.horizon,
    barMs: opts.barMs,
    dropped: { warmup, unlabelled },
  };
}
