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
   * event-time order and handled, so the asset actor acknowledges only decided input.
   */
  push(asset: string, events: readonly AssetEvent[]): Promise<void>;
  /** The asset has nothing more for now: stop holding the others back for it. */
  idle(asset: string): void;
  /** Releases everything held, in order (end of a replay, shutdown). */
  flush(): Promise<void>;
  /** Events handled after a later event had already been released (an asset that fell behind an idle mark). */
  late(): number;
  /** Shutdown: releases everything held, and from now on every push at once (nothing waits for a watermark). */
  close(): Promise<void>;
}>;

type Held = { event: AssetEvent; settle: (failure?: unknown) => void };
/** Held events of one asset; `head` indexes the next one (no shifting of long arrays). */
type Lane = { queue: Held[]; head: number; lastTs: number; idle: boolean; lastSeq: number };

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
  for (const a of opts.assets) lanes.set(a, { queue: [], head: 0, lastTs: Number.NEGATIVE_INFINITY, idle: false, lastSeq: 0 });
  let chain: Promise<void> = Promise.resolve();
  let releasedTs = Number.NEGATIVE_INFINITY;
  let late = 0;
  let closing = false;
  /** The newest release's storing (a handler that settles in order makes it cover the earlier ones). */
  let lastSettled: Promise<void> = Promise.resolve();

  const lane = (asset: string): Lane => {
    const l = lanes.get(asset);
    if (l === undefined) throw new Error(`sequencer: unknown asset ${asset}`);
    return l;
  };

  const watermark = (): number => {
    let w = Number.POSITIVE_INFINITY;
    for (const l of lanes.values()) if (!l.idle || l.head < l.queue.length) w = Math.min(w, l.lastTs);
    return w;
  };

  /** Takes every held event at or before `upTo`, merged in order. */
  const take = (upTo: number): Held[] => {
    const out: Held[] = [];
    const sorted = [...lanes.keys()].sort().map((name) => lanes.get(name) as Lane);
    for (;;) {
      let best: Lane | undefined;
      for (const l of sorted) {
        const head = l.queue[l.head];
        if (head === undefined || head.event.md.ts > upTo) continue;
        if (best === undefined || head.event.md.ts < (best.queue[best.head] as Held).event.md.ts) best = l;
      }
      if (best === undefined) break;
      out.push(best.queue[best.head++] as Held);
    }
    for (const l of sorted) {
      if (l.head === l.queue.length) {
        l.queue = [];
        l.head = 0;
      } else if (l.head > 4096 && l.head * 2 > l.queue.length) {
        l.queue = l.queue.slice(l.head);
        l.head = 0;
      }
    }
    return out;
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
      const batch = take(everything || closing ? Number.POSITIVE_INFINITY : watermark());
      everything = false;
      if (batch.length === 0) return;
      const events = batch.map((h) => h.event);
      for (const e of events) {
        if (e.md.ts < releasedTs) late++;
        releasedTs = Math.max(releasedTs, e.md.ts);
      }
      let result: ReleaseResult;
      try {
        result = await opts.onRelease(events);
      } catch (e) {
        for (const h of batch) h.settle(e);
        throw e;
      }
      if (result === undefined) {
        for (const h of batch) h.settle();
        return;
      }
      // Decided: the next release may go on; the waiters learn when the outputs are stored.
      lastSettled = result.settled.catch(() => {});
      result.settled.then(
        () => {
          for (const h of batch) h.settle();
        },
        (e: unknown) => {
          for (const h of batch) h.settle(e);
        },
      );
    });
    // One failed release fails its own waiters; later releases still run.
    queued = run;
    chain = run.catch(() => {});
    return run;
  };

  return {
    push: (asset, events) => {
      const l = lane(asset);
      l.idle = false;
      const waits: Promise<void>[] = [];
      for (const event of events) {
        if (event.streamSeq <= l.lastSeq) continue; // redelivered after a restart: already handed over
        l.lastSeq = event.streamSeq;
        l.lastTs = Math.max(l.lastTs, event.md.ts);
        waits.push(new Promise<void>((resolve, reject) => l.queue.push({ event, settle: (f) => (f === undefined ? resolve() : reject(f as Error)) })));
      }
      // A release that fails rejects the waits of its own events only, so the asset actor whose
      // events they were does not acknowledge its batch (and redelivery brings them again).
      void release(false).catch(() => {});
      return Promise.all(waits).then(() => undefined);
    },
    idle: (asset) => {
      lane(asset).idle = true;
      void release(false).catch(() => {});
    },
    flush: async () => {
      await release(true);
      await chain;
      await lastSettled;
    },
    late: () => late,
    close: async () => {
      closing = true;
      await release(true).catch(() => {});
      await chain;
      await lastSettled;
    },
  };
}
