import type { Clock, TimerHandle } from '../state/clock.js';

/**
 * How often the decision path writes the risk actor's state. `ms` undefined: after every
 * release (backtests and tests). Otherwise at most once per `ms` on the engine's clock.
 */
export type RiskCheckpointPlan = Readonly<{ ms: number | undefined }>;

export type RiskCheckpointDeps = Readonly<{
  clock: Clock;
  /** Captures the risk state as it is now (synchronously) and returns the write that stores it. */
  capture(): () => Promise<void>;
  /** False while a release is being decided: the state is then half-way and is not captured. */
  between(): boolean;
}>;

export type RiskCheckpoints = Readonly<{
  /**
   * A release was decided and its publications are in flight (`published`). Resolves once they
   * and a write of the risk state at or past this release are stored. `now`: write at once.
   */
  release(published: Promise<unknown>, now?: boolean): Promise<void>;
  /**
   * Someone waits for the coverage of what was released so far and should not wait out the
   * spacing (an asset actor whose unacknowledged messages pile up): write now, or at the end of
   * the release being decided. Nothing to do when nothing waits for a write.
   */
  prompt(): void;
  /** Writes what is waiting now (or at the end of the release being decided), and every later release at once (stopping). */
  flush(): void;
  /**
   * Resolves once every write made so far has ended, stored, or failed, or the writes were given up
   * (`failure` says which; never rejects). A stop waits for it, so that the process does not end with the last write
   * in flight (the next start would restore an older state).
   */
  written(): Promise<void>;
  /** Whether a write is being made, or a release waits for one. */
  pending(): boolean;
  /**
   * Gives up the writes: a stop that cannot wait any longer for one that does not land. As after a
   * failed write, what waits for a write fails with `error` (so nothing it covers is acknowledged),
   * and no later write is made.
   */
  abandon(error: unknown): void;
  /**
   * The first failure of a write (the store's, or of a publication it waited for), or undefined
   * while every write went through. It stops the checkpoints: what waits for a write and every
   * later release fail with it, and no later write is made.
   */
  failure(): Readonly<{ error: unknown }> | undefined;
  /** Resolves with that failure's error when it happens (never, while the writes go through). */
  failed(): Promise<unknown>;
}>;

type Waiter = Readonly<{ resolve: () => void; reject: (e: unknown) => void }>;

/**
 * The risk state's writes, spaced. The book's snapshot holds the seen suggestion ids with the
 * decision each got (~20 KB of JSON with a few dozen ids in the dedup window), and writing it
 * after every release cost a snapshot per bar live — in production a PostgreSQL upsert of that
 * size per bar. Spaced writes keep the guarantee the per-release ones gave: a release's waiters
 * (the asset actors' commits, hence their acknowledgements) resolve only once its publications
 * and a snapshot taken after it are stored; a snapshot is taken only between releases, so it
 * never holds half a release; writes stay in order, each after the one before. A write that
 * fails (its retries, if any, are the capture's) stops them all: its waiters and every later
 * release fail with it (`failed`), and the decision path stops (event-sequencer.ts).
 */
export function createRiskCheckpoints(deps: RiskCheckpointDeps, plan: RiskCheckpointPlan): RiskCheckpoints {
  const { clock } = deps;
  let published: Promise<unknown>[] = [];
  let waiters: Waiter[] = [];
  let lastAt = clock.now();
  let timer: TimerHandle | undefined;
  /** Set by a flush (stopping); without `plan.ms` every release writes anyway. */
  let everyRelease = false;
  /** A write came due while a release was being decided: it is made when the release ends. */
  let due = false;
  /** The newest write; the next one waits for it, and fails with it (nothing is written past a failed write). */
  let writing: Promise<void> = Promise.resolve();
  /** The newest write has ended (stored or failed). */
  let wrote = true;
  /** The waiters of each write being made: a failure (or `abandon`) fails them without waiting for their write to end. */
  const writingFor = new Set<Waiter[]>();
  let failure: Readonly<{ error: unknown }> | undefined;
  let onFailure: (e: unknown) => void = () => {};
  const failedOnce = new Promise<unknown>((resolve) => (onFailure = resolve));

  /**
   * The first failed write stops the checkpoints: the state in memory is past what is stored, and
   * a later write would let releases decided on top of an unstored one be acknowledged. What waits
   * for a write that will now never be made fails with it.
   */
  const fail = (error: unknown): void => {
    if (failure !== undefined) return;
    failure = { error };
    if (timer !== undefined) {
      clock.clearTimeout(timer);
      timer = undefined;
    }
    const ws = [...waiters, ...[...writingFor].flat()];
    waiters = [];
    writingFor.clear();
    published = [];
    for (const w of ws) w.reject(error);
    onFailure(error);
  };

  const write = (): void => {
    if (timer !== undefined) {
      clock.clearTimeout(timer);
      timer = undefined;
    }
    due = false;
    if (waiters.length === 0 || failure !== undefined) return;
    const store = deps.capture();
    const pubs = published;
    const ws = waiters;
    published = [];
    waiters = [];
    lastAt = clock.now();
    const previous = writing;
    const run = Promise.all(pubs).then(async () => {
      await previous;
      if (failure !== undefined) throw failure.error;
      await store();
    });
    writing = run;
    wrote = false;
    writingFor.add(ws);
    const ended = (): void => {
      writingFor.delete(ws);
      if (writing === run) wrote = true;
    };
    run.then(ended, ended);
    run.then(
      () => {
        for (const w of ws) w.resolve();
      },
      (e: unknown) => {
        fail(e);
        for (const w of ws) w.reject(failure?.error ?? e);
      },
    );
  };
  const whenBetween = (): void => {
    if (deps.between()) write();
    else due = true;
  };

  return {
    release: (p, now = false) => {
      if (failure !== undefined) return Promise.reject(failure.error);
      published.push(p);
      const covered = new Promise<void>((resolve, reject) => void waiters.push({ resolve, reject }));
      const ms = plan.ms;
      const elapsed = clock.now() - lastAt;
      if (now || everyRelease || due || ms === undefined || elapsed >= ms) write();
      else if (timer === undefined) {
        timer = clock.setTimeout(() => {
          timer = undefined;
          whenBetween();
        }, ms - elapsed);
      }
      return covered;
    },
    prompt: () => {
      if (waiters.length > 0) whenBetween();
    },
    flush: () => {
      everyRelease = true;
      whenBetween();
    },
    written: () => Promise.race([writing.catch(() => {}), failedOnce.then(() => {})]),
    pending: () => failure === undefined && (!wrote || waiters.length > 0),
    abandon: (error) => fail(error),
    failure: () => failure,
    failed: () => failedOnce,
  };
}
