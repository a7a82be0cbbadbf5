import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { connectFeed, json, startTestGateway, until, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';

type Update = Extract<ServerMessage, { type: 'snapshot' | 'delta' }>;
const updates = (ms: readonly ServerMessage[], topic: string): Update[] => ms.filter((m): m is Update => (m.type === 'snapshot' || m.type === 'delta') && m.topic === topic);
/** What a client keeping one state per asset sees of each update: type, venue, key, the price. */
const seen = (ms: readonly ServerMessage[], topic: string): [string, string | undefined, string, unknown][] =>
  updates(ms, topic).map((u) => [u.type, u.venue, u.key, (u.data as { price?: number }).price]);

/**
 * One symbol on two venues: the feed's `key` is the symbol, so a client keying its state by it
 * mixed binance's and kraken's BTC/USDT; and `symbols` followed a symbol on every venue, with no
 * way to follow one venue's.
 */
describe('websocket feed: one symbol on two venues (real NATS)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    const s = gw.subjects;
    gw.bus.emit(s.trade('binance', 'BTC/USDT'), json({ type: 'md.trade', venue: 'binance', symbol: 'BTC/USDT', price: 100 }));
    gw.bus.emit(s.trade('kraken', 'BTC/USDT'), json({ type: 'md.trade', venue: 'kraken', symbol: 'BTC/USDT', price: 101 }));
    gw.bus.emit(s.trade('kraken', 'BTC/USDT:USDT'), json({ type: 'md.trade', venue: 'kraken', symbol: 'BTC/USDT:USDT', price: 102 }));
    gw.bus.emit(s.riskState(), json({ type: 'risk.state', state: 'ACTIVE' }));
    await gw.bus.flush();
    await until(() => gw.hub.stats().seq.md === 3 && gw.hub.stats().seq.risk === 1);
  });
  afterAll(async () => {
    await gw.close();
  });

  it('names the venue of each symbol topic frame beside its key (the symbol, as before), none on the others', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md' });
    c.send({ op: 'subscribe', topic: 'risk' });
    await c.waitFor((m) => m.type === 'subscribed' && m.topic === 'risk');
    await c.waitFor((m) => m.type === 'snapshot' && m.topic === 'risk');
    expect(seen(c.messages, 'md')).toEqual([
      ['snapshot', 'binance', 'BTC/USDT', 100],
      ['snapshot', 'kraken', 'BTC/USDT', 101],
      ['snapshot', 'kraken', 'BTC/USDT:USDT', 102],
    ]);
    gw.bus.emit(gw.subjects.trade('kraken', 'BTC/USDT'), json({ type: 'md.trade', venue: 'kraken', symbol: 'BTC/USDT', price: 105 }));
    await c.waitFor((m) => m.type === 'delta' && m.topic === 'md');
    expect(seen(c.messages, 'md').at(-1)).toEqual(['delta', 'kraken', 'BTC/USDT', 105]);
    // Risk is of the account: no venue.
    const risk = updates(c.messages, 'risk');
    expect(risk).toHaveLength(1);
    expect(risk[0] !== undefined && 'venue' in risk[0]).toBe(false);
    c.ws.close();
    await c.closed;
  });

  it('follows a symbol on one venue with a `venue:symbol` entry (unified or token form), beside symbols on every venue', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['kraken:BTC/USDT'] });
    const sub = await c.waitFor((m) => m.type === 'subscribed');
    expect(sub).toEqual({ type: 'subscribed', topic: 'md', symbols: ['kraken:BTC/USDT'], snapshot: 1 });
    gw.bus.emit(gw.subjects.trade('binance', 'BTC/USDT'), json({ type: 'md.trade', venue: 'binance', symbol: 'BTC/USDT', price: 110 }));
    gw.bus.emit(gw.subjects.trade('kraken', 'BTC/USDT'), json({ type: 'md.trade', venue: 'kraken', symbol: 'BTC/USDT', price: 111 }));
    await c.waitFor((m) => m.type === 'delta' && (m.data as { price?: number }).price === 111);
    expect(seen(c.messages, 'md')).toEqual([
      ['snapshot', 'kraken', 'BTC/USDT', expect.any(Number)],
      ['delta', 'kraken', 'BTC/USDT', 111],
    ]);

    // `BTC/USDT:USDT` is a symbol (its settle currency after ':'), not venue `BTC/USDT`; `kraken:BTC-USDT_USDT` its token on kraken.
    c.send({ op: 'subscribe', topic: 'md', symbols: ['binance:BTC-USDT', 'kraken:BTC-USDT_USDT'] });
    const more = await c.waitFor((m) => m.type === 'subscribed' && m.symbols?.length === 3);
    expect(more).toEqual({ type: 'subscribed', topic: 'md', symbols: ['kraken:BTC/USDT', 'binance:BTC-USDT', 'kraken:BTC-USDT_USDT'], snapshot: 2 });
    c.send({ op: 'subscribe', topic: 'features', symbols: ['BTC/USDT:USDT'] });
    expect(await c.waitFor((m) => m.type === 'subscribed' && m.topic === 'features')).toEqual({ type: 'subscribed', topic: 'features', symbols: ['BTC/USDT:USDT'], snapshot: 0 });

    // Leaving kraken's BTC/USDT keeps binance's.
    c.send({ op: 'unsubscribe', topic: 'md', symbols: ['kraken:BTC/USDT'] });
    await c.waitFor((m) => m.type === 'unsubscribed');
    gw.bus.emit(gw.subjects.trade('kraken', 'BTC/USDT'), json({ type: 'md.trade', venue: 'kraken', symbol: 'BTC/USDT', price: 120 }));
    gw.bus.emit(gw.subjects.trade('binance', 'BTC/USDT'), json({ type: 'md.trade', venue: 'binance', symbol: 'BTC/USDT', price: 121 }));
    await c.waitFor((m) => m.type === 'delta' && (m.data as { price?: number }).price === 121);
    expect(updates(c.messages, 'md').filter((u) => u.type === 'delta').map((u) => [u.venue, (u.data as { price?: number }).price])).toEqual([
      ['kraken', 111],
      ['binance', 121],
    ]);
    c.ws.close();
    await c.closed;
  });

  it('refuses a venue entry that can never match, naming the entry', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    for (const symbols of [['bin ance:BTC/USDT'], [':BTC/USDT'], ['kraken:btc/usdt'], ['kraken:'], ['kraken_x:BTC/USDT']]) c.send({ op: 'subscribe', topic: 'md', symbols });
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.type === 'pong');
    const reasons = c.messages.flatMap((m) => (m.type === 'error' ? [m.reason] : []));
    expect(reasons).toEqual([
      expect.stringMatching(/^"bin ance:BTC\/USDT" can never match: a venue is a subject token .* got "bin ance"$/),
      expect.stringMatching(/^":BTC\/USDT" can never match: a venue is a subject token/),
      expect.stringMatching(/^"kraken:btc\/usdt": "btc\/usdt" can never match: symbols are upper case .*did you mean "BTC\/USDT"/),
      expect.stringMatching(/^"kraken:" is not a symbol on a venue/),
      expect.stringMatching(/^"kraken_x:BTC\/USDT" can never match: a venue is a subject token/),
    ]);
    expect(c.messages.some((m) => m.type === 'subscribed')).toBe(false);
    c.ws.close();
    await c.closed;
  });
});

