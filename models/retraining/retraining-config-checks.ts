/** Fewest validation rows a challenger's fit accepts (its conformal quantiles need them; train-challenger.ts). */
export const MIN_VALIDATION_ROWS = 20;

/** What the cross-field checks read of the retraining settings (each field checked alone by the schema). */
export type RetrainingSettings = Readonly<{
  training: Readonly<{ minSamples: number; maxSamples: number; validationFraction: number }>;
  shadow: Readonly<{ predictions: number; blockLabels: number; minT: number }>;
  rollback: Readonly<{ watchLabels: number; watchMs: number; minLabels: number; minT: number }>;
}>;

export type Contradiction = Readonly<{ path: (string | number)[]; message: string }>;

/** Validation rows of a fit on `rows` samples, as `splitSamples` cuts them. */
const validationRows = (rows: number, fraction: number): number => rows - Math.min(rows - 1, Math.max(1, Math.floor(rows * (1 - fraction))));

/**
 * Settings each valid alone that together make a part of the loop unable to act: a shadow that
 * can never promote, a watch that can never roll back, a fit that can never succeed or that
 * trains on fewer samples than it waits for. Accepted, they fail silently for ever (every
 * challenger rejected, every promotion kept, every fit failed), so the config refuses them.
 */
export function contradictions(c: RetrainingSettings): Contradiction[] {
  const out: Contradiction[] = [];
  const { training: t, shadow: s, rollback: r } = c;
  if (t.minSamples > t.maxSamples) {
    out.push({ path: ['training', 'minSamples'], message: `training.minSamples (${t.minSamples}) exceeds training.maxSamples (${t.maxSamples}): a fit would use fewer samples than it waits for` });
  }
  const v = validationRows(t.maxSamples, t.validationFraction);
  if (v < MIN_VALIDATION_ROWS) {
    out.push({ path: ['training', 'validationFraction'], message: `training.maxSamples ${t.maxSamples} × validationFraction ${t.validationFraction} leaves ${v} validation rows; a fit needs at least ${MIN_VALIDATION_ROWS}, so every one would fail` });
  }
  // The shadow decides at exactly `predictions` labels; the t statistic needs two closed blocks.
  if (s.minT > 0 && Math.floor(s.predictions / s.blockLabels) < 2) {
    out.push({ path: ['shadow', 'predictions'], message: `shadow.predictions (${s.predictions}) holds fewer than two blocks of shadow.blockLabels (${s.blockLabels}): with minT ${s.minT} the t statistic never exists and every challenger is rejected (set predictions ≥ ${2 * s.blockLabels}, or minT 0)` });
  }
  // A watch judged on its label count alone ends at watchLabels; a rollback is judged when a block
  // closes, once minLabels (and, with minT, two blocks) were scored.
  if (r.watchMs === 0) {
    const lastJudged = Math.floor(r.watchLabels / s.blockLabels) * s.blockLabels;
    const need = Math.max(r.minLabels, r.minT > 0 ? 2 * s.blockLabels : s.blockLabels);
    if (lastJudged < need) {
      out.push({ path: ['rollback', 'watchLabels'], message: `rollback.watchLabels (${r.watchLabels}) with watchMs 0 ends the watch before it can judge: a rollback needs ${need} labels in whole blocks of shadow.blockLabels (${s.blockLabels}; minLabels ${r.minLabels}, minT ${r.minT}), so a promotion could never be rolled back` });
    }
  }
  return out;
}
