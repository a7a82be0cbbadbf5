/**
 * Where labeled training samples are kept: one row per labeled prediction, with the feature
 * vector as it was at decision time (point-in-time: the vector the prediction was made from),
 * the label and forward return, and the model and feature spec that made it. Also holds the
 * labeling actor's snapshot (pending horizons), written in the same transaction as the samples
 * it produced, so a restarted actor resumes exactly where its last commit left it.
 */
export type TrainingSample = Readonly<{
  /** The prediction's id (`p:…`); with `ts` and the asset, the unique key. */
  id: string;
  strategy: string;
  venue: string;
  symbol: string;
  /** Decision time: open time of the bar the prediction was made on. */
  ts: number;
  /** Event time the label became known (the vertical barrier). */
  labeledTs: number;
  model: Readonly<{ name: string; version: number }>;
  featureSpecHash: string;
  /** Id of the decision-time feature vector and its values. */
  featureId: string;
  features: Readonly<Record<string, number | null>>;
  /** Triple-barrier label: +1 take-profit, −1 stop-loss, 0 vertical. */
  label: 1 | -1 | 0;
  barrier: 'take_profit' | 'stop_loss' | 'vertical';
  outcomeClass: 'excellent' | 'good' | 'neutral' | 'poor' | 'bad';
  /** Log return from the decision close to the horizon close. */
  forwardReturn: number;
  netReturnBps: number;
  horizonBars: number;
}>;

export type SampleQuery = Readonly<{ strategy: string; venue?: string; symbol?: string; from?: number; to?: number; limit?: number }>;

/** One commit: samples upserted and (optionally) the actor's snapshot replaced, atomically. */
export type SampleCommit = Readonly<{
  samples: readonly TrainingSample[];
  snapshot?: Readonly<{ actor: string; state: unknown; ts: number }>;
}>;

export type TrainingSampleStore = {
  /** Upserts samples on (strategy, venue, symbol, ts, id) and replaces the snapshot, in one transaction. Returns samples written. */
  commit(c: SampleCommit): Promise<number>;
  /** Ascending by (ts, id); `from` inclusive, `to` exclusive (decision time). */
  samples(q: SampleQuery): Promise<readonly TrainingSample[]>;
  count(strategy?: string): Promise<number>;
  /** The actor's last committed snapshot, or undefined. */
  loadSnapshot(actor: string): Promise<unknown>;
  /** Deletes every sample and snapshot (demo resets). */
  clear(): Promise<void>;
  close(): Promise<void>;
};
