import type { QualityReport } from './quality-report.js';

/**
 * A warning when the training split's labels are all of one class (a flat band so wide, or a
 * horizon so short, that every row is flat), or undefined. `sextant train` refuses to fit such
 * labels; an export is data and is still written, but a classifier fitted on it learns one answer,
 * and the export said nothing about it.
 */
export function oneClassWarning(q: QualityReport): string | undefined {
  const train = q.labels.bySplit['train'];
  if (train === undefined || train.rows === 0) return undefined;
  const present = train.counts.flatMap((c, i) => (c > 0 ? [i] : []));
  if (present.length !== 1) return undefined;
  const only = q.labels.classes[present[0] as number] ?? String(present[0]);
  const counts = q.labels.classes.map((name, i) => `${name} ${train.counts[i] ?? 0}`).join(', ');
  return `every training row is labelled ${only} (${counts}): a classifier fitted on this split learns one answer (bars: widen --horizon or narrow --k-atr)`;
}
