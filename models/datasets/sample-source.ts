import type { FeatureTransform } from '../training/feature-row.js';

/**
 * Labelled samples in column form, sorted by event time then symbol (several rows may share both:
 * predictions of several models). `x` is row-major
 * (`rows × features.length`) and holds the transformed, unstandardised inputs; NaN marks a
 * missing value. Every row has a label.
 */
export type SampleTable = Readonly<{
  features: readonly string[];
  transforms: readonly FeatureTransform[];
  rows: number;
  x: Float64Array;
  /** Class index per row, into the label spec's classes. */
  label: Int32Array;
  /** The realised forward return the label was drawn from (NaN when the source has none). */
  forwardReturn: Float64Array;
  /** Event time (ms): when the sample's features are taken. */
  start: Float64Array;
  /** When the label became known (ms); `end ≥ start`. */
  end: Float64Array;
  /** Index into `symbols` per row. */
  symbolIndex: Int32Array;
  symbols: readonly string[];
}>;

/** What the label column means. */
export type LabelSpec = Readonly<{
  column: 'label';
  classes: readonly string[];
  /** How the label is computed, in words. */
  rule: string;
  /** The parameters of the rule (horizon, band, …). */
  params: Readonly<Record<string, number | string>>;
}>;

/** Progress of a long read: `done` of `total` units of `what`. */
export type Progress = (done: number, total: number, what: string) => void;

/**
 * Where dataset rows come from: bars run through the feature engine and labeller, or the
 * training samples the labeling actor stored. `description` identifies the input (it goes into
 * metadata.json and the config hash); it must not hold wall-clock times.
 */
export type SampleSource = Readonly<{
  kind: string;
  description: Readonly<Record<string, unknown>>;
  labelSpec: LabelSpec;
  read(progress?: Progress): Promise<SampleTable>;
}>;

/** Throws unless the table is consistent: lengths, time order, finite times, labels in range. */
export function checkSampleTable(t: SampleTable, classes: number): void {
  const { rows } = t;
  const cols = t.features.length;
  if (t.transforms.length !== cols) throw new RangeError(`${cols} features but ${t.transforms.length} transforms`);
  if (t.x.length !== rows * cols) throw new RangeError(`x has ${t.x.length} values, expected ${rows} × ${cols}`);
  for (const [name, a] of [['label', t.label], ['forwardReturn', t.forwardReturn], ['start', t.start], ['end', t.end], ['symbolIndex', t.symbolIndex]] as const) {
    if (a.length !== rows) throw new RangeError(`${name} has ${a.length} values, expected ${rows}`);
  }
  for (let i = 0; i < rows; i++) {
    const s = t.start[i] as number;
    const e = t.end[i] as number;
    if (!Number.isFinite(s) || !Number.isFinite(e) || e < s) throw new RangeError(`row ${i}: bad label interval [${s}, ${e}]`);
    if (i > 0) {
      const ps = t.start[i - 1] as number;
      if (s < ps || (s === ps && (t.symbolIndex[i] as number) < (t.symbolIndex[i - 1] as number))) throw new RangeError(`row ${i}: rows are not sorted by time then symbol`);
    }
    const l = t.label[i] as number;
    if (!(l >= 0 && l < classes)) throw new RangeError(`row ${i}: label ${l} is not a class in 0…${classes - 1}`);
    const si = t.symbolIndex[i] as number;
    if (!(si >= 0 && si < t.symbols.length)) throw new RangeError(`row ${i}: symbol index ${si} out of range`);
  }
}
