import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { connectFeed, json, startTestGateway, until, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';

type Update = Extract<ServerMessage, { type: 'snapshot' | 'delta' }>;
const updates = (ms: readonly ServerMessage[], topic?: string): Update[] =>
  ms.filter((m): m is Update => (m.type === 'snapshot' || m.type === 'delta') && (topic === undefined || m.topic === topic));

describe('websocket feed topics from the bus (real NATS)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('routes each subject family to its topic and key, and filters by symbol', async () => {
    const s = gw.subjects;
    const sent: [string, unknown][] = [
      [s.trade('binance', 'BTC/USDT'), { type: 'md.trade', symbol: 'BTC/USDT', price: 100 }],
      [s.bar('binance', 'ETH/USDT', '1h'), { type: 'md.bar', symbol: 'ETH/USDT', close: 10 }],
      [s.quote('binance', 'ETH/USDT'), { type: 'md.quote', symbol: 'ETH/USDT', bid: 9 }],
      [s.features('binance', 'BTC/USDT'), { type: 'features', symbol: 'BTC/USDT' }],
      [s.prediction('dirmlp', 'binance', 'BTC/USDT'), { type: 'prediction', symbol: 'BTC/USDT' }],
      [s.order('dirmlp', 'binance', 'BTC/USDT'), { type: 'exec.order', symbol: 'BTC/USDT' }],
      [s.reject('dirmlp', 'binance', 'ETH/USDT'), { type: 'exec.reject', symbol: 'ETH/USDT' }],
      [s.fill('binance', 'BTC/USDT'), { type: 'exec.fill', symbol: 'BTC/USDT' }],
      [s.suggestion('dirmlp', 'binance', 'BTC/USDT'), { type: 'exec.suggest' }],
      [s.riskState(), { type: 'risk.state', state: 'HALTED' }],
      [s.model('direction-mlp', 'promoted'), { type: 'model.event', version: 3 }],
      [s.dlq('asset'), { type: 'dlq.entry' }],
    ];
    for (const [subject, data] of sent) gw.bus.emit(subject, json(data));
    gw.bus.emit(s.trade('binance', 'SOL/USDT'), new TextEncoder().encode('{not json'));
    await gw.bus.flush();
    await until(() => gw.hub.stats().seq.models === 1);
    expect(gw.hub.stats()).toMatchObject({ seq: { md: 3, features: 1, predictions: 1, orders: 3, risk: 1, models: 1, pnl: 0, actors: 0, feeds: 0 }, invalid: 1 });

    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    for (const topic of ['md', 'features', 'predictions', 'orders', 'risk', 'models']) c.send({ op: 'subscribe', topic });
    await c.waitFor((m) => m.type === 'subscribed' && m.topic === 'models');
    const snap = (topic: string): [string, number, unknown][] => updates(c.messages, topic).map((u) => [u.key, u.seq, (u.data as { type: string }).type]);
    expect(snap('md')).toEqual([
      ['BTC/USDT', 1, 'md.trade'],
      ['ETH/USDT', 2, 'md.bar'],
      ['ETH/USDT', 3, 'md.quote'],
    ]);
    expect(snap('features')).toEqual([['BTC/USDT', 1, 'features']]);
    expect(snap('predictions')).toEqual([['BTC/USDT', 1, 'prediction']]);
    expect(snap('orders')).toEqual([
      ['BTC/USDT', 1, 'exec.order'],
      ['ETH/USDT', 2, 'exec.reject'],
      ['BTC/USDT', 3, 'exec.fill'],
    ]);
    expect(snap('risk')).toEqual([['account', 1, 'risk.state']]);
    expect(snap('models')).toEqual([['direction-mlp', 1, 'model.event']]);
    expect(updates(c.messages).every((u) => u.type === 'snapshot')).toBe(true);

    // A symbol-filtered subscription: only ETH, in token or unified form.
    const f = await connectFeed(gw.wsUrl, { token: VIEWER });
    f.send({ op: 'subscribe', topic: 'md', symbols: ['ETH-USDT'] });
    const sub = await f.waitFor((m) => m.type === 'subscribed');
    expect(sub).toEqual({ type: 'subscribed', topic: 'md', symbols: ['ETH-USDT'], snapshot: 2 });
    gw.bus.emit(s.trade('binance', 'BTC/USDT'), json({ symbol: 'BTC/USDT', price: 101 }));
    gw.bus.emit(s.trade('binance', 'ETH/USDT'), json({ symbol: 'ETH/USDT', price: 11 }));
    await f.waitFor((m) => m.type === 'delta' && m.key === 'ETH/USDT');
    await c.waitFor((m) => m.type === 'delta' && m.key === 'ETH/USDT');
    expect(updates(f.messages).map((u) => [u.type, u.key, u.seq])).toEqual([
      ['snapshot', 'ETH/USDT', 2],
      ['snapshot', 'ETH/USDT', 3],
      ['delta', 'ETH/USDT', 5],
    ]);
    expect(updates(c.messages, 'md').filter((u) => u.type === 'delta').map((u) => [u.key, u.seq])).toEqual([
      ['BTC/USDT', 4],
      ['ETH/USDT', 5],
    ]);

    // Unsubscribing stops the deltas.
    f.send({ op: 'unsubscribe', topic: 'md' });
    await f.waitFor((m) => m.type === 'unsubscribed');
    gw.bus.emit(s.trade('binance', 'ETH/USDT'), json({ symbol: 'ETH/USDT', price: 12 }));
    await c.waitFor((m) => m.type === 'delta' && m.seq === 6);
    expect(updates(f.messages).length).toBe(3);
    c.ws.close();
    f.ws.close();
  });

  it("carries the engine's view of the gateway's market-data feeds on `feeds` (publishLocal, not from the bus), a snapshot per venue, symbol and stream", async () => {
    const feedOf = (symbol: string, stream: string, state: string) => ({ venue: 'binance', symbol, stream, state, lastState: state, restarts: 0, publisher: 'gw', ts: 1, ageMs: 0 });
    gw.hub.publishLocal('feeds', 'binance:BTC/USDT:trade', feedOf('BTC/USDT', 'trade', 'live'));
    gw.hub.publishLocal('feeds', 'binance:BTC/USDT:bar 1m', feedOf('BTC/USDT', 'bar 1m', 'retrying'));
    gw.hub.publishLocal('feeds', 'binance:BTC/USDT:trade', feedOf('BTC/USDT', 'trade', 'unknown'));
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'feeds' });
    expect(await c.waitFor((m) => m.type === 'subscribed')).toEqual({ type: 'subscribed', topic: 'feeds', symbols: null, snapshot: 2 });
    await until(() => updates(c.messages, 'feeds').length === 2);
    expect(updates(c.messages, 'feeds').map((u) => [u.type, u.key, u.seq, (u.data as { state: string }).state])).toEqual([
      ['snapshot', 'binance:BTC/USDT:bar 1m', 2, 'retrying'],
      ['snapshot', 'binance:BTC/USDT:trade', 3, 'unknown'],
    ]);
    c.ws.close();
    await c.closed;
  });

  it('caps the symbols one session follows by name on a topic, and says so', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    const names = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `S${from + i}/USDT`);
    const subscribed = (n: number): Promise<ServerMessage> => c.waitFor((m) => m.type === 'subscribed' && m.topic === 'md' && m.symbols?.length === n);
    // Fifty a message (the test gateway takes 1 KB messages): 250 symbols followed.
    for (let k = 0; k < 5; k++) {
      c.send({ op: 'subscribe', topic: 'md', symbols: names(50 * k, 50) });
      await subscribed(50 * (k + 1));
    }
    c.send({ op: 'subscribe', topic: 'md', symbols: names(250, 10) }); // 260 in all: refused, nothing added
    const refused = await c.waitFor((m) => m.type === 'error');
    expect(refused).toMatchObject({ code: 'bad_request', reason: expect.stringMatching(/at most 256 symbols per topic/) });
    c.send({ op: 'subscribe', topic: 'md', symbols: names(250, 6) }); // 256: taken
    await subscribed(256);
    c.ws.close();
  });

  it('lets a reconnecting client resync from a snapshot without a gap or a duplicate', async () => {
    const s = gw.subjects;
    const base = gw.hub.stats().seq.md; // messages of this topic so far (the test above)
    const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
    let n = 0;
    // The publisher never pauses: the client disconnects and reconnects while updates flow.
    const publisher = setInterval(() => {
      for (let i = 0; i < 5; i++, n++) gw.bus.emit(s.trade('binance', symbols[n % 3] as string), json({ symbol: symbols[n % 3], n }));
    }, 2);
    const a = await connectFeed(gw.wsUrl, { token: VIEWER });
    a.send({ op: 'subscribe', topic: 'md' });
    await until(() => updates(a.messages).filter((u) => u.type === 'delta').length >= 100);
    a.ws.close();
    await a.closed;
    await until(() => n >= 600 + 500); // a few hundred updates are missed while away
    const b = await connectFeed(gw.wsUrl, { token: VIEWER });
    b.send({ op: 'subscribe', topic: 'md' });
    await until(() => updates(b.messages).filter((u) => u.type === 'delta').length >= 300);
    clearInterval(publisher);
    await gw.bus.flush();
    const last = base + n;
    await until(() => gw.hub.stats().seq.md === last);
    await until(() => (updates(b.messages).at(-1)?.seq ?? 0) === last);

    // Every update carries the seq the hub gave the message: n = seq - base - 1.
    const nOf = (u: Update): number => (u.data as { n: number }).n;
    const mine = (u: Update): boolean => u.seq > base;
    for (const u of [...updates(a.messages), ...updates(b.messages)].filter(mine)) expect(nOf(u)).toBe(u.seq - base - 1);

    for (const client of [a, b]) {
      const us = updates(client.messages);
      const snaps = us.filter((u) => u.type === 'snapshot');
      const deltas = us.filter((u) => u.type === 'delta');
      expect(snaps.length).toBeGreaterThanOrEqual(3); // one per symbol traded so far
      const snapSeq = Math.max(...snaps.map((u) => u.seq));
      // Snapshots come first, then deltas continue exactly after the newest snapshot.
      expect(us.findIndex((u) => u.type === 'delta')).toBe(snaps.length);
      expect(deltas[0]?.seq).toBe(snapSeq + 1);
      deltas.forEach((d, i) => expect(d.seq).toBe(snapSeq + 1 + i));
      // Each snapshot is the newest message of its key at the snapshot's point.
      for (const sn of snaps.filter(mine)) {
        const later = sn.seq - base - 1 + 3; // the same symbol comes back every third message
        expect(later).toBeGreaterThan(snapSeq - base - 1);
      }
    }
    // Resynced state per key equals the newest published message of that key.
    const state = new Map<string, number>();
    for (const u of updates(b.messages)) state.set(u.key, nOf(u));
    for (let k = 0; k < 3; k++) {
      const newest = n - 1 - ((n - 1 - k) % 3);
      expect(state.get(symbols[newest % 3] as string)).toBe(newest);
    }
    b.ws.close();
  });
});

