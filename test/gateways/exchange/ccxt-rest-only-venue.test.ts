import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCcxtExchange } from '../../../gateways/market-data/ccxt-exchange.js';
import { createCcxtMarketData } from '../../../gateways/market-data/ccxt-market-data.js';
import { openStack, readStream, start, until } from './harness.js';
import type { Stack } from './harness.js';

/**
 * A venue ccxt has no websocket (pro) class for: bitFlyer, whose public REST API this local
 * server speaks (`/v1/getmarkets[/usa|/eu]`, `/v1/getticker`, `/v1/getexecutions`). README: ccxt
 * "polls REST otherwise".
 */
const T0 = 1_773_000_000_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '');

let stack: Stack;
let http: Server;
let restUrl: string;
const requests: string[] = [];

beforeEach(async () => {
  stack = await openStack();
  requests.length = 0;
  http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    requests.push(url.pathname);
    const json = (body: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/v1/getmarkets') return json([{ product_code: 'BTC_JPY', market_type: 'Spot' }]);
    if (url.pathname.startsWith('/v1/getmarkets/')) return json([]);
    if (url.pathname === '/v1/getticker') {
      return json({ product_code: 'BTC_JPY', state: 'RUNNING', timestamp: iso(T0), tick_id: 1, best_bid: 10_000_000, best_ask: 10_000_100, best_bid_size: 0.5, best_ask_size: 0.25, ltp: 10_000_050, volume: 1000, volume_by_product: 900 });
    }
    if (url.pathname === '/v1/getexecutions') {
      return json([2, 1].map((id) => ({ id, side: 'BUY', price: 10_000_000 + id, size: 0.01, exec_date: iso(T0 - 1000 + id), buy_child_order_acceptance_id: 'a', sell_child_order_acceptance_id: 'b' })));
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: -1, error_message: `no route ${url.pathname}` }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  restUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterEach(async () => {
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await stack.teardown();
});

describe('ccxt gateway on a venue ccxt has no websocket for', () => {
  it('builds its REST exchange and polls it in auto mode: quotes and trades published', async () => {
    const exchange = await createCcxtExchange({ exchangeId: 'bitflyer', restUrl, rateLimitMs: 10 });
    const source = createCcxtMarketData({
      exchange,
      assets: [{ venue: 'bitflyer', symbol: 'BTC/JPY' }],
      timeframes: [],
      trades: true,
      quotes: true,
      mode: 'auto',
      pollMs: 20,
      backfillBars: 5,
      pageLimit: 10,
      backoff: { minMs: 100, maxMs: 1_000 },
      now: () => T0,
      sleep: stack.sleep,
    });
    const gw = start(source, stack.sink());
    const quoteSubject = stack.subjects.quote('bitflyer', 'BTC/JPY');
    const tradeSubject = stack.subjects.trade('bitflyer', 'BTC/JPY');
    await until(async () => (await stack.bus.countMessages(stack.md, quoteSubject)) >= 1 && (await stack.bus.countMessages(stack.md, tradeSubject)) >= 2, 10_000, 'polled quote and trades');
    await gw.stop();
    const quotes = (await readStream(stack.bus, stack.md, quoteSubject)).map((m) => m.msg);
    expect(quotes).toEqual([expect.objectContaining({ id: `q:bitflyer:BTC/JPY:${T0}:0`, bid: 10_000_000, ask: 10_000_100, ts: T0 })]);
    expect((await readStream(stack.bus, stack.md, tradeSubject)).map((m) => m.msg['id'])).toEqual(['t:bitflyer:BTC/JPY:1', 't:bitflyer:BTC/JPY:2']);
    expect(stack.statuses.filter((s) => s.type === 'connected')).toEqual([
      expect.objectContaining({ mode: 'poll' }),
      expect.objectContaining({ mode: 'poll' }),
    ]);
    expect(requests).toContain('/v1/getticker');
  });

  it('names an id that is no ccxt exchange, and only exchanges', async () => {
    await expect(createCcxtExchange({ exchangeId: 'nosuchvenue' })).rejects.toThrow('ccxt has no exchange "nosuchvenue"');
    await expect(createCcxtExchange({ exchangeId: 'exchanges' })).rejects.toThrow('ccxt has no exchange "exchanges"');
  });
});
