import { assetClassOf } from '../validation/asset-class.js';
import type { DatasetRows } from './arrow-codec.js';
import { columnStats } from './column-stats.js';

/** Default outlier rule: |z| above this, z from the column's own mean and std. */
export const OUTLIER_Z = 6;

export type ColumnQuality = Readonly<{
  column: string;
  missing: number;
  missingShare: number;
  outliers: number;
  outlierShare: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
}>;

export type LabelBalance = Readonly<{ rows: number; counts: readonly number[]; shares: readonly number[] }>;

export type QualityReport = Readonly<{
  rows: number;
  /** What a user of the dataset should know before fitting or scoring on it (a split with too few rows, training labels all of one class). */
  warnings: readonly string[];
  outlierRule: string;
  columns: readonly ColumnQuality[];
  labels: Readonly<{
    classes: readonly string[];
    overall: LabelBalance;
    bySplit: Readonly<Record<string, LabelBalance>>;
    bySymbol: Readonly<Record<string, LabelBalance>>;
    byAssetClass: Readonly<Record<string, LabelBalance>>;
  }>;
}>;

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

function balance(labels: readonly number[], classes: number): LabelBalance {
  const counts = new Array<number>(classes).fill(0);
  for (const l of labels) counts[l] = (counts[l] as number) + 1;
  return { rows: labels.length, counts, shares: counts.map((c) => (labels.length === 0 ? 0 : c / labels.length)) };
}

/**
 * Data quality of a dataset's splits taken together: per column (features and the forward
 * return) the missing values (NaN or ±∞) and the outliers — finite values with
 * |x − mean| > z·std, mean and population std over the column's finite values in the whole
 * dataset (default z = 6; a constant column has none) — and the label balance per class overall,
 * per split, per symbol and per asset class.
 */
export function qualityReport(splits: readonly Readonly<{ split: string; rows: DatasetRows }>[], classes: readonly string[], z = OUTLIER_Z, warnings: readonly string[] = []): QualityReport {
  const features = splits[0]?.rows.features ?? [];
  const cols = features.length + 1;
  const total = splits.reduce((a, s) => a + s.rows.label.length, 0);
  // One matrix of every row: the features plus forward_return as the last column.
  const x = new Float64Array(total * cols);
  const labels: number[] = [];
  const bySplit: Record<string, LabelBalance> = {};
  const symbolLabels = new Map<string, number[]>();
  const classLabels = new Map<string, number[]>();
  let row = 0;
  for (const { split, rows } of splits) {
    const fc = rows.features.length;
    for (let i = 0; i < rows.label.length; i++, row++) {
      for (let j = 0; j < fc; j++) x[row * cols + j] = rows.x[i * fc + j] as number;
      x[row * cols + fc] = rows.forwardReturn[i] as number;
      const l = rows.label[i] as number;
      labels.push(l);
      const sym = rows.symbol[i] as string;
      const ac = assetClassOf(sym);
      (symbolLabels.get(sym) ?? symbolLabels.set(sym, []).get(sym)!).push(l);
      (classLabels.get(ac) ?? classLabels.set(ac, []).get(ac)!).push(l);
    }
    bySplit[split] = balance(Array.from(rows.label), classes.length);
  }
  const columns = [...features, 'forward_return'].map((column, j): ColumnQuality => {
    const s = columnStats(x, cols, j);
    let outliers = 0;
    if (s.count > 0 && s.std > 0) {
      for (let i = 0; i < total; i++) {
        const v = x[i * cols + j] as number;
        if (Number.isFinite(v) && Math.abs(v - s.mean) > z * s.std) outliers++;
      }
    }
    return {
      column,
      missing: s.missing,
      missingShare: total === 0 ? 0 : s.missing / total,
      outliers,
      outlierShare: total === 0 ? 0 : outliers / total,
      mean: finiteOrNull(s.mean),
      std: finiteOrNull(s.std),
      min: finiteOrNull(s.min),
      max: finiteOrNull(s.max),
    };
  });
  const sortedRecord = (m: Map<string, number[]>): Record<string, LabelBalance> =>
    Object.fromEntries([...m.keys()].sort().map((k) => [k, balance(m.get(k) as number[], classes.length)]));
  return {
    rows: total,
    warnings: [...warnings],
    outlierRule: `|x − mean| > ${z}·std (mean and population std of the column's finite values over all splits)`,
    columns,
    labels: { classes, overall: balance(labels, classes.length), bySplit, bySymbol: sortedRecord(symbolLabels), byAssetClass: sortedRecord(classLabels) },
  };
}
