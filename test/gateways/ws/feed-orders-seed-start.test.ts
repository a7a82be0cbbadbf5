import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { learnStoredOrders } from '../../../gateways/ws/orders-seed.js';
import type { Logger } from '../../../state/logger.js';
import type { Bus } from '../../../streams/bus.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { subjectsFor } from '../../../streams/subjects.js';
import type { Subjects } from '../../../streams/subjects.js';
import { json, NATS_URL, startTestGateway, testPrefix, until, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';
import { connectRaw } from './raw-feed-client.js';
import type { RawFeedClient } from './raw-feed-client.js';

const H = 3_600_000;
const T0 = 100 * H;
const order = (id: string) => ({
  type: 'exec.order', v: 1, id, ts: T0, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', suggestionId: `s${id}`, side: 'buy', qty: 1,
  orderType: 'limit', limitPrice: 62_000, expiresAt: T0 + H, reducing: false,
});
const fill = (orderId: string, n: number, qty: number, final = false) => ({
  type: 'exec.fill', v: 1, id: `x:${orderId}:${n}`, ts: T0 + 1000 + n, orderId, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', side: 'buy', qty, price: 62_000, fee: 0.01,
  liquidity: 'maker', slippageBps: 0, final,
});

const expiry = (orderId: string, remainingQty: number) => ({
  type: 'exec.expired', v: 1, id: `e:${orderId}`, ts: T0 + 60_000, orderId, strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', filledQty: 1 - remainingQty, remainingQty, reason: 'venue', text: 'cancelled by the exchange',
});

type Frame = Readonly<{ type: string; topic?: string; seq?: number; snapshot?: number; data?: { id?: string } }>;

/** What a client that subscribes to `orders` now is sent as the snapshot: the ids, in seq order. */
async function snapshotIds(g: Gateway): Promise<(string | undefined)[]> {
  const c: RawFeedClient = await connectRaw(g.wsUrl, VIEWER);
  const frames = (): Frame[] => c.messages as Frame[];
  c.send({ op: 'subscribe', topic: 'orders' });
  await until(() => frames().some((m) => m.type === 'subscribed' && m.topic === 'orders'));
  const announced = frames().find((m) => m.type === 'subscribed')?.snapshot ?? -1;
  const snap = (): Frame[] => frames().filter((m) => m.type === 'snapshot' && m.topic === 'orders');
  await until(() => snap().length === announced);
  c.socket.destroy();
  const seqs = snap().map((m) => m.seq ?? 0);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  return snap().map((m) => m.data?.id);
}

/** A logger that keeps what was warned. */
const recordingLogger = (warned: Record<string, unknown>[]): Logger => {
  const noop = (): void => undefined;
  const log: Logger = { debug: noop, info: noop, warn: (fields, msg) => void warned.push({ ...fields, msg }), error: noop, child: () => log };
  return log;
};

/** A SIGNALS stream of its own on the real NATS, filled before the gateway starts (a restart). */
type Stored = { bus: Bus; subjects: Subjects; prefix: string; stream: string };
async function storedSignals(): Promise<Stored> {
  const prefix = testPrefix();
  const subjects = subjectsFor(prefix);
  const stream = `${prefix.toUpperCase()}_SIGNALS`;
  const bus = await createNatsBus({ url: NATS_URL, name: 'gateway-test-seed', connectTimeoutMs: 3000 });
  await bus.ensureStreams([{ name: stream, subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' }]);
  return { bus, subjects, prefix, stream };
}

/**
 * For each test of the describe it is called in: a SIGNALS stream of its own (`stored()`), and
 * `gateway()`, which starts a gateway on it that learns the stored orders; both gone after the test.
 */
function storedSignalsEachTest(): { stored: () => Stored; gateway: () => Promise<Gateway> } {
  let s: Stored | undefined;
  let gw: Gateway | undefined;
  const stored = (): Stored => {
    if (s === undefined) throw new Error('the stored signals are made before each test');
    return s;
  };
  beforeEach(async () => {
    s = await storedSignals();
  });
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    await stored().bus.deleteStreams([stored().stream]).catch(() => undefined);
    await stored().bus.close();
  });
  return { stored, gateway: async () => (gw = await startTestGateway({ bus: stored().bus, prefix: stored().prefix, bookedFills: true, learnsStored: true })) };
}

/**
 * SIGNALS keeps everything (maxAgeMs 0), and the gateway's start-up read of the stored orders and
 * fills refused the read whole past 10 000 of either: an account that had approved more orders
 * than that learnt nothing at every gateway restart (no working order in the snapshot, every fill
 * of an order approved before the start withheld). The newest are read now, what was skipped said.
 */
describe('websocket feed: the start-up read of a SIGNALS stream holding more orders than it takes', () => {
  const { stored, gateway } = storedSignalsEachTest();

  it('learns the newest max orders and the fills stored since the oldest of them, warns of the ones skipped, and withholds a fill of a skipped order (real NATS)', async () => {
    const s = stored();
    const subject = s.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    const fills = s.subjects.fill('binance', 'BTC/USDT');
    for (let n = 1; n <= 8; n++) await s.bus.publish(subject, json(order(`o:${n}`)));
    await s.bus.publish(fills, json(fill('o:7', 0, 0.4)));
    const g = await gateway();
    const warned: Record<string, unknown>[] = [];
    expect(await learnStoredOrders({ bus: s.bus, hub: g.hub, stream: s.stream, subjects: s.subjects, log: recordingLogger(warned), max: 5 })).toBe(5);
    expect(warned).toMatchObject([{ orders: 5, fills: 1, skippedOrders: 3, skippedFills: 0, msg: expect.stringMatching(/oldest were skipped/) }]);
    expect(await snapshotIds(g)).toEqual(['o:4', 'o:5', 'o:6', 'o:7', 'o:8']);
    g.bus.emit(fills, json(fill('o:1', 0, 0.5))); // skipped: not known
    g.bus.emit(fills, json(fill('o:7', 1, 0.7))); // 0.4 stored + 0.7 > 1: not as approved
    g.bus.emit(fills, json(fill('o:7', 2, 0.6, true))); // what was left
    await until(() => g.hub.stats().seq.orders + g.hub.stats().refusedFills === 8);
    expect(g.hub.stats().refusedFills).toBe(2);
    expect(await snapshotIds(g)).toEqual(['o:4', 'o:5', 'o:6', 'o:7', 'o:8', 'x:o:7:2']);
  });

  it('lets go of the orders stored before the oldest fill read when more fills than max follow the oldest order read: none looks less filled than it is (real NATS)', async () => {
    const s = stored();
    const subject = s.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    const fills = s.subjects.fill('binance', 'BTC/USDT');
    // o:1 f1a o:2 f1b f2a o:3 f2b f3a o:4 f3b f4a
    await s.bus.publish(subject, json(order('o:1')));
    await s.bus.publish(fills, json(fill('o:1', 0, 0.1)));
    for (let n = 2; n <= 4; n++) {
      await s.bus.publish(subject, json(order(`o:${n}`)));
      await s.bus.publish(fills, json(fill(`o:${n - 1}`, 1, 0.1)));
      await s.bus.publish(fills, json(fill(`o:${n}`, 0, 0.1)));
    }
    const g = await gateway();
    const warned: Record<string, unknown>[] = [];
    // Orders o:2..o:4; of the 6 fills since o:2, the newest 3 (f3a f3b f4a): o:2 and o:3 come before f3a.
    expect(await learnStoredOrders({ bus: s.bus, hub: g.hub, stream: s.stream, subjects: s.subjects, log: recordingLogger(warned), max: 3 })).toBe(1);
    expect(warned).toMatchObject([{ orders: 1, fills: 3, skippedOrders: 3, skippedFills: 3 }]);
    expect(await snapshotIds(g)).toEqual(['o:4']);
    expect(g.hub.stats().refusedFills).toBe(2); // f3a, f3b: of o:3, let go
  });

  it('lets go of the orders stored before the oldest expiry read when more expiries than max follow the oldest order read: none looks working while its venue expired it (real NATS)', async () => {
    const s = stored();
    const subject = s.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    const expired = s.subjects.expired('binance', 'BTC/USDT');
    // o:old1 o:old2 o:a e(o:a) e(o:old1) e(o:old2) o:c
    for (const id of ['o:old1', 'o:old2', 'o:a']) await s.bus.publish(subject, json(order(id)));
    for (const id of ['o:a', 'o:old1', 'o:old2']) await s.bus.publish(expired, json(expiry(id, 1)));
    await s.bus.publish(subject, json(order('o:c')));
    const g = await gateway();
    const warned: Record<string, unknown>[] = [];
    // Orders o:a and o:c; of the 3 expiries since o:a, the newest 2: o:a's is not read, and o:a comes before them.
    expect(await learnStoredOrders({ bus: s.bus, hub: g.hub, stream: s.stream, subjects: s.subjects, log: recordingLogger(warned), max: 2 })).toBe(1);
    expect(warned).toMatchObject([{ orders: 1, expiries: 2, skippedOrders: 3, skippedExpiries: 1, msg: expect.stringMatching(/fills or expiries/) }]);
    expect(await snapshotIds(g)).toEqual(['o:c']);
  });
});

/**
 * The hub subscribes to the bus before the stored orders are read: a fill of an order approved
 * before the start that arrived while SIGNALS was read was refused as of an unknown order (and,
 * stored after the read, never booked or sent at all), and an order approved meanwhile was relayed
 * ahead of the older orders seeded after it. The `orders` topic is now held until the read is
 * done, then relayed after it, less what the read holds too.
 */
describe('websocket feed: what arrives while the stored orders are read', () => {
  const { stored, gateway } = storedSignalsEachTest();

  it('books a fill the read holds once, relays one stored after the read and a new order after the seeded ones, in stream order (real NATS)', async () => {
    const s = stored();
    const subject = s.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    const fills = s.subjects.fill('binance', 'BTC/USDT');
    await s.bus.publish(subject, json(order('o:old')));
    const g = await gateway();
    // Live traffic between the reads: after the orders read, a fill of o:old (in the fills read)
    // and a new order; after the fills read, another fill of o:old (in neither); then the expiries read.
    let reads = 0;
    const during: Pick<Bus, 'readNewest'> = {
      readNewest: async (stream, filter, o) => {
        const r = await s.bus.readNewest(stream, filter, o);
        if (++reads === 1) {
          await s.bus.publish(fills, json(fill('o:old', 0, 0.2)));
          await s.bus.publish(subject, json(order('o:new')));
        } else if (reads === 2) await s.bus.publish(fills, json(fill('o:old', 1, 0.3)));
        await s.bus.flush(); // the hub has been handed them
        return r;
      },
    };
    expect(await learnStoredOrders({ bus: during, hub: g.hub, stream: s.stream, subjects: s.subjects, log: recordingLogger([]) })).toBe(2);
    expect(reads).toBe(3);
    expect(g.hub.stats()).toMatchObject({ refusedFills: 0, duplicates: 0 });
    // o:old seeded first; x:o:old:0 is stored history (applied, not relayed); o:new and x:o:old:1 relayed after it.
    expect(await snapshotIds(g)).toEqual(['o:old', 'o:new', 'x:o:old:1']);
    // 0.2 + 0.3 booked: 0.6 more is over what o:old has left, 0.5 is what it has.
    g.bus.emit(fills, json(fill('o:old', 2, 0.6)));
    g.bus.emit(fills, json(fill('o:old', 3, 0.5, true)));
    await until(() => g.hub.stats().seq.orders === 4);
    expect(g.hub.stats().refusedFills).toBe(1);
    expect(await snapshotIds(g)).toEqual(['o:old', 'o:new', 'x:o:old:1', 'x:o:old:3']);
  });

  it('relays what it held as it would have without the read when the read fails', async () => {
    const s = stored();
    const g = await gateway();
    const subject = s.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    g.bus.emit(subject, json(order('o:1')));
    await s.bus.flush();
    expect(g.hub.stats().seq.orders).toBe(0); // held until the read is done
    expect(await learnStoredOrders({ bus: s.bus, hub: g.hub, stream: `${s.stream}_MISSING`, subjects: s.subjects, log: recordingLogger([]) })).toBeUndefined();
    expect(await snapshotIds(g)).toEqual(['o:1']);
  });
});

/**
 * The start-up read takes the stored expiries with the orders and fills (0ea2ac7): an order the
 * venue stopped working early (a live exchange's cancel, the paper venue at a gap), its expiresAt
 * still a day away, was otherwise seeded into the `orders` snapshot as working after a restart.
 */
describe('websocket feed: an order whose expiry was stored before the start', () => {
  const { stored, gateway } = storedSignalsEachTest();

  it('is not in the working orders of the snapshot, its expiresAt still ahead; the order beside it is (real NATS)', async () => {
    const s = stored();
    const subject = s.subjects.order('dirmlp', 'binance', 'BTC/USDT');
    await s.bus.publish(subject, json(order('o:gone')));
    await s.bus.publish(subject, json(order('o:keep')));
    await s.bus.publish(s.subjects.fill('binance', 'BTC/USDT'), json(fill('o:gone', 0, 0.25)));
    await s.bus.publish(s.subjects.expired('binance', 'BTC/USDT'), json(expiry('o:gone', 0.75)));
    const g = await gateway();
    const warned: Record<string, unknown>[] = [];
    await learnStoredOrders({ bus: s.bus, hub: g.hub, stream: s.stream, subjects: s.subjects, log: recordingLogger(warned) });
    expect(warned).toEqual([]);
    // Event time at start is the expiry's (T0 + 1 min): both orders work until T0 + 1 h but for the expiry.
    expect(await snapshotIds(g)).toEqual(['o:keep']);
    // Still an order the feed knows: a late fill of it (up to what it had left) is relayed, not refused.
    g.bus.emit(s.subjects.fill('binance', 'BTC/USDT'), json(fill('o:gone', 1, 0.5)));
    await until(() => g.hub.stats().seq.orders + g.hub.stats().refusedFills === 2);
    expect(g.hub.stats().refusedFills).toBe(0);
  });
});
