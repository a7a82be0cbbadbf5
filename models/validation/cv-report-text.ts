import { DIRECTION_NAMES } from '../training/direction-labels.js';
import type { BaselineCvReport } from './cross-validate-baseline.js';
import type { CvReport } from './cross-validate.js';

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);

/** The CV figures of `sextant train --cv`, printed under the holdout table. */
export function formatCvReport(r: BaselineCvReport): string {
  const scheme = r.mlp.scheme;
  const unit = r.paths !== undefined ? `${r.folds} splits, ${r.paths} paths (mean ± std over paths)` : `${r.folds} folds (mean ± std over folds)`;
  const line = (name: string, c: CvReport): string =>
    `${name.padEnd(20)} ${pct(c.mean.accuracy).padStart(9)} ±${pct(c.std.accuracy).padStart(7)} ${c.mean.logLoss.toFixed(4).padStart(9)} ±${c.std.logLoss.toFixed(4)} ${c.mean.brier.toFixed(4).padStart(8)}   ${c.pooled.recall.map(pct).join(' / ')}`;
  const byClass = (name: string, c: CvReport): string[] =>
    Object.entries(c.byAssetClass).map(([k, m]) => `  ${name} ${k.padEnd(10)} n=${String(m.n).padStart(6)}  accuracy ${pct(m.accuracy)}  recall ${m.recall.map(pct).join(' / ')}`);
  return [
    `cross-validation (${scheme}, purged, on the ${r.rows} rows before the holdout test): ${unit}`,
    `${'model'.padEnd(20)} ${'accuracy'.padStart(9)} ${''.padStart(8)} ${'log loss'.padStart(9)} ${''.padStart(7)} ${'brier'.padStart(8)}   pooled recall ${DIRECTION_NAMES.join('/')}`,
    line('mlp', r.mlp),
    line('logistic regression', r.logisticRegression),
    'pooled out-of-sample by asset class:',
    ...byClass('mlp', r.mlp),
    ...byClass('lr ', r.logisticRegression),
  ].join('\n');
}
