import type { Clock, TimerHandle } from '../state/clock.js';
import type { ActorSnapshot } from '../state/feature-store.js';
import type { Deferred } from '../streams/bus.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';

/**
 * How often an asset actor saves its state. `ms` undefined: after every batch (backtests and
 * tests, where a batch is large or the run is short). Otherwise at least every `messages`
 * messages and every `ms` on the actor's clock, whichever comes first.
 */
export type CheckpointPlan = Readonly<{ messages: number; ms: number | undefined }>;

export type CheckpointDeps = Readonly<{
  clock: Clock;
  /** The actor's state as it is now (every handled batch applied). */
  snapshot(): ActorSnapshot;
  /**
   * Waited for (after the batches' commits, before the write): the decisions' risk state covering
   * everything decided so far is stored. Absent: nothing to wait for. `prompt`: the checkpoint was
   * due by its message count, and waiting out the spacing of the risk writes would hold the
   * consumption back (its unacknowledged messages reach the pull's bound); such a checkpoint asks
   * once its batches are committed, even while an earlier checkpoint is still being saved.
   */
  covered?: (prompt: boolean) => Promise<void>;
  /** Stores the vectors of the batches since the last checkpoint and the snapshot, in one write. */
  save(vectors: readonly FeatureVector[], snapshot: ActorSnapshot): Promise<void>;
  /** A checkpoint landed: everything up to its snapshot's stream sequence is saved, with these vectors. */
  saved(snapshot: ActorSnapshot, vectors: readonly FeatureVector[]): void;
  /** A checkpoint failed: the actor must stop (its state is ahead of what was saved). */
  failed(e: unknown): void;
}>;

export type Checkpoints = Readonly<{
  /**
   * A batch was applied to the state and its outputs are being stored (`committed`). Returns
   * what the consumption needs: `committed` paces it, `checkpointed` (when checkpoints are
   * spaced) says when the batch may be acknowledged — once a snapshot covering it is saved.
   */
  batch(messages: number, vectors: readonly FeatureVector[], committed: Promise<void>): Deferred;
  /** Saves everything handled so far now (stopping), and every later batch at once. */
  flush(): void;
  /** The actor failed: everything waiting for a checkpoint fails with it. */
  fail(e: unknown): void;
}>;

type Waiter = Readonly<{ resolve: () => void; reject: (e: unknown) => void }>;

/**
 * The asset actor's checkpoints. Saving the whole state after every batch costs a snapshot per
 * message when batches hold one message (live): the 4,096 dedup ids alone are ~150 KB of JSON for bar ids. Spaced
 * checkpoints keep exactly-once: a batch is acknowledged only once a snapshot at or past it is
 * saved, so a restart resumes from that snapshot and the stream redelivers exactly what came
 * after it. History and dead letters are still stored, and decisions made, batch by batch (all
 * idempotent); feature vectors go to the store with the snapshot that covers them (the store's
 * history is an append: written twice, it would hold duplicates). Writes stay in batch order.
 */
export function createCheckpoints(deps: CheckpointDeps, plan: CheckpointPlan): Checkpoints {
  const { clock } = deps;
  let vectors: FeatureVector[] = [];
  let waiters: Waiter[] = [];
  let since = 0;
  let lastAt = clock.now();
  /** The newest batch's commit; each batch's waits for the one before, so it covers them all. */
  let lastCommitted: Promise<void> = Promise.resolve();
  /** The newest checkpoint's write: the next one waits for it, and fails when it failed. */
  let saving: Promise<void> = Promise.resolve();
  let timer: TimerHandle | undefined;
  let everyBatch = plan.ms === undefined;
  let failure: unknown;

  /** `prompt`: due by the message count (the consumption's unacknowledged messages pile up), not by time. */
  const checkpoint = (prompt = false): void => {
    if (timer !== undefined) {
      clock.clearTimeout(timer);
      timer = undefined;
    }
    if (waiters.length === 0 || failure !== undefined) return;
    const snap = deps.snapshot();
    const vs = vectors;
    const ws = waiters;
    vectors = [];
    waiters = [];
    since = 0;
    lastAt = clock.now();
    const previous = saving;
    const covered = deps.covered;
    // Due by its count, it asks for the risk write as soon as its batches are decided, not once
    // the checkpoint before it is saved: that one, due by time, waits for the spaced write without
    // asking, and queued behind it this one waited out the spacing all the same (up to
    // riskCheckpointMs for a busy asset). The write asked for covers the earlier one's batches too.
    const asked = prompt && covered !== undefined ? lastCommitted.then(() => covered(true)) : undefined;
    asked?.catch(() => {}); // observed by the run below
    const run = Promise.all([lastCommitted, previous]).then(async () => {
      if (asked !== undefined) await asked;
      else if (covered !== undefined) await covered(false);
      await deps.save(vs, snap);
    });
    saving = run;
    run.then(
      () => {
        deps.saved(snap, vs);
        for (const w of ws) w.resolve();
      },
      (e: unknown) => {
        for (const w of ws) w.reject(e);
        deps.failed(e);
      },
    );
  };

  return {
    batch: (messages, batchVectors, committed) => {
      for (const v of batchVectors) vectors.push(v);
      lastCommitted = committed;
      since += messages;
      const checkpointed = new Promise<void>((resolve, reject) => {
        if (failure !== undefined) reject(failure);
        else waiters.push({ resolve, reject });
      });
      checkpointed.catch(() => {}); // the consumption observes it; never an unhandled rejection
      if (everyBatch) {
        checkpoint();
        // One promise for both: acknowledged once stored, as before checkpoints were spaced.
        return { committed: checkpointed };
      }
      const ms = plan.ms as number;
      const elapsed = clock.now() - lastAt;
      if (since >= plan.messages) checkpoint(true);
      else if (elapsed >= ms) checkpoint();
      else if (timer === undefined) {
        timer = clock.setTimeout(() => {
          timer = undefined;
          checkpoint();
        }, ms - elapsed);
      }
      return { committed, checkpointed };
    },
    flush: () => {
      everyBatch = true;
      checkpoint();
    },
    fail: (e) => {
      failure ??= e;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      const ws = waiters;
      waiters = [];
      vectors = [];
      for (const w of ws) w.reject(failure);
    },
  };
}
