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
}>;

/**
 * A backtest's replay: each message on its subject with `msgId` = its id, like
 * `gateways/replay.ts`, but handed over in process as the object (`publishValue`): no JSON
 * encoding here and no parsing in the asset actors, which still validate it (see
 * `actors/asset-actor.ts`). Resolves with the number of messages published, duplicates included.
 */
export async function feedInProcess(bus: MemoryBus, subjects: Subjects, source: AsyncIterable<MarketData> | Iterable<MarketData>, opts: FeedOptions = {}): Promise<Readonly<{ published: number }>> {
  const maxAhead = opts.maxAhead ?? 200_000;
  let published = 0;
  let pending: Promise<unknown>[] = [];
  for await (const m of source) {
    // The memory bus stores the message before its promise settles: awaiting each one would
    // only add a turn of the microtask queue per message.
    pending.push(bus.publishValue(subjectOf(subjects, m), m, { msgId: m.id }));
    published++;
    if (pending.length >= 1024) {
      await Promise.all(pending);
      pending = [];
      if (opts.consumed !== undefined) await caughtUp(opts.consumed, published - maxAhead);
    }
  }
  await Promise.all(pending);
  return { published };
}

/**
 * Waits until `consumed()` reaches `target`, or until it stops moving: actors may be waiting for
 * data further on (an asset whose data ended holds the sequencer until the feed is done and
 * backtest-end-of-data.ts releases it), and then the feed must go on. Only memory depends on
 * this pacing, never a decision.
 */
async function caughtUp(consumed: () => number, target: number): Promise<void> {
  let seen = consumed();
  let still = 0;
  while (seen < target && still < 1_000) {
    await new Promise<void>((r) => setImmediate(r));
    const now = consumed();
    still = now === seen ? still + 1 : 0;
    seen = now;
  }
}
