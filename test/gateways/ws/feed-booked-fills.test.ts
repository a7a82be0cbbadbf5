import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub } from '../../../gateways/ws/hub.js';
import { learnStoredOrders } from '../../../gateways/ws/orders-seed.js';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { silentLogger } from '../../../state/logger.js';
import { createMemoryBus } from '../../../streams/memory-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { connectFeed, json, startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';

const H = 3_600_000;
const order = (id: string, over: Record<string, unknown> = {}) => ({
  type: 'exec.order', v: 1, id, ts: 100 * H, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', suggestionId: `s${id}`, side: 'buy', qty: 0.02,
  orderType: 'market', limitPrice: null, expiresAt: 101 * H, reducing: false, ...over,
});
const fill = (id: string, orderId: string, over: Record<string, unknown> = {}) => ({
  type: 'exec.fill', v: 1, id, ts: 100 * H + 1, orderId, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 62_700, fee: 0.1,
  liquidity: 'taker', slippageBps: 1, final: false, ...over,
});
const expiry = (orderId: string, over: Record<string, unknown> = {}) => ({
  type: 'exec.expired', v: 1, id: `e:${orderId}`, ts: 100 * H + 2, orderId, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', filledQty: 0.01, remainingQty: 0.01,
  reason: 'venue', ...over,
});
type Delta = Extract<ServerMessage, { type: 'delta' }>;
const orderIds = (ms: readonly ServerMessage[]): string[] => ms.filter((m): m is Delta => m.type === 'delta' && m.topic === 'orders').map((m) => (m.data as { id: string }).id);

/**
 * The risk actor books a live consumer's fill only against an order it approved, as approved, and
 * dead-letters the others (UNKNOWN_ORDER, ORDER_MISMATCH). The feed relayed every fill on
 * `sx.exec.fill.…`: a dashboard listed trades the account never made.
 */
