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
 * What `ShadowResult.t` is, as JSON can say it (it holds no infinity, and null alone did not tell
 * "not computed" from "infinite"): `finite` (t is the number); `inf` or `-inf` when every closed
 * block had the same mean improvement, above or below the margin (the spread is 0, t is ±∞: null
 * in `t`); `too-few-blocks` with fewer than two closed blocks (no spread to divide by: null);
 * `not-required` when `minT` is 0, or for a run restored from a snapshot kept before blocks were
 * (judged on the margin alone: null).
 */
export const SHADOW_T_STATUSES = ['finite', 'inf', '-inf', 'too-few-blocks', 'not-required'] as const;
export type ShadowTStatus = (typeof SHADOW_T_STATUSES)[number];

/**
 * A shadow run's numbers at its verdict, kept once the run is over (`ctl retrain status`'s
 * `lastShadow`, the demo's `learning`): champion and challenger scored on the same `n` labeled
 * predictions, their mean log losses and hit rates, and the t statistic of the improvement less
 * the margin over `blocks` closed blocks (a number only when finite: `tStatus` says why it is
 * null otherwise).
 */
export type ShadowResult = Readonly<{
  champion: Readonly<{ name: string; version: number }>;
  challenger: Readonly<{ name: string; version: number }>;
  n: number;
  championLogLoss: number;
  challengerLogLoss: number;
  championHitRate: number;
  challengerHitRate: number;
  margin: number;
  t: number | null;
  /** Why `t` is null, or `finite`. Absent in a `lastShadow` kept in a snapshot stored before it was. */
  tStatus?: ShadowTStatus;
  minT: number;
  blocks: number;
}>;

/** A finished shadow run: its numbers and the verdict taken on them. */
export type ShadowVerdictResult = ShadowResult & Readonly<{ verdict: 'promoted' | 'rejected' }>;

/** The numbers `judgeShadow` judged `s` on (see `ShadowResult`). */
export function shadowResultOf(s: ShadowStats, cfg: ShadowRule): ShadowResult {
  const n = Math.max(1, s.n);
  const t = cfg.minT > 0 && s.blocks !== undefined ? shadowT(s.blocks, cfg.margin) : null;
  const tStatus: ShadowTStatus =
    cfg.minT <= 0 || s.blocks === undefined ? 'not-required'
    : t === null ? 'too-few-blocks'
    : t === Number.POSITIVE_INFINITY ? 'inf'
    : t === Number.NEGATIVE_INFINITY ? '-inf'
    : 'finite';
  return {
    champion: s.champion,
    challenger: s.challenger,
    n: s.n,
    championLogLoss: s.championLoss / n,
    challengerLogLoss: s.challengerLoss / n,
    championHitRate: s.championHits / n,
    challengerHitRate: s.challengerHits / n,
    margin: cfg.margin,
    t: t !== null && Number.isFinite(t) ? t : null,
    tStatus,
    minT: cfg.minT,
    blocks: s.blocks?.n ?? 0,
  };
}

/**
 * A promoted model on probation. Since stop 23 the previous champion is scored beside it on the
 * same labels (`paired`, a shadow run with the roles turned round: `champion` is the previous
 * model, `challenger` the promoted one), and the verdict compares the two on those labels. A
 * watch restored from an older snapshot has no `paired`: it is judged by the rule of its time,
 * the promoted model's rolling log loss (last `minLabels` labels, `recent`) against the previous
 * champion's log loss recorded in the shadow run (`baselineLogLoss`) — a comparison across
 * different labels, which rolled back nearly every promotion on noise (docs/retraining-experiment.md).
 */
