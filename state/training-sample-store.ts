/**
 * Where labeled training samples are kept: one row per labeled prediction and per labeled
 * approved order, with the feature vector as it was at decision time (point-in-time: the vector
 * the prediction was made from; for an order, its decision bar's vector), the label and forward
 * return, and for a prediction the model and feature spec that made it. Also holds the labeling
 * actor's snapshot (pending horizons), written in the same transaction as the samples it
 * produced, so a restarted actor resumes exactly where its last commit left it.
 *
 * Training reads prediction samples only (the default of {@link SampleQuery.kind}): an order's
 * sample repeats the vector of a bar a prediction was already made on, and its label is measured
 * along the side risk approved, after execution — evidence about execution, not a second
 * observation for the direction model.
 */
type SampleBase = Readonly<{
  /** The prediction's id (`p:…`) or the order's (`o:…`); with `ts` and the asset, the unique key. */
  id: string;
  strategy: string;
  venue: string;
  symbol: string;
  /** Decision time: open time of the bar the prediction (or order) was made on. */
  ts: number;
  /** Event time the label became known (the vertical barrier). */
  labeledTs: number;
  /** Id of the decision-time feature vector and its values. */
  featureId: string;
  features: Readonly<Record<string, number | null>>;
  /** Triple-barrier label relative to the item's direction: +1 take-profit, −1 stop-loss, 0 vertical. */
  label: 1 | -1 | 0;
  barrier: 'take_profit' | 'stop_loss' | 'vertical';
  outcomeClass: 'excellent' | 'good' | 'neutral' | 'poor' | 'bad';
  /** Log return from the decision close to the horizon close. */
  forwardReturn: number;
  netReturnBps: number;
  horizonBars: number;
}>;

export type SampleKind = 'prediction' | 'order';

/** A labeled prediction: the model and feature spec that made it. */
export type PredictionSample = SampleBase & Readonly<{ kind: 'prediction'; model: Readonly<{ name: string; version: number }>; featureSpecHash: string }>;

/**
 * A labeled approved order. No single model made it (execution scheduled it, risk approved it),
 * so `model` and `featureSpecHash` are null, as on the order's label; `side` is the direction its
 * label is measured along.
 */
export type OrderSample = SampleBase & Readonly<{ kind: 'order'; model: null; featureSpecHash: null; side: 'buy' | 'sell' }>;

export type TrainingSample = PredictionSample | OrderSample;

export type SampleQuery = Readonly<{
  strategy: string;
  venue?: string;
  symbol?: string;
  from?: number;
  to?: number;
  /** Only samples whose label became known strictly before this event time (`labeledTs`). */
  labeledBefore?: number;
  limit?: number;
  /**
   * Only the newest this many samples the query matches (by decision time, then id), still
   * returned ascending; `limit` applies to those. A fit on the recent samples reads these
   * (PostgreSQL walks its `(strategy, kind, decision_ts, id)` index from the newest end), not the
   * strategy's whole history.
   */
  newest?: number;
  /** Which samples: predictions (the default: what training reads), orders, or both. */
  kind?: SampleKind | 'all';
}>;

/** Whether a sample is one a query of `kind` asks for (predictions when absent). */
export const isOfKind = (s: Pick<TrainingSample, 'kind'>, kind: SampleQuery['kind']): boolean => kind === 'all' || s.kind === (kind ?? 'prediction');

/** A query's filter on a sample of its asset and decision-time range: its kind and `labeledBefore`. */
export const matchesQuery = (s: Pick<TrainingSample, 'kind' | 'labeledTs'>, q: Pick<SampleQuery, 'kind' | 'labeledBefore'>): boolean =>
  isOfKind(s, q.kind) && (q.labeledBefore === undefined || s.labeledTs < q.labeledBefore);

/**
 * A count's query: with `atMost`, counting stops there (the answer is the lesser of the two), so
 * a check for "at least n" reads n rows at most, however many are stored.
 */
export type CountQuery = Omit<SampleQuery, 'limit' | 'newest'> & Readonly<{ atMost?: number }>;

/** One commit: samples upserted and (optionally) the actor's snapshot replaced, atomically. */
export type SampleCommit = Readonly<{
  samples: readonly TrainingSample[];
  snapshot?: Readonly<{ actor: string; state: unknown; ts: number }>;
}>;

/** An asset a strategy has samples of. */
export type SampleAsset = Readonly<{ venue: string; symbol: string }>;

const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** The order of {@link TrainingSampleStore.assets}: venue, then symbol, by code unit (not a collation's). */
export const byAsset = (a: SampleAsset, b: SampleAsset): number => byCode(a.venue, b.venue) || byCode(a.symbol, b.symbol);

/** A sample's unique key within its strategy: the asset, the decision time and the id. */
export type SampleKey = Readonly<{ venue: string; symbol: string; ts: number; id: string }>;

export type TrainingSampleStore = {
  /**
   * Which of `keys` have a sample of the strategy stored (its ids), whatever its kind: a lookup by
   * the unique key. The labeling actor asks it of each order it has not labeled in memory, so that
   * one re-published after its labeled ids were forgotten (a restart of the decision path
   * re-publishing what it decided before a crash) is not labeled a second time.
   */
  storedIds(strategy: string, keys: readonly SampleKey[]): Promise<ReadonlySet<string>>;
  /** Upserts samples on (strategy, venue, symbol, ts, id) and replaces the snapshot, in one transaction. Returns samples written. */
  commit(c: SampleCommit): Promise<number>;
  /** Ascending by (ts, id); `from` inclusive, `to` exclusive (decision time). */
  samples(q: SampleQuery): Promise<readonly TrainingSample[]>;
  /**
   * How many samples `samples(q)` would return without a limit, counted where they are stored
   * (a SQL COUNT): no row is read back. The retraining actor checks whether a cycle has enough
   * samples with it every few labels, and a read of the whole history each time grew without bound.
   */
  countSamples(q: CountQuery): Promise<number>;
  /** Samples of every kind, of one strategy or all. */
  count(strategy?: string): Promise<number>;
  /**
   * The assets (venue, symbol) the strategy has samples of, of any kind, ascending by venue then
   * symbol (code units). PostgreSQL skips through its primary key's (strategy, venue, symbol)
   * prefix, one index probe per asset, however many samples each has. A dataset export asked for a
   * symbol with none suggests these spelt otherwise (`btc/usdt` → BTC/USDT).
   */
  assets(strategy: string): Promise<readonly SampleAsset[]>;
  /** The actor's last committed snapshot, or undefined. */
  loadSnapshot(actor: string): Promise<unknown>;
  /** Deletes every sample and snapshot (demo resets). */
  clear(): Promise<void>;
  close(): Promise<void>;
};