/**
 * A `venue:symbol` entry on a venue no configured asset is on (`krakn:BTC/USDT`, a typo) was
 * subscribed to and matched nothing, with no error: the hub did not know the venues.
 */
describe('websocket feed: a venue entry on a venue not configured (real NATS)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ venues: ['kraken', 'binance', 'kraken'] });
    gw.bus.emit(gw.subjects.trade('kraken', 'BTC/USDT'), json({ type: 'md.trade', venue: 'kraken', symbol: 'BTC/USDT', price: 101 }));
    await gw.bus.flush();
    await until(() => gw.hub.stats().seq.md === 1);
  });
  afterAll(async () => {
    await gw.close();
  });

  it('refuses it with bad_request naming the entry and the configured venues, subscribing nothing; the configured venues are followed', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['krakn:BTC/USDT'] });
    c.send({ op: 'subscribe', topic: 'orders', symbols: ['kraken:BTC/USDT', 'Binance:BTC/USDT'] });
    c.send({ op: 'unsubscribe', topic: 'md', symbols: ['krakn:BTC/USDT'] });
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.type === 'pong');
    const errors = c.messages.filter((m) => m.type === 'error');
    expect(errors).toEqual([
      { type: 'error', code: 'bad_request', reason: '"krakn:BTC/USDT" can never match: no configured asset is on venue "krakn" (the venues: "binance", "kraken")', op: 'subscribe', topic: 'md', symbols: ['krakn:BTC/USDT'] },
      { type: 'error', code: 'bad_request', reason: '"Binance:BTC/USDT" can never match: no configured asset is on venue "Binance" (the venues: "binance", "kraken")', op: 'subscribe', topic: 'orders', symbols: ['kraken:BTC/USDT', 'Binance:BTC/USDT'] },
      { type: 'error', code: 'bad_request', reason: '"krakn:BTC/USDT" can never match: no configured asset is on venue "krakn" (the venues: "binance", "kraken")', op: 'unsubscribe', topic: 'md', symbols: ['krakn:BTC/USDT'] },
    ]);
    expect(c.messages.some((m) => m.type === 'subscribed')).toBe(false);

    c.send({ op: 'subscribe', topic: 'md', symbols: ['kraken:BTC/USDT', 'binance:BTC-USDT', 'ETH/USDT'] });
    expect(await c.waitFor((m) => m.type === 'subscribed')).toEqual({ type: 'subscribed', topic: 'md', symbols: ['kraken:BTC/USDT', 'binance:BTC-USDT', 'ETH/USDT'], snapshot: 1 });
    c.ws.close();
    await c.closed;
  });
});