describe('websocket feed: only fills the engine books reach the orders topic', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ bookedFills: true, marketData: { maxPayloadBytes: 8192, isKnown: (venue) => venue === 'binance' } });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('drops a fill of an order risk never approved (UNKNOWN_ORDER) or not of its order as approved (ORDER_MISMATCH), and relays the booked ones (real NATS)', async () => {
    const live = await connectFeed(gw.wsUrl, { token: VIEWER });
    live.send({ op: 'subscribe', topic: 'orders' });
    await live.waitFor((m) => m.type === 'subscribed' && m.topic === 'orders');
    const btcFill = gw.subjects.fill('binance', 'BTC/USDT');
    gw.bus.emit(gw.subjects.order('dirmlp', 'binance', 'BTC/USDT'), json(order('o:1')));
    gw.bus.emit(btcFill, json(fill('x:o:9:0', 'o:9'))); // no such order
    gw.bus.emit(btcFill, json(fill('x:o:1:s', 'o:1', { side: 'sell' }))); // the order is a buy
    gw.bus.emit(btcFill, json(fill('x:o:1:t', 'o:1', { strategy: 'other' }))); // another strategy's
    gw.bus.emit(btcFill, json(fill('x:o:1:big', 'o:1', { qty: 0.03 }))); // more than it had left
    gw.bus.emit(btcFill, json(fill('x:o:1:0', 'o:1')));
    gw.bus.emit(btcFill, json(fill('x:o:1:1', 'o:1', { final: true })));
    gw.bus.emit(btcFill, json(fill('x:o:1:2', 'o:1'))); // after the final one: nothing was left
    gw.bus.emit(gw.subjects.order('dirmlp', 'binance', 'BTC/USDT'), json(order('o:2')));
    await live.waitFor((m) => m.type === 'delta' && m.topic === 'orders' && (m.data as { id: string }).id === 'o:2');
    expect(orderIds(live.messages)).toEqual(['o:1', 'x:o:1:0', 'x:o:1:1', 'o:2']);
    expect(gw.hub.stats().refusedFills).toBe(5);
    live.ws.close();
  });

  it('drops an expiry the engine refuses — not a v1 expiry, of an order it never approved, of one filled in full, leaving more than its final fill did — and relays the ones it takes (real NATS)', async () => {
    // Seen live: `{"type":"exec.expired"}` and an expiry of an order filled in full, both dead-lettered
    // by the engine, were relayed on `orders`: every dashboard showed the filled order expired.
    const live = await connectFeed(gw.wsUrl, { token: VIEWER });
    live.send({ op: 'subscribe', topic: 'orders' });
    await live.waitFor((m) => m.type === 'subscribed' && m.topic === 'orders');
    const sub = { symbol: 'SOL/USDT', price: 150 };
    const solE = { symbol: 'SOL/USDT' }; // an expiry has no price (v1 refuses a field it has not)
    const solOrder = gw.subjects.order('dirmlp', 'binance', 'SOL/USDT');
    const solFill = gw.subjects.fill('binance', 'SOL/USDT');
    const solExpired = gw.subjects.expired('binance', 'SOL/USDT');
    gw.bus.emit(solOrder, json(order('o:f', sub)));
    gw.bus.emit(solOrder, json(order('o:p', sub)));
    gw.bus.emit(solOrder, json(order('o:w', sub)));
    gw.bus.emit(solFill, json(fill('x:o:f:0', 'o:f', { ...sub, qty: 0.02, final: true }))); // o:f filled in full
    gw.bus.emit(solFill, json(fill('x:o:p:0', 'o:p', { ...sub, final: true }))); // o:p: 0.01 filled, 0.01 left unfilled
    gw.bus.emit(solExpired, json({ type: 'exec.expired' })); // SCHEMA
    gw.bus.emit(solExpired, json(expiry('o:nope', solE))); // UNKNOWN_ORDER
    gw.bus.emit(solExpired, json(expiry('o:f', { ...solE, filledQty: 0.01, remainingQty: 0.01 }))); // filled in full: ORDER_MISMATCH
    gw.bus.emit(solExpired, json(expiry('o:p', { ...solE, filledQty: 0.005, remainingQty: 0.015 }))); // its final fill left 0.01: ORDER_MISMATCH
    gw.bus.emit(solExpired, json(expiry('o:w', { ...solE, filledQty: 0, remainingQty: 0.02 }))); // taken
    gw.bus.emit(solOrder, json(order('o:end', sub)));
    await live.waitFor((m) => m.type === 'delta' && m.topic === 'orders' && (m.data as { id: string }).id === 'o:end');
    expect(orderIds(live.messages)).toEqual(['o:f', 'o:p', 'o:w', 'x:o:f:0', 'x:o:p:0', 'e:o:w', 'o:end']);
    expect(gw.hub.stats().refusedExpiries).toBe(4);
    // Corrected, o:p's expiry confirms what its final fill said: relayed.
    gw.bus.emit(solExpired, json(expiry('o:p', solE)));
    await live.waitFor((m) => m.type === 'delta' && m.topic === 'orders' && (m.data as { id: string }).id === 'e:o:p');
    live.ws.close();
  });

  it('relays a fill of an order approved before it started, learnt from the stream; of the stored messages only the order still working is in the snapshot', async () => {
    const ethOrder = gw.subjects.order('dirmlp', 'binance', 'ETH/USDT');
    const ethFill = gw.subjects.fill('binance', 'ETH/USDT');
    const eth = { symbol: 'ETH/USDT', price: 2_300 };
    expect(gw.hub.learn([
      { subject: ethOrder, data: json(order('o:e', eth)) },
      { subject: ethFill, data: json(fill('x:o:e:0', 'o:e', eth)) },
    ])).toBeGreaterThanOrEqual(1);
    const live = await connectFeed(gw.wsUrl, { token: VIEWER });
    live.send({ op: 'subscribe', topic: 'orders', symbols: ['ETH/USDT'] });
    await live.waitFor((m) => m.type === 'subscribed' && m.topic === 'orders');
    gw.bus.emit(ethFill, json(fill('x:o:e:0', 'o:e', eth))); // stored already: a republish
    gw.bus.emit(ethFill, json(fill('x:o:e:1', 'o:e', { ...eth, qty: 0.015 }))); // 0.01 of 0.02 is left
    gw.bus.emit(ethFill, json(fill('x:o:e:2', 'o:e', { ...eth, final: true })));
    await live.waitFor((m) => m.type === 'delta' && m.topic === 'orders' && (m.data as { id: string }).id === 'x:o:e:2');
    expect(orderIds(live.messages)).toEqual(['x:o:e:2']);
    // o:e works (0.01 of 0.02 filled, event time before its expiresAt): held from the start, its stored fill not sent.
    expect(live.messages.filter((m) => m.type === 'snapshot').map((m) => (m as Extract<ServerMessage, { type: 'snapshot' }>).data)).toMatchObject([{ id: 'o:e' }]);
    live.ws.close();
  });
});