export type RollbackWatch = Readonly<{
  name: string;
  version: number;
  previousVersion: number;
  baselineLogLoss: number;
  /** Labels scored on the promoted model since its promotion. */
  n: number;
  recent: readonly number[];
  paired?: ShadowStats;
  /**
   * Event time of the label at which the model was promoted, and of the newest label scored since
   * (absent in snapshots written before the watch kept time: such a watch ends on its label count).
   */
  since?: number;
  lastTs?: number;
  /**
   * The model the chain of automatic promotions started from (the anchor: the last production model
   * the retraining actor did not put there itself), scored beside the promoted one on the same
   * labels when it is neither that model nor the one it replaced (`champion` is the anchor). Each
   * link of a chain is judged against the link before it; this judges the chain against its start.
   */
  anchor?: ShadowStats;
  /**
   * A block closed while retraining was paused, when no verdict is taken (`markOwedVerdict`): the
   * next judgement, at the first label after the resume, is taken on the labels so far rather than
   * waiting for the next block to close (up to `shadow.blockLabels` more labels of a decayed model
   * in production). Cleared once judged (`withoutOwedVerdict`). Absent: none owed.
   */
  owed?: true;
}>;

/** Blocks closed so far, of the pair and the anchor: a change says a verdict was due. */
export const closedWatchBlocks = (w: RollbackWatch): number => (w.paired?.blocks?.n ?? 0) + (w.anchor?.blocks?.n ?? 0);

/** `w`, owing the verdict of a block that closed while paused (see `RollbackWatch.owed`). */
export const markOwedVerdict = (w: RollbackWatch): RollbackWatch => (w.owed === true ? w : { ...w, owed: true });

/** `w` with its owed verdict taken (see `RollbackWatch.owed`). */
export const withoutOwedVerdict = (w: RollbackWatch): RollbackWatch => {
  if (w.owed === undefined) return w;
  const { owed: _owed, ...rest } = w;
  return rest;
};

export const startWatch = (name: string, version: number, previousVersion: number, baselineLogLoss: number, since: number, anchorVersion?: number): RollbackWatch => ({
  name,
  version,
  previousVersion,
  baselineLogLoss,
  n: 0,
  recent: [],
  paired: startShadow({ name, version: previousVersion }, { name, version }),
  since,
  lastTs: since,
  ...(anchorVersion !== undefined && anchorVersion !== previousVersion && anchorVersion !== version ? { anchor: startShadow({ name, version: anchorVersion }, { name, version }) } : {}),
});

/** Adds a label the promoted model was scored on, at event time `ts` (the label's). */
export const addWatch = (w: RollbackWatch, logLoss: number, minLabels: number, ts: number): RollbackWatch => ({
  ...w,
  n: w.n + 1,
  recent: pushCapped(w.recent, logLoss, minLabels),
  ...(w.since !== undefined ? { lastTs: Math.max(w.lastTs ?? w.since, ts) } : {}),
});

/** Event time the watch has covered so far (0 for a watch from an older snapshot, which kept none). */
export const watchedMs = (w: RollbackWatch): number => (w.since === undefined ? 0 : (w.lastTs ?? w.since) - w.since);

/** Adds a label both models scored: `previous` is the model the promotion replaced. */
export const addWatchPair = (w: RollbackWatch, p: Readonly<{ previous: PairScore['champion']; promoted: PairScore['challenger'] }>, blockLabels: number): RollbackWatch =>
  w.paired === undefined ? w : { ...w, paired: addShadow(w.paired, { champion: p.previous, challenger: p.promoted }, blockLabels) };

/** Adds a label the promoted model and the chain's anchor both scored (see `RollbackWatch.anchor`). */
export const addWatchAnchor = (w: RollbackWatch, p: Readonly<{ anchor: PairScore['champion']; promoted: PairScore['challenger'] }>, blockLabels: number): RollbackWatch =>
  w.anchor === undefined ? w : { ...w, anchor: addShadow(w.anchor, { champion: p.anchor, challenger: p.promoted }, blockLabels) };

/**
 * `to`: the version production goes back to — absent: the one the promotion replaced (a registry
 * rollback); present: the chain's anchor, which did better on the watched labels.
 */
export type WatchVerdict = Readonly<{ kind: 'watching' }> | Readonly<{ kind: 'cleared' }> | Readonly<{ kind: 'rollback'; reason: string; rollingLogLoss: number; to?: number }>;

export type RollbackRule = Readonly<{ watchLabels: number; minLabels: number; margin: number; minT: number; watchMs: number }>;

/**
 * The watch ends (cleared) once it has scored `watchLabels` labels and covered `watchMs` of event
 * time, whichever comes later: a count of labels alone is a different length of market on every
 * timeframe and universe (300 labels are two and a half days of five assets' 1h bars, one hour of
 * their 5m bars). A watch restored from a snapshot that kept no times ends on its count.
 */
