import type { Batches } from '../../gateways/historical/merge-batches-by-time.js';
import { subjectOf } from '../../gateways/replay.js';
import type { MemoryBus } from '../../streams/memory-bus.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Subjects } from '../../streams/subjects.js';

export type FeedOptions = Readonly<{
  /**
   * Backpressure: messages handled so far (the engine's `messagesIn`). With it the feed stays at
   * most `maxAhead` messages ahead of the actors, so the bus holds a bounded backlog instead of
   * the whole window (with `trimAcked` on its market-data stream).
   */
  consumed?: () => number;
  maxAhead?: number;
  /**
   * Called with each message just before it is published (a backtest moves its simulated clock
   * and notes what it replays here): one async generator less around the source, whose every
   * step costs promises and result objects.
   */
  each?: (m: MarketData) => void;
  /** Publishes at most this many messages. */
  limit?: number;
  /**
   * Called after each whole batch of the source is published (a backtest seals the assets whose
   * data has ended: `backtest-end-of-data.ts`). The feed waits for it.
   */
  afterBatch?: () => Promise<void> | void;
  /** Called on each turn the feed waits for the actors (a backtest releases sealed assets there). */
  waiting?: () => void;
}>;

/**
 * How far the feed runs ahead of the actors by default. Small enough that what is published and
 * not yet handled stays young and in cache (measured: 2,048–8,192 gave ~10 % more events per
 * CPU-second than 32,768 and ~15 % more than 200,000; bench/README.md, issue 4), large enough
 * that the actors always have whole batches waiting.
 */
export const DEFAULT_MAX_AHEAD = 8192;

/**
 * A backtest's replay: each message on its subject, like `gateways/replay.ts`, but handed over in
 * process as the object (`publishValueNow`): no JSON encoding here and no parsing in the asset
 * actors, which still validate it (see `actors/asset-actor.ts`). The source comes in time-ordered
 * batches (`mergeBatchesByTime`): only a batch is awaited, never a message.
 *
 * Unlike the live replay it sets no `msgId`: a publish in process is never retried, so the
 * stream's duplicate window could only catch a message the data holds twice (two files of one
 * symbol that overlap), and it would drop that one silently — while the backtest waits for every
 * published message to be handled. Each message reaches its asset actor instead, whose tick gate
 * refuses a repeat (DUPLICATE, or OUT_OF_ORDER for a bar that is not after the last) with the
 * reason, counted in the engine's `refused`. The window also cost ~12 % of a backtest's time
 * (bench/README.md, issue 4). Resolves with the number of messages published: every one is stored.
 */
export async function feedInProcess(bus: MemoryBus, subjects: Subjects, source: Batches<MarketData>, opts: FeedOptions = {}): Promise<Readonly<{ published: number }>> {
  const maxAhead = opts.maxAhead ?? DEFAULT_MAX_AHEAD;
  const subjectOf = subjectCache(subjects);
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  const each = opts.each;
  let published = 0;
  if (published >= limit) return { published };
  for await (const batch of source) {
    for (const m of batch) {
      each?.(m);
      // The memory bus stores at once: no promise per message. No msgId (see above).
      bus.publishValueNow(subjectOf(m), m);
      published++;
      if (published >= limit) return { published };
      if ((published & 1023) === 0 && opts.consumed !== undefined) await caughtUp(opts.consumed, published - maxAhead, opts.waiting);
    }
    await opts.afterBatch?.();
  }
  return { published };
}

/**
 * `gateways/replay.ts`'s `subjectOf`, remembered per venue, symbol and kind: a replay has a few
 * dozen subjects and millions of messages, and a subject string built once is hashed once.
 */
function subjectCache(subjects: Subjects): (m: MarketData) => string {
  const byVenue = new Map<string, Map<string, Map<string, string>>>();
  return (m) => {
    let bySymbol = byVenue.get(m.venue);
    if (bySymbol === undefined) byVenue.set(m.venue, (bySymbol = new Map()));
    let byKind = bySymbol.get(m.symbol);
    if (byKind === undefined) bySymbol.set(m.symbol, (byKind = new Map()));
    const kind = m.type === 'md.bar' ? m.tf : m.type;
    let subject = byKind.get(kind);
    if (subject === undefined) byKind.set(kind, (subject = subjectOf(subjects, m)));
    return subject;
  };
}

/**
 * Waits until `consumed()` reaches `target`, or until it stops moving: actors may be waiting for
 * data further on (an asset with a gap in its data holds the sequencer until its next message is
 * published; one whose data ended, until `backtest-end-of-data.ts` releases it), and then the
 * feed must go on. Only memory depends on this pacing, never a decision.
 */
async function caughtUp(consumed: () => number, target: number, waiting: (() => void) | undefined): Promise<void> {
  let seen = consumed();
  let still = 0;
  while (seen < target && still < 1_000) {
    waiting?.();
    await new Promise<void>((r) => setImmediate(r));
    const now = consumed();
    still = now === seen ? still + 1 : 0;
    seen = now;
  }
}
