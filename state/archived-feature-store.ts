import type { ActorSnapshot, FeatureStore } from './feature-store.js';
import { StoreError } from './errors.js';
import type { SnapshotArchive } from './snapshot-archive.js';

export type SnapshotArchiveOptions = Readonly<{
  /**
   * An actor's snapshot is copied to the archive once its stream sequence is at least this far
   * past the last copy: a restart that finds no snapshot in the feature store replays at most
   * about this many stream messages (plus what the durable had not acknowledged).
   */
  everyMessages: number;
  /** A copy failed; the next snapshot that is due tries again. The feature store's own write is unaffected. */
  onError: (actorKey: string, e: unknown) => void;
}>;

/** Per actor: the stream sequence of the newest copy (started or found), the copy in flight, the newest snapshot waiting for it. */
type Slot = { copiedSeq: number; inFlight: Promise<void> | undefined; waiting: ActorSnapshot | undefined };

/**
 * The feature store with its actor snapshots also copied, spaced out, to a durable archive
 * (PostgreSQL beside Redis). A snapshot is loaded from whichever of the two holds the later one,
 * so an actor whose Redis snapshot is gone (Redis restarted without persistence, or lost its
 * last writes) resumes from the archive's copy and rebuilds from there, not from the stream's
 * oldest message.
 *
 * Copies run behind the feature store's writes, never in the way of a checkpoint: one at a time
 * per actor, and a snapshot that falls due while one is in flight waits for it (only the newest
 * waits). Spacing counts stream sequences, not time, so the same input stream makes the same
 * copies.
 */
export function withSnapshotArchive(store: FeatureStore, archive: SnapshotArchive, opts: SnapshotArchiveOptions): FeatureStore {
  const every = opts.everyMessages;
  if (!Number.isSafeInteger(every) || every < 1) throw new StoreError(`snapshot archive spacing must be a positive integer, got ${every}`, false);
  const slots = new Map<string, Slot>();
  const slotOf = (key: string): Slot => {
    let slot = slots.get(key);
    if (slot === undefined) slots.set(key, (slot = { copiedSeq: 0, inFlight: undefined, waiting: undefined }));
    return slot;
  };

  const copy = (key: string, slot: Slot, snap: ActorSnapshot): void => {
    const before = slot.copiedSeq;
    slot.copiedSeq = snap.streamSeq;
    slot.inFlight = archive
      .save(key, snap)
      .catch((e: unknown) => {
        if (slot.copiedSeq === snap.streamSeq) slot.copiedSeq = before; // due again with the next snapshot
        opts.onError(key, e);
      })
      .then(() => {
        slot.inFlight = undefined;
        const next = slot.waiting;
        slot.waiting = undefined;
        if (next !== undefined && next.streamSeq - slot.copiedSeq >= every) copy(key, slot, next);
      });
  };

  /** Waits until no copy is in flight or waiting. */
  const settled = async (): Promise<void> => {
    for (;;) {
      const pending = [...slots.values()].flatMap((s) => (s.inFlight === undefined ? [] : [s.inFlight]));
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  };

  return {
    kind: store.kind,
    latest: (asset) => store.latest(asset),
    history: (asset, limit) => store.history(asset, limit),
    loadSnapshot: async (key) => {
      const [fast, archived] = await Promise.all([store.loadSnapshot(key), archive.load(key)]);
      const slot = slotOf(key);
      if (slot.inFlight === undefined) slot.copiedSeq = archived?.streamSeq ?? 0;
      if (archived === undefined) return fast;
      return fast === undefined || archived.streamSeq > fast.streamSeq ? archived : fast;
    },
    writeBatch: async (vectors, snapshots = []) => {
      await store.writeBatch(vectors, snapshots);
      for (const [key, snap] of snapshots) {
        const slot = slotOf(key);
        if (snap.streamSeq - slot.copiedSeq < every) continue;
        if (slot.inFlight === undefined) copy(key, slot, snap);
        else slot.waiting = snap;
      }
    },
    clear: async () => {
      await settled();
      slots.clear();
      await Promise.all([store.clear(), archive.clear()]);
    },
    close: async () => {
      await settled();
      await Promise.all([store.close(), archive.close()]);
    },
  };
}
