import type { ActorSnapshot } from './feature-store.js';

/**
 * A durable copy of actor snapshots (PostgreSQL), taken now and then beside the fast one in the
 * feature store (Redis). When Redis comes back without its snapshots, an asset actor resumes from
 * the copy and replays the stream from there, instead of from the stream's oldest message.
 */
export type SnapshotArchive = {
  load(actorKey: string): Promise<ActorSnapshot | undefined>;
  /** Stores the snapshot unless the archive already holds a later one (higher `streamSeq`) for the key. */
  save(actorKey: string, snapshot: ActorSnapshot): Promise<void>;
  /** Removes every snapshot (demo resets, tests). */
  clear(): Promise<void>;
  close(): Promise<void>;
};