/**
 * A well-formed symbol no configured asset has (`ETH/USDT` where only BTC/USDT is traded, a typo
 * `BTC/USTD`) was subscribed to and matched nothing, with no error: only malformed symbols and
 * unknown venues were refused.
 */
describe('websocket feed: a symbol no configured asset has (real NATS)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      assets: [
        { venue: 'kraken', symbol: 'BTC/USDT' },
        { venue: 'binance', symbol: 'BTC/USDT' },
        { venue: 'binance', symbol: 'SOL/USDT' },
      ],
    });
    gw.bus.emit(gw.subjects.trade('kraken', 'BTC/USDT'), json({ type: 'md.trade', venue: 'kraken', symbol: 'BTC/USDT', price: 101 }));
    await gw.bus.flush();
    await until(() => gw.hub.stats().seq.md === 1);
  });
  afterAll(async () => {
    await gw.close();
  });

  it('refuses it with bad_request naming it and the closest configured symbols, on subscribe and unsubscribe, subscribing nothing', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USTD'] });
    c.send({ op: 'subscribe', topic: 'orders', symbols: ['BTC/USDT', 'ETH/USDT'] });
    c.send({ op: 'subscribe', topic: 'predictions', symbols: ['kraken:SOL/USDT'] });
    c.send({ op: 'subscribe', topic: 'features', symbols: ['kraken:BTC-USTD'] });
    c.send({ op: 'unsubscribe', topic: 'md', symbols: ['BTC-USTD'] });
    // An unknown venue is still the venue check's to say.
    c.send({ op: 'subscribe', topic: 'md', symbols: ['krakn:BTC/USDT'] });
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.type === 'pong');
    const symbols = '(the configured symbols: "BTC/USDT", "SOL/USDT")';
    expect(c.messages.filter((m) => m.type === 'error')).toEqual([
      { type: 'error', code: 'bad_request', reason: `"BTC/USTD" can never match: no configured asset is "BTC/USTD"; did you mean "BTC/USDT"? ${symbols}`, op: 'subscribe', topic: 'md', symbols: ['BTC/USTD'] },
      { type: 'error', code: 'bad_request', reason: `"ETH/USDT" can never match: no configured asset is "ETH/USDT" ${symbols}`, op: 'subscribe', topic: 'orders', symbols: ['BTC/USDT', 'ETH/USDT'] },
      { type: 'error', code: 'bad_request', reason: '"kraken:SOL/USDT" can never match: no configured asset is "SOL/USDT" on venue "kraken"; did you mean "binance:SOL/USDT"? (its symbols: "BTC/USDT")', op: 'subscribe', topic: 'predictions', symbols: ['kraken:SOL/USDT'] },
      { type: 'error', code: 'bad_request', reason: '"kraken:BTC-USTD" can never match: no configured asset is "BTC-USTD" on venue "kraken"; did you mean "kraken:BTC/USDT"? (its symbols: "BTC/USDT")', op: 'subscribe', topic: 'features', symbols: ['kraken:BTC-USTD'] },
      { type: 'error', code: 'bad_request', reason: `"BTC-USTD" can never match: no configured asset is "BTC-USTD"; did you mean "BTC/USDT"? ${symbols}`, op: 'unsubscribe', topic: 'md', symbols: ['BTC-USTD'] },
      { type: 'error', code: 'bad_request', reason: '"krakn:BTC/USDT" can never match: no configured asset is on venue "krakn" (the venues: "binance", "kraken")', op: 'subscribe', topic: 'md', symbols: ['krakn:BTC/USDT'] },
    ]);
    expect(c.messages.some((m) => m.type === 'subscribed')).toBe(false);

    c.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USDT', 'binance:SOL-USDT', 'kraken:BTC-USDT'] });
    expect(await c.waitFor((m) => m.type === 'subscribed')).toEqual({ type: 'subscribed', topic: 'md', symbols: ['BTC/USDT', 'binance:SOL-USDT', 'kraken:BTC-USDT'], snapshot: 1 });
    c.ws.close();
    await c.closed;
  });
});
