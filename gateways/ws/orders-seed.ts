import type { Logger } from '../../state/logger.js';
import type { StreamAdmin } from '../../streams/bus.js';
import { READ_STORED_MAX } from '../../streams/bus.js';
import type { Subjects } from '../../streams/subjects.js';
import type { Hub } from './hub.js';
import { approvedOrdersPattern } from './topics.js';

export type OrdersSeedOptions = Readonly<{
  bus: Pick<StreamAdmin, 'readStored'>;
  hub: Pick<Hub, 'learn'>;
  /** The stream that stores orders and fills (`SIGNALS` under the configured name prefix). */
  stream: string;
  subjects: Subjects;
  log: Logger;
  /** Most orders, and most fills, read (default `READ_STORED_MAX`): more and that read is refused. */
  max?: number;
}>;

/**
 * Tells the hub the orders the risk actor approved, and the fills of them, stored before the
 * gateway started (`Hub.learn`), so that with `bookedFills` a fill of an order approved before a
 * restart is relayed, and a dashboard opened after it lists the orders still working (the `orders`
 * snapshot holds them). Orders first, then fills, each in stream order (a fill follows its order).
 * Never rejects: a failed read — the stream missing, NATS down, or more than `max` orders (or
 * fills) stored, which is refused whole rather than read in part — is logged, and fills of orders
 * approved before the start are then withheld from the feed (the engine's dead letters and its risk
 * state still tell the truth) and the `orders` snapshot holds only orders relayed from then on.
 */
export async function learnStoredOrders(opts: OrdersSeedOptions): Promise<number | undefined> {
  const max = opts.max ?? READ_STORED_MAX;
  try {
    const orders = await opts.bus.readStored(opts.stream, approvedOrdersPattern(opts.subjects), { max });
    const fills = await opts.bus.readStored(opts.stream, opts.subjects.allFills(), { max });
    const held = opts.hub.learn([...orders, ...fills]);
    opts.log.info({ stream: opts.stream, orders: orders.length, fills: fills.length, held }, 'feed learnt the approved orders from the stream');
    return held;
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    opts.log.warn({ stream: opts.stream, error }, 'cannot read the approved orders: the feed relays fills, and its orders snapshot lists working orders, only of orders approved from now on');
    return undefined;
  }
}