const watchOver = (w: RollbackWatch, cfg: RollbackRule): boolean => w.n >= cfg.watchLabels && (w.since === undefined || watchedMs(w) >= cfg.watchMs);

/** The blocks of (promoted − previous) from those of (previous − promoted). */
const turned = (b: ShadowBlocks): ShadowBlocks => ({ openSum: -b.openSum, openN: b.openN, n: b.n, sum: -b.sum, sumSq: b.sumSq });

/**
 * Paired (`w.paired`): each time a block of labels closes (a block closed while paused: at the
 * first label after the resume, `owed`), once `minLabels` labels were scored by
 * both, roll back when the promoted model's mean log loss on them exceeds the previous champion's
 * by more than `margin` and, when `minT` > 0, the t statistic of the block means of that excess
 * less the margin is at least `minT` (as the shadow's promotion rule, turned round); by the same rule
 * against the chain's anchor (`w.anchor`), production goes back to the anchor. Cleared after
 * `watchLabels` labels and `watchMs` of event time (`watchOver`). Unpaired (an older snapshot): the rolling rule described at `RollbackWatch`.
 */
export function judgeWatch(w: RollbackWatch, cfg: RollbackRule): WatchVerdict {
  const s = w.paired;
  if (s === undefined) {
    if (w.recent.length >= cfg.minLabels) {
      const rolling = mean(w.recent);
      if (rolling > w.baselineLogLoss + cfg.margin) {
        return { kind: 'rollback', rollingLogLoss: rolling, reason: `${w.name}@${w.version} decayed: rolling log loss ${rolling.toFixed(5)} over ${w.recent.length} labels > previous champion's ${w.baselineLogLoss.toFixed(5)} + ${cfg.margin}` };
      }
    }
    return { kind: watchOver(w, cfg) ? 'cleared' : 'watching' };
  }
  const owed = w.owed === true;
  const previous = worseThan(s, cfg, owed);
  const anchor = w.anchor === undefined ? null : worseThan(w.anchor, cfg, owed);
  // Worse than both: back to whichever of the two did better on the labels.
  const toAnchor = anchor !== null && (previous === null || anchor.other < previous.other);
  const v = toAnchor ? anchor : previous;
  if (v !== null) {
    const what = toAnchor ? `, where the chain of promotions started,` : '';
    return {
      kind: 'rollback',
      rollingLogLoss: v.promoted,
      reason: `${w.name}@${w.version} decayed: log loss ${v.promoted.toFixed(5)} over ${v.n} labels > ${v.other.toFixed(5)} of ${w.name}@${v.otherVersion}${what} on the same labels + ${cfg.margin}${v.tText}`,
      ...(toAnchor ? { to: v.otherVersion } : {}),
    };
  }
  return { kind: watchOver(w, cfg) ? 'cleared' : 'watching' };
}

/**
 * Each time a block closes (or, `owed`, at the first label after a pause in which one closed),
 * once `minLabels` labels were scored by both: the promoted model's mean log loss and the other's
 * (`s.champion`, compared with the promoted `s.challenger`), when the promoted one is worse by more
 * than the margin with t ≥ minT (over the closed blocks); null otherwise.
 */
function worseThan(s: ShadowStats, cfg: RollbackRule, owed: boolean): Readonly<{ promoted: number; other: number; otherVersion: number; n: number; tText: string }> | null {
  const b = s.blocks;
  if (s.n < cfg.minLabels || b === undefined || (b.openN !== 0 && !owed)) return null;
  const promoted = s.challengerLoss / s.n;
  const other = s.championLoss / s.n;
  const t = cfg.minT > 0 ? shadowT(turned(b), cfg.margin) : null;
  const sure = cfg.minT <= 0 || (t !== null && t >= cfg.minT);
  if (!(promoted > other + cfg.margin && sure)) return null;
  const tText = t === null ? '' : `, t ${Number.isFinite(t) ? t.toFixed(2) : String(t)} over ${b.n} blocks (min ${cfg.minT})`;
  return { promoted, other, otherVersion: s.champion.version, n: s.n, tText };
}
