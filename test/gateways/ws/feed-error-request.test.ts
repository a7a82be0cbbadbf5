import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeServerMessage } from '../../../gateways/dashboard/src/feed-protocol.js';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { connectFeed, startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';

const errors = (ms: readonly ServerMessage[]): ServerMessage[] => ms.filter((m) => m.type === 'error');

describe('websocket feed: an error frame names the request it refuses (real NATS)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('names op, topic and symbols (as sent) of each refused request, so a client with several in flight knows which failed', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md', symbols: ['BTC/USDT'] });
    c.send({ op: 'subscribe', topic: 'orders', symbols: ['btc/usdt'] }); // can never match
    c.send({ op: 'subscribe', topic: 'predictions', symbols: ['ETH/USDT'] });
    c.send({ op: 'unsubscribe', topic: 'risk' }); // not subscribed, no symbols: answered `unsubscribed`
    c.send({ op: 'unsubscribe', topic: 'features', symbols: ['BTC-USDT'] }); // not subscribed
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.type === 'pong');
    expect(errors(c.messages)).toEqual([
      { type: 'error', code: 'bad_request', reason: expect.stringMatching(/^"btc\/usdt" can never match/), op: 'subscribe', topic: 'orders', symbols: ['btc/usdt'] },
      { type: 'error', code: 'bad_request', reason: 'not subscribed to features: nothing unsubscribed', op: 'unsubscribe', topic: 'features', symbols: ['BTC-USDT'] },
    ]);
    expect(c.messages.filter((m) => m.type === 'subscribed').map((m) => (m.type === 'subscribed' ? m.topic : ''))).toEqual(['md', 'predictions']);
    c.ws.close();
    await c.closed;
  });

  it('leaves symbols out of the error when the request had none, and op/topic out when the frame was not a valid request', async () => {
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    c.send({ op: 'subscribe', topic: 'md' });
    await c.waitFor((m) => m.type === 'subscribed');
    c.send({ op: 'unsubscribe', topic: 'md', symbols: ['BTC/USDT'] }); // follows every symbol of md
    c.send({ op: 'subscribe', topic: 'weather' });
    c.send('not json');
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.type === 'pong');
    const [whole, badTopic, notJson] = errors(c.messages);
    expect(whole).toEqual({ type: 'error', code: 'bad_request', reason: 'subscribed to every symbol of md: unsubscribe without symbols', op: 'unsubscribe', topic: 'md', symbols: ['BTC/USDT'] });
    expect(badTopic).toEqual({ type: 'error', code: 'bad_request', reason: expect.stringMatching(/^topic: /) });
    expect(notJson).toEqual({ type: 'error', code: 'bad_request', reason: 'not valid JSON' });
    c.ws.close();
    await c.closed;
  });

  it('refuses symbols on a topic that is not by symbol (risk, pnl, actors, models, feeds) rather than answering with them and sending everything', async () => {
    gw.hub.publishLocal('pnl', 'account', { realised: 1 });
    const c = await connectFeed(gw.wsUrl, { token: VIEWER });
    for (const topic of ['risk', 'pnl', 'actors', 'models', 'feeds'] as const) c.send({ op: 'subscribe', topic, symbols: ['BTC/USDT'] });
    c.send({ op: 'subscribe', topic: 'pnl' });
    await c.waitFor((m) => m.type === 'subscribed' && m.topic === 'pnl');
    c.send({ op: 'unsubscribe', topic: 'pnl', symbols: ['BTC/USDT'] });
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.type === 'pong');
    const refused = errors(c.messages);
    expect(refused.map((m) => (m.type === 'error' ? [m.op, m.topic, m.symbols] : []))).toEqual([
      ['subscribe', 'risk', ['BTC/USDT']],
      ['subscribe', 'pnl', ['BTC/USDT']],
      ['subscribe', 'actors', ['BTC/USDT']],
      ['subscribe', 'models', ['BTC/USDT']],
      ['subscribe', 'feeds', ['BTC/USDT']],
      ['unsubscribe', 'pnl', ['BTC/USDT']],
    ]);
    expect(refused[0]).toMatchObject({ reason: 'risk is not by symbol: leave symbols out (symbols apply to md, features, predictions, orders)' });
    // Only the subscribe without symbols was answered, with every message of the topic.
    expect(c.messages.filter((m) => m.type === 'subscribed')).toEqual([{ type: 'subscribed', topic: 'pnl', symbols: null, snapshot: 1 }]);
    expect(c.messages.filter((m) => m.type === 'unsubscribed')).toEqual([]);
    c.ws.close();
    await c.closed;
  });

  it('is still accepted by the dashboard feed client, which reads code, reason, op and topic (a refused subscribe is said where its data would be)', () => {
    const frame = JSON.stringify({ type: 'error', code: 'bad_request', reason: 'not subscribed to features: nothing unsubscribed', op: 'unsubscribe', topic: 'features', symbols: ['BTC-USDT'] });
    expect(decodeServerMessage(frame)).toEqual({ ok: true, message: { type: 'error', code: 'bad_request', reason: 'not subscribed to features: nothing unsubscribed', op: 'unsubscribe', topic: 'features' } });
  });
});
