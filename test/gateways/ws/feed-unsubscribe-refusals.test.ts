import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { connectFeed, json, startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';

const replies = (ms: readonly ServerMessage[]): ServerMessage[] => ms.filter((m) => m.type === 'subscribed' || m.type === 'unsubscribed' || m.type === 'error' || m.type === 'pong');

describe('websocket feed: unsubscribing what was never subscribed (real NATS)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('refuses a symbol the session does not follow with an error frame, unsubscribes nothing, and stays usable', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USDT'] });
    await c.waitFor((m) => m.type === 'subscribed');

    c.send({ op: 'unsubscribe', topic: 'md', symbols: ['ETH/USDT', 'BTC/USDT'] });
    const refused = await c.waitFor((m) => m.type === 'error');
    expect(refused).toEqual({ type: 'error', code: 'bad_request', reason: 'not subscribed to "ETH/USDT" on md: nothing unsubscribed', op: 'unsubscribe', topic: 'md', symbols: ['ETH/USDT', 'BTC/USDT'] }); // named as the client named it
    c.send({ op: 'unsubscribe', topic: 'features', symbols: ['BTC/USDT'] });
    await c.waitFor((m) => m.type === 'error' && m.reason === 'not subscribed to features: nothing unsubscribed');

    // BTC/USDT is still followed, and the connection still answers.
    gw.bus.emit(gw.subjects.trade('binance', 'BTC/USDT'), json({ type: 'md.trade', symbol: 'BTC/USDT' }));
    await c.waitFor((m) => m.type === 'delta' && m.key === 'BTC/USDT');
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.type === 'pong');
    c.send({ op: 'unsubscribe', topic: 'md', symbols: ['BTC/USDT'] });
    await c.waitFor((m) => m.type === 'unsubscribed');
    expect(replies(c.messages).map((m) => m.type)).toEqual(['subscribed', 'error', 'error', 'pong', 'unsubscribed']);
    expect(c.messages.at(-1)).toEqual({ type: 'unsubscribed', topic: 'md', symbols: null });
    c.ws.close();
    await c.closed;
  });

  it('refuses unsubscribe with an empty symbols array (it would leave nothing) as subscribe refuses it, and leaves the subscription as it was', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USDT'] });
    await c.waitFor((m) => m.type === 'subscribed');
    c.send({ op: 'unsubscribe', topic: 'md', symbols: [] });
    const refused = await c.waitFor((m) => m.type === 'error' || m.type === 'unsubscribed');
    expect(refused).toEqual({ type: 'error', code: 'bad_request', reason: 'symbols is empty: leave symbols out to unsubscribe from every symbol of md', op: 'unsubscribe', topic: 'md', symbols: [] });
    // The same on a topic it does not follow, and on one it follows whole.
    c.send({ op: 'unsubscribe', topic: 'features', symbols: [] });
    c.send({ op: 'subscribe', topic: 'orders' });
    c.send({ op: 'unsubscribe', topic: 'orders', symbols: [] });
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.type === 'pong');
    expect(replies(c.messages).filter((m) => m.type === 'error').map((m) => (m.type === 'error' ? m.reason : ''))).toEqual([
      'symbols is empty: leave symbols out to unsubscribe from every symbol of md',
      'symbols is empty: leave symbols out to unsubscribe from every symbol of features',
      'symbols is empty: leave symbols out to unsubscribe from every symbol of orders',
    ]);
    // BTC/USDT is still followed.
    gw.bus.emit(gw.subjects.trade('binance', 'BTC/USDT'), json({ type: 'md.trade', symbol: 'BTC/USDT' }));
    await c.waitFor((m) => m.type === 'delta' && m.key === 'BTC/USDT');
    expect(c.messages.some((m) => m.type === 'unsubscribed')).toBe(false);
    c.ws.close();
    await c.closed;
  });

  it('names symbols in its replies as the client named them, not by their subject token; one named again keeps its first name', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USDT'] });
    expect(await c.waitFor((m) => m.type === 'subscribed')).toEqual({ type: 'subscribed', topic: 'md', symbols: ['BTC/USDT'], snapshot: expect.any(Number) });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['BTC-USDT', 'ETH-USDT'] });
    await c.waitFor((m) => m.type === 'subscribed' && Array.isArray(m.symbols) && m.symbols.length === 2);
    c.send({ op: 'unsubscribe', topic: 'md', symbols: ['ETH/USDT'] });
    await c.waitFor((m) => m.type === 'unsubscribed');
    expect(replies(c.messages)).toEqual([
      { type: 'subscribed', topic: 'md', symbols: ['BTC/USDT'], snapshot: expect.any(Number) },
      { type: 'subscribed', topic: 'md', symbols: ['BTC/USDT', 'ETH-USDT'], snapshot: expect.any(Number) },
      { type: 'unsubscribed', topic: 'md', symbols: ['ETH/USDT'] },
    ]);
    c.ws.close();
    await c.closed;
  });

  it('refuses subscribe with an empty symbols array (it would follow nothing), pointing at leaving symbols out, and stays usable', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md', symbols: [] });
    const refused = await c.waitFor((m) => m.type === 'error');
    expect(refused).toEqual({ type: 'error', code: 'bad_request', reason: 'symbols is empty: leave symbols out to subscribe to every symbol of md', op: 'subscribe', topic: 'md', symbols: [] });

    // Also refused on top of a symbol subscription, which it leaves as it was.
    c.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USDT'] });
    await c.waitFor((m) => m.type === 'subscribed');
    c.send({ op: 'subscribe', topic: 'md', symbols: [] });
    await c.waitFor((m) => m.type === 'error' && replies(c.messages).filter((r) => r.type === 'error').length === 2);
    gw.bus.emit(gw.subjects.trade('binance', 'BTC/USDT'), json({ type: 'md.trade', symbol: 'BTC/USDT' }));
    await c.waitFor((m) => m.type === 'delta' && m.key === 'BTC/USDT');

    // Leaving symbols out subscribes to every symbol.
    c.send({ op: 'subscribe', topic: 'features' });
    await c.waitFor((m) => m.type === 'subscribed' && m.topic === 'features');
    expect(replies(c.messages)).toEqual([
      { type: 'error', code: 'bad_request', reason: 'symbols is empty: leave symbols out to subscribe to every symbol of md', op: 'subscribe', topic: 'md', symbols: [] },
      { type: 'subscribed', topic: 'md', symbols: ['BTC/USDT'], snapshot: expect.any(Number) }, // as the client named it, not its subject token
      { type: 'error', code: 'bad_request', reason: 'symbols is empty: leave symbols out to subscribe to every symbol of md', op: 'subscribe', topic: 'md', symbols: [] },
      { type: 'subscribed', topic: 'features', symbols: null, snapshot: expect.any(Number) },
    ]);
    c.ws.close();
    await c.closed;
  });

  it('refuses a symbol that is not upper case ccxt unified (btc/usdt, BTCUSDT): it would follow nothing, silently', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['btc/usdt'] });
    c.send({ op: 'subscribe', topic: 'orders', symbols: ['BTC/USDT', 'BTCUSDT'] });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['btc-usdt_usdt'] });
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.type === 'pong');
    expect(replies(c.messages).filter((m) => m.type !== 'pong')).toEqual([
      { type: 'error', code: 'bad_request', reason: '"btc/usdt" can never match: symbols are upper case ccxt unified symbols like "BTC/USDT" (or their subject token "BTC-USDT") (did you mean "BTC/USDT"?)', op: 'subscribe', topic: 'md', symbols: ['btc/usdt'] },
      { type: 'error', code: 'bad_request', reason: '"BTCUSDT" can never match: symbols are upper case ccxt unified symbols like "BTC/USDT" (or their subject token "BTC-USDT")', op: 'subscribe', topic: 'orders', symbols: ['BTC/USDT', 'BTCUSDT'] },
      { type: 'error', code: 'bad_request', reason: '"btc-usdt_usdt" can never match: symbols are upper case ccxt unified symbols like "BTC/USDT" (or their subject token "BTC-USDT") (did you mean "BTC-USDT_USDT"?)', op: 'subscribe', topic: 'md', symbols: ['btc-usdt_usdt'] },
    ]);
    c.ws.close();
    await c.closed;
  });
});
