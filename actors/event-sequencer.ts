import type { FeatureVector } from '../streams/messages/feature-vector.js';
import type { MarketData } from '../streams/messages/market-data.js';

/** One accepted market-data message of an asset, with the feature vector it produced (bars). */
export type AssetEvent = Readonly<{
  asset: string;
  /** Position in the market-data stream: a redelivered event is recognised and skipped. */
  streamSeq: number;
  md: MarketData;
  vector: FeatureVector | undefined;
}>;

export type EventSequencer = Readonly<{
  /**
   * Hands over an asset's events (in its own order). Resolves once they were released in
   * event-time order and handled, so the asset actor acknowledges only decided input. The
   * array is held as it is until its events are released: the caller must not change it.
   */
  push(asset: string, events: readonly AssetEvent[]): Promise<void>;
  /** The asset has nothing more for now: stop holding the others back for it. */
  idle(asset: string): void;
  /**
   * None of the asset's events still to come is before `ts` (epoch ms; a backtest's replay knows
   * where each asset's data begins): until it pushes, it holds the others back only from `ts` on,
   * instead of from the beginning. Events of other assets before `ts` may pass; at `ts` they still
   * wait, since the asset may come first there. Never lowers what the asset has reached.
   */
  notBefore(asset: string, ts: number): void;
  /** Releases everything held, in order (end of a replay, shutdown). */
  flush(): Promise<void>;
  /** Events handled after a later event had already been released (an asset that fell behind an idle mark). */
  late(): number;
  /** Shutdown: releases everything held, and from now on every push at once (nothing waits for a watermark). */
  close(): Promise<void>;
  /** The failure that stopped the sequencer (see `DecisionPathFailedError`), or undefined while it runs. */
  failure(): DecisionPathFailedError | undefined;
  /** Resolves with that failure when it happens (never, while the sequencer runs). */
  failed(): Promise<DecisionPathFailedError>;
  /**
   * Stops the sequencer for a failure found outside a release: a write that covers releases
   * already handed back (the decision path's spaced risk-state write) failed. As for a failed
   * release, what it holds, what is still being stored and every later push are refused. Returns
   * the failure that stopped it (the earlier one, if it was already stopped).
   */
  fail(cause: unknown): DecisionPathFailedError;
}>;

/**
 * A release failed (its handler threw, or its outputs were not stored): the decision path's state
 * in memory has moved past what was stored, so deciding on would publish from a state no restart
 * can reproduce, and the failed events could never be decided again in this process. The
 * sequencer stops: the failed release's pushes and every later one are refused with this error,
 * so no asset actor acknowledges anything more, and the engine stops (`sextant run` exits
 * non-zero). A restarted engine resumes from its last commit: the risk state last written and
 * every unacknowledged message, redelivered — as after a crash.
 */
export class DecisionPathFailedError extends Error {
  override readonly name = 'DecisionPathFailedError';
  /** Never cured by restarting an asset actor: the whole engine must restart. */
  readonly retryable = false;
  constructor(cause: unknown) {
    super(`decision path failed: ${cause instanceof Error ? cause.message : String(cause)}; restart the engine to resume from its last commit`, { cause });
  }
}

/**
 * The waiter of one `push`: a single promise for the whole batch, settled when its last event
 * was handled (or rejected by the first release of its events that failed). Events are held in
 * the pushed array itself, so holding them allocates nothing per event.
 */
type Waiter = { remaining: number; failed: boolean; resolve: () => void; reject: (e: unknown) => void };
/** The unreleased part of one push: `events[pos…]`. */
type Chunk = { readonly events: readonly AssetEvent[]; pos: number; readonly waiter: Waiter };
/** Held chunks of one asset, oldest first; `head` indexes the first with events left. */
type Lane = { chunks: Chunk[]; head: number; lastTs: number; idle: boolean; lastSeq: number };
/** What one release took: its events in order, and how many of them each push contributed. */
type Taken = { events: AssetEvent[]; waiters: Waiter[]; counts: number[] };

/**
 * Merges the events of several asset actors into one stream ordered by event time (ties by
 * asset name, then stream sequence), so the decision path — one strategy over several assets,
 * one risk actor for the account — sees the same sequence in every run, however the actors'
 * batches interleave. An event is released once every active asset has reached its time (the
 * watermark); an idle asset does not hold the others back. Handling is serialised.
 */
/**
 * What a release handler returns: nothing (the events are done when it resolves), or a
 * `settled` promise, when it decides first and stores afterwards — then the next release is
 * handed over at once and the events' waiters resolve when `settled` does.
 */
export type ReleaseResult = void | Readonly<{ settled: Promise<void> }>;

