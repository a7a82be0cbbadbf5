import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../gateways/ws/protocol.js';
import { connectFeed, json, startTestGateway, VIEWER } from './gateway-harness.js';
import type { Gateway } from './gateway-harness.js';

const H = 3_600_000;
const bar = (ts: number, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'md.bar',
  v: 1,
  id: `b:binance:BTC/USDT:1h:${ts}`,
  venue: 'binance',
  symbol: 'BTC/USDT',
  tf: '1h',
  ts,
  open: 62_700,
  high: 62_900,
  low: 62_600,
  close: 62_772,
  volume: 12.5,
  ...over,
});
const mdDeltas = (ms: readonly ServerMessage[]): Array<Record<string, unknown>> =>
  ms.filter((m) => m.type === 'delta' && m.topic === 'md').map((m) => (m as Extract<ServerMessage, { type: 'delta' }>).data as Record<string, unknown>);

/**
 * The demo injects bad market data to show the edge validation: a zero price, a non-finite high,
 * a bar naming an unknown symbol on BTC/USDT's subject. The engine dead-letters them; the feed
 * relayed them as published, so the dashboard could draw a candle at 0 or open a NOPE/USDT chart.
 */
describe('websocket feed: market data the engine refuses at the edge is not relayed', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ marketData: { maxPayloadBytes: 8192, isKnown: (venue, symbol) => venue === 'binance' && symbol === 'BTC/USDT' } });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('drops a zero price, a non-finite price, an unknown symbol and a payload that disagrees with its subject, and counts them (real NATS)', async () => {
    const subject = gw.subjects.bar('binance', 'BTC/USDT', '1h');
    const live = await connectFeed(gw.wsUrl, { token: VIEWER });
    live.send({ op: 'subscribe', topic: 'md' });
    await live.waitFor((m) => m.type === 'subscribed' && m.topic === 'md');
    gw.bus.emit(subject, json(bar(100 * H)));
    gw.bus.emit(subject, json(bar(101 * H, { close: 0 })));
    gw.bus.emit(subject, new TextEncoder().encode(JSON.stringify(bar(102 * H)).replace('"high":62900', '"high":1e999')));
    gw.bus.emit(subject, json(bar(103 * H, { symbol: 'NOPE/USDT', id: `b:binance:NOPE/USDT:1h:${103 * H}` })));
    gw.bus.emit(subject, json(bar(104 * H, { tf: '5m' })));
    gw.bus.emit(subject, json(bar(105 * H, { close: 63_000, high: 63_100 })));
    await live.waitFor((m) => m.type === 'delta' && m.topic === 'md' && (m.data as { ts: number }).ts === 105 * H);
    expect(mdDeltas(live.messages).map((d) => [d['ts'], d['symbol'], d['close']])).toEqual([
      [100 * H, 'BTC/USDT', 62_772],
      [105 * H, 'BTC/USDT', 63_000],
    ]);
    expect(gw.hub.stats().refusedMarketData).toBe(4);
    live.ws.close();
  });

  it('drops a fill the engine refuses (on another asset\'s subject, of an asset it does not trade, not a v1 fill) and relays a good one (real NATS)', async () => {
    const live = await connectFeed(gw.wsUrl, { token: VIEWER });
    live.send({ op: 'subscribe', topic: 'orders' });
    await live.waitFor((m) => m.type === 'subscribed' && m.topic === 'orders');
    const fill = { type: 'exec.fill', v: 1, id: 'x:o:1:0', ts: 100 * H, orderId: 'o:1', strategy: 'dirmlp', venue: 'binance', symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 62_700, fee: 0.1, liquidity: 'taker', slippageBps: 1, final: true };
    const btc = gw.subjects.fill('binance', 'BTC/USDT');
    gw.bus.emit(btc, json({ ...fill, id: 'x:eth-on-btc', symbol: 'ETH/USDT', price: 2_300 }));
    gw.bus.emit(gw.subjects.fill('binance', 'ETH/USDT'), json({ ...fill, id: 'x:eth', symbol: 'ETH/USDT', price: 2_300 }));
    gw.bus.emit(btc, json({ ...fill, id: 'x:no-price', price: 0 }));
    gw.bus.emit(btc, json(fill));
    await live.waitFor((m) => m.type === 'delta' && m.topic === 'orders');
    const deltas = live.messages.filter((m) => m.type === 'delta' && m.topic === 'orders').map((m) => ((m as Extract<ServerMessage, { type: 'delta' }>).data as { id: string }).id);
    expect(deltas).toEqual(['x:o:1:0']);
    expect(gw.hub.stats().refusedFills).toBe(3);
    live.ws.close();
  });
});
