import { mean, pushCapped } from './scoring.js';

/**
 * Champion against challenger on the same labeled predictions: both score the same inputs (the
 * decision-time feature vector of each prediction), and only labels seen while shadowing count.
 */
export type ShadowStats = Readonly<{
  challenger: Readonly<{ name: string; version: number }>;
  champion: Readonly<{ name: string; version: number }>;
  n: number;
  championLoss: number;
  challengerLoss: number;
  championHits: number;
  challengerHits: number;
}>;

export const startShadow = (champion: ShadowStats['champion'], challenger: ShadowStats['challenger']): ShadowStats => ({
  champion,
  challenger,
  n: 0,
  championLoss: 0,
  challengerLoss: 0,
  championHits: 0,
  challengerHits: 0,
});

export type PairScore = Readonly<{ champion: Readonly<{ logLoss: number; hit: boolean }>; challenger: Readonly<{ logLoss: number; hit: boolean }> }>;

export const addShadow = (s: ShadowStats, p: PairScore): ShadowStats => ({
  ...s,
  n: s.n + 1,
  championLoss: s.championLoss + p.champion.logLoss,
  challengerLoss: s.challengerLoss + p.challenger.logLoss,
  championHits: s.championHits + (p.champion.hit ? 1 : 0),
  challengerHits: s.challengerHits + (p.challenger.hit ? 1 : 0),
});

export type ShadowVerdict =
  | Readonly<{ kind: 'pending'; n: number }>
  | Readonly<{ kind: 'promote' | 'reject'; n: number; championLogLoss: number; challengerLogLoss: number; reason: string }>;

/**
 * After `predictions` shared labels: promote when the challenger's mean log loss is below the
 * champion's by more than `margin` (strictly, so an equal challenger is rejected even at margin 0).
 */
export function judgeShadow(s: ShadowStats, cfg: Readonly<{ predictions: number; margin: number }>): ShadowVerdict {
  if (s.n < cfg.predictions) return { kind: 'pending', n: s.n };
  const championLogLoss = s.championLoss / s.n;
  const challengerLogLoss = s.challengerLoss / s.n;
  const better = challengerLogLoss < championLogLoss - cfg.margin;
  const reason = `shadow over ${s.n} labeled predictions: challenger log loss ${challengerLogLoss.toFixed(5)} vs champion ${championLogLoss.toFixed(5)} (margin ${cfg.margin})`;
  return { kind: better ? 'promote' : 'reject', n: s.n, championLogLoss, challengerLogLoss, reason };
}

/**
 * A promoted model on probation: its rolling log loss (last `minLabels` labels) against the
 * previous champion's log loss recorded in the shadow run that promoted it.
 */
export type RollbackWatch = Readonly<{
  name: string;
  version: number;
  previousVersion: number;
  baselineLogLoss: number;
  n: number;
  recent: readonly number[];
}>;

export const startWatch = (name: string, version: number, previousVersion: number, baselineLogLoss: number): RollbackWatch => ({ name, version, previousVersion, baselineLogLoss, n: 0, recent: [] });

export const addWatch = (w: RollbackWatch, logLoss: number, minLabels: number): RollbackWatch => ({ ...w, n: w.n + 1, recent: pushCapped(w.recent, logLoss, minLabels) });

export type WatchVerdict = Readonly<{ kind: 'watching' }> | Readonly<{ kind: 'cleared' }> | Readonly<{ kind: 'rollback'; reason: string; rollingLogLoss: number }>;

export function judgeWatch(w: RollbackWatch, cfg: Readonly<{ watchLabels: number; minLabels: number; margin: number }>): WatchVerdict {
  if (w.recent.length >= cfg.minLabels) {
    const rolling = mean(w.recent);
    if (rolling > w.baselineLogLoss + cfg.margin) {
      return { kind: 'rollback', rollingLogLoss: rolling, reason: `${w.name}@${w.version} decayed: rolling log loss ${rolling.toFixed(5)} over ${w.recent.length} labels > previous champion's ${w.baselineLogLoss.toFixed(5)} + ${cfg.margin}` };
    }
  }
  return { kind: w.n >= cfg.watchLabels ? 'cleared' : 'watching' };
}
