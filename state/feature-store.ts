import type { FeatureVector } from '../streams/messages/feature-vector.js';

/** A venue × symbol pair: the unit an asset actor owns. */
export type AssetKey = Readonly<{ venue: string; symbol: string }>;

/**
 * What an actor saves to recover fast: its serialisable state as of stream position `streamSeq`.
 * `state` is plain JSON; numbers round-trip exactly, so a restored actor continues bit-identically.
 */
export type ActorSnapshot = Readonly<{
  /** Version of the state layout; a mismatch means "rebuild from the stream". */
  version: number;
  streamSeq: number;
  ts: number;
  state: unknown;
}>;

export type FeatureReader = {
  latest(asset: AssetKey): Promise<FeatureVector | undefined>;
  /** Most recent first, at most `limit` (bounded by the store's cap). */
  history(asset: AssetKey, limit: number): Promise<readonly FeatureVector[]>;
};

export type SnapshotStore = {
  loadSnapshot(actorKey: string): Promise<ActorSnapshot | undefined>;
};

export type FeatureWriter = {
  /**
   * Writes one batch in one round trip: per asset only the newest vector becomes the latest
   * hash (coalescing), every vector is appended to the capped history, and snapshots are saved.
   * The caller hands the snapshots over: it must not change them afterwards (the in-process store
   * keeps them as they are and serialises them when loaded).
   */
  writeBatch(vectors: readonly FeatureVector[], snapshots?: ReadonlyArray<readonly [actorKey: string, snapshot: ActorSnapshot]>): Promise<void>;
};

export type FeatureStore = FeatureReader &
  SnapshotStore &
  FeatureWriter & {
    readonly kind: 'redis' | 'memory';
    /** Removes everything under this store's key prefix (tests, demo resets). */
    clear(): Promise<void>;
    close(): Promise<void>;
  };