export function createEventSequencer(opts: Readonly<{ assets: readonly string[]; onRelease: (events: readonly AssetEvent[]) => Promise<ReleaseResult> }>): EventSequencer {
  const lanes = new Map<string, Lane>();
  for (const a of opts.assets) lanes.set(a, { chunks: [], head: 0, lastTs: Number.NEGATIVE_INFINITY, idle: false, lastSeq: 0 });
  /** Lanes in asset-name order: the merge's tie-break. */
  const sorted = [...lanes.keys()].sort().map((name) => lanes.get(name) as Lane);
  let chain: Promise<void> = Promise.resolve();
  let releasedTs = Number.NEGATIVE_INFINITY;
  let late = 0;
  let closing = false;
  /** The newest release's storing (a handler that settles in order makes it cover the earlier ones). */
  let lastSettled: Promise<void> = Promise.resolve();
  let failure: DecisionPathFailedError | undefined;
  let onFailure: ((e: DecisionPathFailedError) => void) | undefined;
  const failedOnce = new Promise<DecisionPathFailedError>((resolve) => (onFailure = resolve));

  const lane = (asset: string): Lane => {
    const l = lanes.get(asset);
    if (l === undefined) throw new Error(`sequencer: unknown asset ${asset}`);
    return l;
  };

  const watermark = (): number => {
    let w = Number.POSITIVE_INFINITY;
    for (const l of sorted) if (!l.idle || l.head < l.chunks.length) w = Math.min(w, l.lastTs);
    return w;
  };

  /** Takes every held event at or before `upTo`, merged in order. */
  const take = (upTo: number): Taken => {
    const taken: Taken = { events: [], waiters: [], counts: [] };
    const count = (w: Waiter, n: number): void => {
      if (n === 0) return;
      // A chunk's events leave in runs: consecutive runs of one push add up in one entry.
      const last = taken.waiters.length - 1;
      if (last >= 0 && taken.waiters[last] === w) taken.counts[last] = (taken.counts[last] as number) + n;
      else {
        taken.waiters.push(w);
        taken.counts.push(n);
      }
    };
    for (;;) {
      let b = -1;
      let bestTs = 0;
      for (let i = 0; i < sorted.length; i++) {
        const c = (sorted[i] as Lane).chunks[(sorted[i] as Lane).head];
        if (c === undefined) continue;
        const ts = (c.events[c.pos] as AssetEvent).md.ts;
        if (ts > upTo) continue;
        if (b < 0 || ts < bestTs) {
          b = i;
          bestTs = ts;
        }
      }
      if (b < 0) break;
      // Take the best lane's run while the merge would pick it again — ahead of every other
      // lane's head, ties going to the lane first in name order — instead of comparing per event.
      let limit = upTo;
      let strict = false;
      for (let i = 0; i < sorted.length; i++) {
        const c = i === b ? undefined : (sorted[i] as Lane).chunks[(sorted[i] as Lane).head];
        if (c === undefined) continue;
        const ts = (c.events[c.pos] as AssetEvent).md.ts;
        if (ts < limit || (ts === limit && i < b)) {
          limit = ts;
          strict = i < b;
        }
      }
      const best = sorted[b] as Lane;
      const c = best.chunks[best.head] as Chunk;
      const from = c.pos;
      for (;;) {
        taken.events.push(c.events[c.pos++] as AssetEvent);
        if (c.pos === c.events.length) break;
        const ts = (c.events[c.pos] as AssetEvent).md.ts;
        if (ts > limit || (strict && ts === limit)) break;
      }
      count(c.waiter, c.pos - from);
      if (c.pos === c.events.length) best.head++;
    }
    for (const l of sorted) {
      if (l.head === l.chunks.length) {
        l.chunks = [];
        l.head = 0;
      } else if (l.head > 64 && l.head * 2 > l.chunks.length) {
        l.chunks = l.chunks.slice(l.head);
        l.head = 0;
      }
    }
    return taken;
  };

  /** Counts the taken events as handled (or failed): a push settles with its last event. */
  const settle = (t: Taken, error?: unknown): void => {
    for (let i = 0; i < t.waiters.length; i++) {
      const w = t.waiters[i] as Waiter;
      w.remaining -= t.counts[i] as number;
      if (w.failed) continue;
      // Once stopped, nothing more is counted as handled (a later release's outputs stored or not).
      const e = error ?? failure;
      if (e !== undefined) {
        w.failed = true;
        w.reject(e);
      } else if (w.remaining === 0) w.resolve();
    }
  };

  /** The first failed release stops the sequencer: what it holds is refused, and every later push. */
  const fail = (cause: unknown): DecisionPathFailedError => {
    if (failure === undefined) {
      failure = cause instanceof DecisionPathFailedError ? cause : new DecisionPathFailedError(cause);
      settle(take(Number.POSITIVE_INFINITY), failure);
      onFailure?.(failure);
    }
    return failure;
  };

  /** A release waiting behind the one running: it takes its events when it starts, not before. */
  let queued: Promise<void> | undefined;
  let everything = false;

  /**
   * Asks for a release of what the watermark allows (or of everything held). Releases run one
   * at a time; while one runs, later requests fold into a single queued release that takes every
   * event allowed at the moment it starts — so a busy decision path gets fewer, larger releases
   * (one model call each) instead of a queue of small ones that each wait their turn.
   */
  const release = (all: boolean): Promise<void> => {
    if (all) everything = true;
    if (queued !== undefined) return queued;
    const run = chain.then(async () => {
      queued = undefined;
      if (failure !== undefined) return;
      const taken = take(everything || closing ? Number.POSITIVE_INFINITY : watermark());
      everything = false;
      const events = taken.events;
      if (events.length === 0) return;
      for (const e of events) {
        if (e.md.ts < releasedTs) late++;
        else releasedTs = e.md.ts;
      }
      let result: ReleaseResult;
      try {
        result = await opts.onRelease(events);
      } catch (e) {
        const f = fail(e);
        settle(taken, f);
        throw f;
      }
      // Decided: the next release may go on; the waiters learn when the outputs are stored — in
      // release order, each after the one before, so a release whose outputs were stored first
      // still fails when an earlier one's were not (its events must not be acknowledged past it).
      const previous = lastSettled;
      if (result === undefined) {
        lastSettled = previous.then(() => settle(taken));
        return;
      }
      const stored = result.settled;
      stored.catch(() => {}); // observed below, once the earlier releases are settled
      lastSettled = previous.then(() => stored).then(
        () => settle(taken),
        (e: unknown) => settle(taken, fail(e)),
      );
    });
    // A failed release stops the sequencer (`fail`): its waiters, and every later push, are refused.
    queued = run;
    chain = run.catch(() => {});
    return run;
  };

  return {
    push: (asset, events) => {
      if (failure !== undefined) return Promise.reject(failure);
      const l = lane(asset);
      l.idle = false;
      // Redelivered after a restart: already handed over. Usually none, and the array is held as it is.
      let fresh = events;
      if ((events[0]?.streamSeq ?? Number.POSITIVE_INFINITY) <= l.lastSeq || !ascending(events)) fresh = newerThan(events, l.lastSeq);
      let done: Promise<void> = Promise.resolve();
      if (fresh.length > 0) {
        l.lastSeq = (fresh[fresh.length - 1] as AssetEvent).streamSeq;
        for (const e of fresh) if (e.md.ts > l.lastTs) l.lastTs = e.md.ts;
        done = new Promise<void>((resolve, reject) => l.chunks.push({ events: fresh, pos: 0, waiter: { remaining: fresh.length, failed: false, resolve, reject } }));
      }
      // A release that fails rejects the pushes of its events and stops the sequencer, so no asset
      // actor acknowledges them (a restarted engine decides them again from its last commit).
      void release(false).catch(() => {});
      return done;
    },
    idle: (asset) => {
      lane(asset).idle = true;
      void release(false).catch(() => {});
    },
    notBefore: (asset, ts) => {
      const l = lane(asset);
      if (!(ts - 1 > l.lastTs)) return;
      l.lastTs = ts - 1;
      void release(false).catch(() => {});
    },
    flush: async () => {
      await release(true);
      await chain;
      await lastSettled;
      if (failure !== undefined) throw failure;
    },
    late: () => late,
    failure: () => failure,
    failed: () => failedOnce,
    fail,
    close: async () => {
      closing = true;
      await release(true).catch(() => {});
      await chain;
      await lastSettled;
    },
  };
}

/** Are the stream sequences strictly increasing (the usual batch, held as it is)? */
function ascending(events: readonly AssetEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if ((events[i] as AssetEvent).streamSeq <= (events[i - 1] as AssetEvent).streamSeq) return false;
  return true;
}

/** The events a lane has not taken yet, as the per-event check `streamSeq > lastSeq` (moving up) keeps them. */
function newerThan(events: readonly AssetEvent[], lastSeq: number): AssetEvent[] {
  const out: AssetEvent[] = [];
  for (const e of events) {
    if (e.streamSeq <= lastSeq) continue;
    lastSeq = e.streamSeq;
    out.push(e);
  }
  return out;
}
