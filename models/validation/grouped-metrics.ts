import { classificationMetrics } from '../training/classification-metrics.js';
import type { ClassificationMetrics } from '../training/classification-metrics.js';
import { ASSET_CLASSES, assetClassOf } from './asset-class.js';
import type { AssetClass } from './asset-class.js';

/**
 * {@link classificationMetrics} of each group of rows (`groupOf[i]` names row i's group), in
 * first-seen order; groups with no rows are absent. Per-group recall shows a bias the pooled
 * figures average away.
 */
export function metricsByGroup(probs: ArrayLike<number>, y: ArrayLike<number>, classes: number, groupOf: readonly string[]): Map<string, ClassificationMetrics> {
  if (groupOf.length !== y.length) throw new RangeError(`expected a group per row: ${y.length} rows, ${groupOf.length} groups`);
  const rowsOf = new Map<string, number[]>();
  groupOf.forEach((g, i) => {
    const rows = rowsOf.get(g);
    if (rows === undefined) rowsOf.set(g, [i]);
    else rows.push(i);
  });
  const out = new Map<string, ClassificationMetrics>();
  for (const [g, rows] of rowsOf) {
    const p = new Float64Array(rows.length * classes);
    const t = new Int32Array(rows.length);
    rows.forEach((i, k) => {
      for (let c = 0; c < classes; c++) p[k * classes + c] = probs[i * classes + c] as number;
      t[k] = y[i] as number;
    });
    out.set(g, classificationMetrics(p, t, classes));
  }
  return out;
}

/** {@link metricsByGroup} by asset class (large-cap, memecoin, other) of each row's symbol, in that order. */
export function metricsByAssetClass(probs: ArrayLike<number>, y: ArrayLike<number>, classes: number, symbolOf: readonly string[]): Map<AssetClass, ClassificationMetrics> {
  const byGroup = metricsByGroup(probs, y, classes, symbolOf.map(assetClassOf));
  const out = new Map<AssetClass, ClassificationMetrics>();
  for (const c of ASSET_CLASSES) {
    const m = byGroup.get(c);
    if (m !== undefined) out.set(c, m);
  }
  return out;
}
