import type { Logger } from '../../state/logger.js';
import type { StoredMessage, StreamAdmin } from '../../streams/bus.js';
import { READ_STORED_MAX } from '../../streams/bus.js';
import type { Subjects } from '../../streams/subjects.js';
import type { Hub } from './hub.js';
import { approvedOrdersPattern } from './topics.js';

export type OrdersSeedOptions = Readonly<{
  bus: Pick<StreamAdmin, 'readNewest'>;
  hub: Pick<Hub, 'learn'>;
  /** The stream that stores orders and fills (`SIGNALS` under the configured name prefix). */
  stream: string;
  subjects: Subjects;
  log: Logger;
  /** Most orders, most fills and most expiries read (default `READ_STORED_MAX`): the newest; older ones are skipped, with a warning. */
  max?: number;
}>;

/**
 * Tells the hub the orders the risk actor approved, and the fills of them, stored before the
 * gateway started (`Hub.learn`), so that with `bookedFills` a fill of an order approved before a
 * restart is relayed, and a dashboard opened after it lists the orders still working (the `orders`
 * snapshot holds them). SIGNALS keeps everything (`maxAgeMs: 0`), so only the newest are read: the
 * newest `max` orders, then the fills and the expiries stored from the oldest of them on (each
 * follows its order), at most `max` of each — more, and the orders stored before the oldest fill
 * or expiry read are let go too, as one of them could look less filled than it is, or working
 * while its venue expired it. The hub forgets all but its last `recentIds` approved
 * orders anyway, as the risk book forgets its retired orders; what was skipped is logged, and a
 * fill of a skipped order is withheld from the feed (the engine's dead letters and its risk state
 * still tell the truth). Never rejects: a failed read (the stream missing, NATS down) is logged,
 * and the feed then relays fills, and its `orders` snapshot lists working orders, only of orders
 * approved from then on.
 */
export async function learnStoredOrders(opts: OrdersSeedOptions): Promise<number | undefined> {
  const max = opts.max ?? READ_STORED_MAX;
  let read: StoredMessage[] = [];
  let counts = { orders: 0, fills: 0, expiries: 0, skippedOrders: 0, skippedFills: 0, skippedExpiries: 0 };
  try {
    const orders = await opts.bus.readNewest(opts.stream, approvedOrdersPattern(opts.subjects), { max });
    const from = orders.messages[0]?.streamSeq;
    // No order read: every fill stored would be of an order the feed does not hold.
    const fills = from === undefined ? { messages: [], skipped: 0 } : await opts.bus.readNewest(opts.stream, opts.subjects.allFills(), { max, fromSeq: from });
    // Expiries of them (the venue stopped working one early): such an order is not held as working.
    const expiries = from === undefined ? { messages: [], skipped: 0 } : await opts.bus.readNewest(opts.stream, opts.subjects.allExpired(), { max, fromSeq: from });
    // More fills or expiries than `max` since the oldest order: an order stored before the oldest
    // one read could look less filled than it is, or working while its venue expired it.
    const oldestRead = (r: { messages: readonly StoredMessage[]; skipped: number }): number => (r.skipped > 0 ? (r.messages[0]?.streamSeq ?? Infinity) : -Infinity);
    const cut = Math.max(oldestRead(fills), oldestRead(expiries));
    const kept = orders.messages.filter((m) => m.streamSeq >= cut);
    read = [...kept, ...fills.messages, ...expiries.messages].sort((a, b) => a.streamSeq - b.streamSeq);
    counts = {
      orders: kept.length,
      fills: fills.messages.length,
      expiries: expiries.messages.length,
      skippedOrders: orders.skipped + orders.messages.length - kept.length,
      skippedFills: fills.skipped,
      skippedExpiries: expiries.skipped,
    };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    opts.log.warn({ stream: opts.stream, error }, 'cannot read the approved orders: the feed relays fills, and its orders snapshot lists working orders, only of orders approved from now on');
    // What arrived meanwhile is relayed as without the read.
    opts.hub.learn([]);
    return undefined;
  }
  const held = opts.hub.learn(read);
  if (counts.skippedOrders > 0 || counts.skippedFills > 0 || counts.skippedExpiries > 0) {
    opts.log.warn(
      { stream: opts.stream, max, ...counts, held },
      'the stream holds more approved orders, fills or expiries than a start-up read takes: the oldest were skipped (with the orders stored before the oldest fill or expiry read), and a later fill of a skipped order is withheld from the feed',
    );
  } else opts.log.info({ stream: opts.stream, orders: counts.orders, fills: counts.fills, expiries: counts.expiries, held }, 'feed learnt the approved orders from the stream');
  return held;
}