describe('websocket feed: one symbol on two venues (real NATS)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('snapshots the newest message of each venue, not only of the venue that spoke last', async () => {
    const s = gw.subjects;
    gw.bus.emit(s.trade('binance', 'BTC/USDT'), json({ type: 'md.trade', venue: 'binance', symbol: 'BTC/USDT', price: 100 }));
    gw.bus.emit(s.trade('kraken', 'BTC/USDT'), json({ type: 'md.trade', venue: 'kraken', symbol: 'BTC/USDT', price: 101 }));
    gw.bus.emit(s.fill('binance', 'BTC/USDT'), json({ type: 'exec.fill', venue: 'binance', symbol: 'BTC/USDT' }));
    gw.bus.emit(s.fill('kraken', 'BTC/USDT'), json({ type: 'exec.fill', venue: 'kraken', symbol: 'BTC/USDT' }));
    await gw.bus.flush();
    await until(() => gw.hub.stats().seq.orders === 2 && gw.hub.stats().seq.md === 2);

    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USDT'] });
    c.send({ op: 'subscribe', topic: 'orders' });
    await c.waitFor((m) => m.type === 'subscribed' && m.topic === 'orders');
    const venues = (topic: string): [string, number, string][] =>
      updates(c.messages, topic).map((u) => [u.key, u.seq, (u.data as { venue: string }).venue]);
    expect(venues('md')).toEqual([
      ['BTC/USDT', 1, 'binance'],
      ['BTC/USDT', 2, 'kraken'],
    ]);
    expect(venues('orders')).toEqual([
      ['BTC/USDT', 1, 'binance'],
      ['BTC/USDT', 2, 'kraken'],
    ]);
    c.ws.close();
    await c.closed;
  });
});
