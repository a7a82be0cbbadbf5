import { connect } from '@nats-io/transport-node';
import { fillId, publishFill } from 'sextant/client';
import type { Fill } from 'sextant/client';
import type { Engine } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import { bookKey } from '../../models/risk/risk-book.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { decodeText } from '../../streams/codec.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import type { OrderSide } from '../../streams/messages/order-side.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import type { Subjects } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';
import type { ApprovedOrder } from '../support/approved-orders.js';
import { natsWithStreams, startLiveEngine } from '../support/live-engine.js';
import type { Cleanup } from '../support/live-engine.js';
import { isolatedConfig, NATS_URL, trainedRegistry } from './engine-run.js';

/**
 * The world of the tests of a desk's fills checked against the orders risk approved
 * (external-fill-price, -market-band, -limit-band): an engine with the paper venue off, on real
 * NATS, whose restored risk book holds one symbol's orders in flight and a mark of its mid, and a
 * desk that reports fills of them with sextant/client's publishFill.
 */

/** The event time of the orders, the mark and the fills. */
const T = Date.UTC(2024, 0, 2);

/** An order in flight, of the world's symbol, venue and strategy, expiring an hour after T. */
export type DeskOrder = Omit<ApprovedOrder, 'venue' | 'symbol' | 'strategy' | 'expiresAt'>;

export type DeskFillWorld = Readonly<{
  cfg: Config;
  subjects: Subjects;
  engine: Engine;
  risk: NonNullable<Engine['decisions']>['risk'];
  /** The desk's fill `n` of `orderId` at `price`: the world's fill quantity, not final. */
  fill(orderId: string, n: number, side: OrderSide, price: number): Fill;
  /** Publishes `fills` as a desk does, one after the other. */
  publish(fills: readonly Fill[]): Promise<void>;
  /** What the decisions dead-lettered so far. */
  dead(): Promise<DlqEntry[]>;
  /** Waits (20 s at most) until at least `fills` fills are booked and `dead` messages dead-lettered. */
  settle(fills: number, dead?: number): Promise<void>;
}>;

/**
 * Starts the world named `name` (its streams' client and the desk's connection): `orders` of
 * `symbol` in flight, marked at `mid`, `validation` over the config's; the desk's fills are of
 * `fillQty`. `cleanup` stops and removes it all.
 */
export async function deskFillWorld(
  cleanup: Cleanup,
  o: Readonly<{ name: string; symbol: string; mid: number; orders: readonly DeskOrder[]; fillQty: number; validation?: Partial<Config['validation']> }>,
): Promise<DeskFillWorld> {
  const cfg = isolatedConfig([o.symbol], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false }, validation: { ...c.validation, ...o.validation } }));
  const subjects = subjectsFor(cfg.prefix);
  const bus = await natsWithStreams(cfg, o.name, cleanup);
  const registry = await trainedRegistry([o.symbol], Date.UTC(2024, 0, 1));
  const riskStore = createMemoryRiskStore();
  const book = bookWithOrders(o.orders.map((x) => ({ ...x, venue: cfg.venue, symbol: o.symbol, strategy: cfg.strategy.name, expiresAt: T + 3_600_000 })));
  await riskStore.saveBook(cfg.risk.account, { ...book, book: { ...book.book, marks: [[bookKey(cfg.venue, o.symbol), { mid: o.mid, ts: T }]] } }, 0);
  const engine = await startLiveEngine(cfg, { bus, registry, riskStore }, cleanup);
  const risk = engine.decisions?.risk;
  if (risk === undefined) throw new Error('no decisions');
  const nc = await connect({ servers: NATS_URL, name: `${o.name}-desk` });
  cleanup.push(() => nc.close());

  const dead = async (): Promise<DlqEntry[]> => {
    const { messages } = await bus.readFrom(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
    return messages.map((m) => DlqEntrySchema.parse(JSON.parse(decodeText(m.data))));
  };
  return {
    cfg,
    subjects,
    engine,
    risk,
    fill: (orderId, n, side, price) => ({
      type: 'exec.fill', v: 1, id: fillId(orderId, n), ts: T + n, orderId, strategy: cfg.strategy.name, venue: cfg.venue, symbol: o.symbol, side, qty: o.fillQty, price, fee: 0, liquidity: 'taker', slippageBps: 0, final: false,
    }),
    async publish(fills) {
      for (const f of fills) await publishFill(nc, f, { prefix: cfg.prefix });
    },
    dead,
    async settle(fills, deadCount = 0) {
      const deadline = performance.now() + 20_000;
      while (((engine.decisions?.path.stats().fills ?? 0) < fills || (await dead()).length < deadCount) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