describe('websocket feed: approved orders learnt from the stream at start', () => {
  it('reads the stored orders and fills of SIGNALS, so a fill of an order approved before a restart is relayed, and one over its remainder is not', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('bf');
    await bus.ensureStreams([{ name: 'BF_SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' }]);
    const btcFill = subjects.fill('binance', 'BTC/USDT');
    await bus.publish(subjects.order('dirmlp', 'binance', 'BTC/USDT'), json(order('o:1')));
    await bus.publish(btcFill, json(fill('x:o:1:0', 'o:1', { qty: 0.015 })));
    const hub = createHub({ bus, subjects, limits: { maxBufferedBytes: 1 << 20, slowCloseMs: 5000, maxPendingFrames: 64, maxInboundPerSecond: 50 }, heartbeatMs: 60_000, log: silentLogger, bookedFills: true });
    try {
      expect(await learnStoredOrders({ bus, hub, stream: 'BF_SIGNALS', subjects, log: silentLogger })).toBe(1);
      bus.emit(btcFill, json(fill('x:o:1:1', 'o:1'))); // 0.01 > the 0.005 left
      bus.emit(btcFill, json(fill('x:o:1:2', 'o:1', { qty: 0.005, final: true })));
      await Promise.resolve(); // the memory bus hands core messages over in a microtask
      // o:1 still works (0.015 of 0.02 filled): in the snapshot from the start; then the booked fill.
      expect(hub.stats().seq.orders).toBe(2);
      expect(hub.stats().refusedFills).toBe(1);
      // A stream that cannot be read: the feed goes on, relaying fills of orders approved from now on.
      expect(await learnStoredOrders({ bus, hub, stream: 'NO_SUCH_STREAM', subjects, log: silentLogger })).toBeUndefined();
    } finally {
      hub.close();
      await bus.close();
    }
  });
});

/**
 * The engine remembers only the fills it applied: a live consumer's fill it refused (a wrong side,
 * say) and published again corrected under the same id is booked once the SIGNALS stream stores
 * it, past its duplicate window. The feed recorded the id as seen before checking the fill, so the
 * corrected one was dropped as a republish: the dashboard never listed a fill the account holds.
 */
describe('websocket feed: a refused fill republished corrected under its id', () => {
  it('is relayed once past the stream duplicate window (the engine books it), not within it (JetStream drops it), and a booked one never again', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('bfr');
    let t = 1_000_000;
    const hub = createHub({ bus, subjects, limits: { maxBufferedBytes: 1 << 20, slowCloseMs: 5000, maxPendingFrames: 64, maxInboundPerSecond: 50 }, heartbeatMs: 60_000, log: silentLogger, bookedFills: true, fillDuplicateWindowMs: 120_000, now: () => t });
    const btcFill = subjects.fill('binance', 'BTC/USDT');
    const relayed = (): number => hub.stats().seq.orders;
    try {
      bus.emit(subjects.order('dirmlp', 'binance', 'BTC/USDT'), json(order('o:1')));
      await Promise.resolve();
      expect(relayed()).toBe(1);
      bus.emit(btcFill, json(fill('x:o:1:0', 'o:1', { side: 'sell' }))); // the order is a buy: refused
      await Promise.resolve();
      expect([relayed(), hub.stats().refusedFills]).toEqual([1, 1]);
      t += 60_000; // corrected within the window: JetStream drops it, the engine never sees it
      bus.emit(btcFill, json(fill('x:o:1:0', 'o:1')));
      await Promise.resolve();
      expect([relayed(), hub.stats().duplicates]).toEqual([1, 1]);
      t += 60_001; // past the window of the refused one: stored, and booked by the engine
      bus.emit(btcFill, json(fill('x:o:1:0', 'o:1')));
      await Promise.resolve();
      expect([relayed(), hub.stats().refusedFills]).toEqual([2, 1]);
      t += 600_000; // booked: a later republish is one
      bus.emit(btcFill, json(fill('x:o:1:0', 'o:1')));
      await Promise.resolve();
      expect([relayed(), hub.stats().duplicates]).toEqual([2, 2]);
    } finally {
      hub.close();
      await bus.close();
    }
  });

  it('books a corrected fill stored after its refused copy when it learns the stream at start', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('bfs');
    const hub = createHub({ bus, subjects, limits: { maxBufferedBytes: 1 << 20, slowCloseMs: 5000, maxPendingFrames: 64, maxInboundPerSecond: 50 }, heartbeatMs: 60_000, log: silentLogger, bookedFills: true, now: () => 5 });
    const btcFill = subjects.fill('binance', 'BTC/USDT');
    try {
      hub.learn([
        { subject: subjects.order('dirmlp', 'binance', 'BTC/USDT'), data: json(order('o:1')) },
        { subject: btcFill, data: json(fill('x:o:1:0', 'o:1', { qty: 0.03 })) }, // more than the order: refused
        { subject: btcFill, data: json(fill('x:o:1:0', 'o:1', { qty: 0.02, final: true })) }, // stored later, corrected: booked
      ]);
      expect([hub.stats().refusedFills, hub.stats().duplicates]).toEqual([1, 0]);
      // The corrected copy was booked: the order is filled, so another fill of it is refused, and it is a republish.
      bus.emit(btcFill, json(fill('x:o:1:1', 'o:1')));
      bus.emit(btcFill, json(fill('x:o:1:0', 'o:1', { qty: 0.02, final: true })));
      await Promise.resolve();
      expect([hub.stats().seq.orders, hub.stats().refusedFills, hub.stats().duplicates]).toEqual([0, 2, 1]);
    } finally {
      hub.close();
      await bus.close();
    }
  });
});
