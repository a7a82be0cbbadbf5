import { mean, pushCapped } from './scoring.js';

/**
 * Batch means of the per-label improvement (champion's log loss − challenger's) over consecutive
 * blocks of `blockLabels` labels: the open block's sum and size, then the closed blocks' count and
 * the sum and sum of squares of their means. Labels close in time share most of their outcome
 * (overlapping horizons, assets moving together), so single labels are not independent; block
 * means of enough labels nearly are, and their spread gives the improvement's standard error.
 */
export type ShadowBlocks = Readonly<{ openSum: number; openN: number; n: number; sum: number; sumSq: number }>;

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
  /** Absent in snapshots written before it existed (a shadow run restored from one judges on the margin alone). */
  blocks?: ShadowBlocks;
}>;

const NO_BLOCKS: ShadowBlocks = { openSum: 0, openN: 0, n: 0, sum: 0, sumSq: 0 };

export const startShadow = (champion: ShadowStats['champion'], challenger: ShadowStats['challenger']): ShadowStats => ({
  champion,
  challenger,
  n: 0,
  championLoss: 0,
  challengerLoss: 0,
  championHits: 0,
  challengerHits: 0,
  blocks: NO_BLOCKS,
});

export type PairScore = Readonly<{ champion: Readonly<{ logLoss: number; hit: boolean }>; challenger: Readonly<{ logLoss: number; hit: boolean }> }>;

/** Adds one shared label; every `blockLabels` labels close a block (see `ShadowBlocks`). */
export function addShadow(s: ShadowStats, p: PairScore, blockLabels: number): ShadowStats {
  const b = s.blocks;
  let blocks: ShadowBlocks | undefined;
  if (b !== undefined) {
    const openSum = b.openSum + (p.champion.logLoss - p.challenger.logLoss);
    const openN = b.openN + 1;
    const m = openSum / openN;
    blocks = openN >= blockLabels ? { openSum: 0, openN: 0, n: b.n + 1, sum: b.sum + m, sumSq: b.sumSq + m * m } : { ...b, openSum, openN };
  }
  return {
    ...s,
    n: s.n + 1,
    championLoss: s.championLoss + p.champion.logLoss,
    challengerLoss: s.challengerLoss + p.challenger.logLoss,
    championHits: s.championHits + (p.champion.hit ? 1 : 0),
    challengerHits: s.challengerHits + (p.challenger.hit ? 1 : 0),
    ...(blocks !== undefined ? { blocks } : {}),
  };
}

/**
 * The t statistic of the mean improvement over the closed blocks, less `margin`:
 * (mean − margin) / (sd / √blocks). Null with fewer than two blocks; ±∞ when every block agrees.
 */
export function shadowT(b: ShadowBlocks, margin: number): number | null {
  if (b.n < 2) return null;
  const blockMean = b.sum / b.n;
  const variance = Math.max(0, (b.sumSq - b.n * blockMean * blockMean) / (b.n - 1));
  const se = Math.sqrt(variance / b.n);
  const excess = blockMean - margin;
  if (se < 1e-12) return excess > 0 ? Number.POSITIVE_INFINITY : excess < 0 ? Number.NEGATIVE_INFINITY : 0;
  return excess / se;
}

export type ShadowVerdict =
  | Readonly<{ kind: 'pending'; n: number }>
  | Readonly<{ kind: 'promote' | 'reject'; n: number; championLogLoss: number; challengerLogLoss: number; reason: string }>;

export type ShadowRule = Readonly<{ predictions: number; margin: number; blockLabels: number; minT: number }>;

/**
 * After `predictions` shared labels: promote when the challenger's mean log loss is below the
 * champion's by more than `margin` (strictly, so an equal challenger is rejected even at margin 0)
 * and, when `minT` > 0, when that is unlikely to be luck: the t statistic of the block means of the
 * improvement less the margin (`shadowT`) is at least `minT`.
 */
export function judgeShadow(s: ShadowStats, cfg: ShadowRule): ShadowVerdict {
  if (s.n < cfg.predictions) return { kind: 'pending', n: s.n };
  const championLogLoss = s.championLoss / s.n;
  const challengerLogLoss = s.challengerLoss / s.n;
  const better = challengerLogLoss < championLogLoss - cfg.margin;
  const t = cfg.minT > 0 && s.blocks !== undefined ? shadowT(s.blocks, cfg.margin) : null;
  const sure = cfg.minT <= 0 || s.blocks === undefined || (t !== null && t >= cfg.minT);
  const tText = t === null ? '' : `, t ${Number.isFinite(t) ? t.toFixed(2) : String(t)} over ${s.blocks?.n ?? 0} blocks of ${cfg.blockLabels} (min ${cfg.minT})`;
  const reason = `shadow over ${s.n} labeled predictions: challenger log loss ${challengerLogLoss.toFixed(5)} vs champion ${championLogLoss.toFixed(5)} (margin ${cfg.margin}${tText})`;
  return { kind: better && sure ? 'promote' : 'reject', n: s.n, championLogLoss, challengerLogLoss, reason };
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
