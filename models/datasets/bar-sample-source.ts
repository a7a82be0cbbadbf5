import { buildBarDataset } from '../training/bar-dataset.js';
import type { SymbolBars } from '../training/bar-dataset.js';
import { DIRECTION_NAMES } from '../training/direction-labels.js';
import type { LabelSpec, SampleSource, SampleTable, Progress } from './sample-source.js';

export type BarSourceOptions = Readonly<{
  /** Reads the bars (the CLI reads CSV files of the data folder); reports progress per symbol. */
  load: (progress?: Progress) => Promise<readonly SymbolBars[]>;
  /** Identifies the input: symbols, timeframe, window (no folder paths: they are not content). */
  description: Readonly<Record<string, unknown>>;
  timeframe: string;
  barMs: number;
  horizon: number;
  kAtr: number;
}>;

/**
 * Samples from bars through the same code as `sextant train` ({@link buildBarDataset}: the
 * FeatureEngine the asset actor runs, ATR-band direction labels). A row's label interval runs
 * from its bar's open to the close of the bar `horizon` later, when the label became known:
 * `[ts, ts + (horizon + 1)·barMs]`.
 */
export function barSampleSource(o: BarSourceOptions): SampleSource {
  const labelSpec: LabelSpec = {
    column: 'label',
    classes: DIRECTION_NAMES,
    rule: 'ln(close[t+H]/close[t]) vs ±kAtr·ATR14[t]/close[t]: down below, up above, flat between',
    params: { horizonBars: o.horizon, kAtr: o.kAtr, timeframe: o.timeframe, barMs: o.barMs },
  };
  return {
    kind: 'bars',
    description: { kind: 'bars', ...o.description, timeframe: o.timeframe },
    labelSpec,
    async read(progress?: Progress): Promise<SampleTable> {
      const bars = await o.load(progress);
      const ds = buildBarDataset(bars, { horizon: o.horizon, kAtr: o.kAtr, barMs: o.barMs });
      const labelMs = (o.horizon + 1) * o.barMs;
      return {
        features: ds.features,
        transforms: ds.transforms,
        rows: ds.rows,
        x: ds.x,
        label: ds.y,
        forwardReturn: ds.r,
        start: ds.ts,
        end: ds.ts.map((t) => t + labelMs),
        symbolIndex: ds.symbolIndex,
        symbols: ds.symbols,
      };
    },
  };
}
