import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Exchange } from 'ccxt';
import type { CcxtExchangeOptions } from '../../../gateways/market-data/ccxt-exchange.js';
import type { CcxtMarketDataOptions } from '../../../gateways/market-data/ccxt-market-data.js';
import { binanceExchange, binanceSource, closeBinanceWorld, openBinanceWorld } from '../../support/binance-world.js';
import { aggTradeEvent, klineEvent } from './binance-server.js';
import type { BinanceServer, Kline } from './binance-server.js';
import { readStream, start, until } from './harness.js';
import type { Stack } from './harness.js';

const OPEN = 10;

let srv: BinanceServer;
let stack: Stack;
let btc: Kline[];

beforeEach(async () => void ({ srv, stack, btc } = await openBinanceWorld({ open: OPEN, eth: true })));
afterEach(() => closeBinanceWorld({ srv, stack }));

type ExchangeOver = Readonly<{ exchange?: Partial<CcxtExchangeOptions>; prepare?: (ex: Exchange) => void }>;

async function gateway(over: Partial<CcxtMarketDataOptions> & { symbols?: string[] } = {}, ex: ExchangeOver = {}) {
  const exchange = await binanceExchange(srv, ex.exchange);
  ex.prepare?.(exchange);
  const source = binanceSource(exchange, stack, {
    assets: (over.symbols ?? ['BTC/USDT']).map((symbol) => ({ venue: 'binance', symbol })),
    watchParams: { trades: { name: 'aggTrade' }, ticker: { name: 'ticker' } },
    ...over,
  });
  return start(source, stack.sink());
}

const barSubject = () => stack.subjects.bar('binance', 'BTC/USDT', '1m');
const barsInStream = async () => (await readStream(stack.bus, stack.md, barSubject())).map((m) => m.msg);
const expectBars = (got: Record<string, unknown>[], from: number, to: number): void => {
  expect(got.map((b) => b['id'])).toEqual(btc.slice(from, to).map((b) => `b:binance:BTC/USDT:1m:${b.ts}`));
  for (const [i, b] of got.entries()) {
    const k = btc[from + i]!;
    expect([b['open'], b['high'], b['low'], b['close'], b['volume']]).toEqual([k.open, k.high, k.low, k.close, k.volume]);
  }
};

describe('ccxt market-data gateway (binance over a local server, real JetStream)', () => {
  it('backfills bars before the first live one, then publishes each bar once it closes, with replay ids', async () => {
    const gw = await gateway();
    await until(() => srv.subscribed('btcusdt@kline_1m'), 10_000, 'kline subscription');
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 5, 10_000, 'backfill');
    srv.advance('BTCUSDT', 3);
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 8, 10_000, 'live bars');
    await gw.stop();
    // 5 backfilled (open − 5 … open − 1) by REST in pages of 4, then 3 closed live; the open bar is not published.
    expectBars(await barsInStream(), OPEN - 5, OPEN + 3);
    expect(srv.requests.filter((r) => r.startsWith('/api/v3/klines'))).toHaveLength(2);
    expect(stack.statuses.some((s) => s.type === 'backfilled' && s.published === 5)).toBe(true);
  });

  it('publishes trades and quotes with their ids', async () => {
    const gw = await gateway({ trades: true, quotes: true, timeframes: [] });
    await until(() => srv.subscribed('btcusdt@aggTrade') && srv.subscribed('btcusdt@ticker'), 10_000, 'subscriptions');
    const t0 = btc[OPEN]!.ts;
    srv.trade('BTCUSDT', { id: 101, ts: t0 + 10, price: 70_000.5, qty: 0.25, buyerMaker: false });
    srv.trade('BTCUSDT', { id: 102, ts: t0 + 11, price: 70_001, qty: 0.5, buyerMaker: true });
    srv.ticker('BTCUSDT', t0 + 20, 70_000, 70_001);
    // ccxt keeps the latest ticker only (quotes arriving while one is being handled conflate): one at a time.
    await until(async () => (await stack.bus.countMessages(stack.md, stack.subjects.quote('binance', 'BTC/USDT'))) >= 1, 10_000, 'first quote');
    srv.ticker('BTCUSDT', t0 + 20, 70_000.5, 70_001); // same millisecond, another quote: seq 1
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 4, 10_000, 'trades and quotes');
    await gw.stop();
    const trades = (await readStream(stack.bus, stack.md, stack.subjects.trade('binance', 'BTC/USDT'))).map((m) => m.msg);
    expect(trades.map((t) => [t['id'], t['price'], t['qty'], t['side'], t['ts']])).toEqual([
      ['t:binance:BTC/USDT:101', 70_000.5, 0.25, 'buy', t0 + 10],
      ['t:binance:BTC/USDT:102', 70_001, 0.5, 'sell', t0 + 11],
    ]);
    const quotes = (await readStream(stack.bus, stack.md, stack.subjects.quote('binance', 'BTC/USDT'))).map((m) => m.msg);
    expect(quotes.map((q) => [q['id'], q['bid'], q['ask'], q['bidSize'], q['askSize']])).toEqual([
      [`q:binance:BTC/USDT:${t0 + 20}:0`, 70_000, 70_001, 1.25, 0.75],
      [`q:binance:BTC/USDT:${t0 + 20}:1`, 70_000.5, 70_001, 1.25, 0.75],
    ]);
  });

  it('after a dropped socket backfills the bars and trades it missed: no hole, no duplicate; a restart resumes from the stream', async () => {
    const gw = await gateway({ trades: true });
    await until(() => srv.subscribed('btcusdt@kline_1m') && srv.subscribed('btcusdt@aggTrade'), 10_000, 'subscriptions');
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 5, 10_000, 'backfill');
    srv.advance('BTCUSDT', 2);
    let tid = 500;
    const trade = (i: number) => srv.trade('BTCUSDT', { id: tid++, ts: btc[srv.openIndex('BTCUSDT')]!.ts + i, price: 70_000 + i, qty: 0.1, buyerMaker: i % 2 === 0 });
    trade(1);
    trade(2);
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 9, 10_000, 'live bars and trades');
    const connectionsBefore = srv.connections();

    srv.setWsDown(true);
    srv.dropSockets();
    await until(() => stack.statuses.some((s) => s.type === 'disconnected'), 10_000, 'disconnect seen');
    srv.advance('BTCUSDT', 4); // bars close while nobody listens
    trade(3);
    trade(4);
    trade(5);
    srv.setWsDown(false);
    await until(() => srv.connections() >= connectionsBefore + 2 && srv.subscribed('btcusdt@aggTrade'), 10_000, 'reconnect');
    trade(6); // the first live trade bounds the trade backfill
    srv.advance('BTCUSDT', 1);
    await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 5 + 7, 10_000, 'gap backfilled');
    await until(async () => (await stack.bus.countMessages(stack.md, stack.subjects.trade('binance', 'BTC/USDT'))) >= 6, 10_000, 'trades backfilled');
    await gw.stop();

    expectBars(await barsInStream(), OPEN - 5, OPEN + 7);
    const trades = (await readStream(stack.bus, stack.md, stack.subjects.trade('binance', 'BTC/USDT'))).map((m) => m.msg['id']);
    expect(trades).toEqual([500, 501, 502, 503, 504, 505].map((i) => `t:binance:BTC/USDT:${i}`));
    expect(stack.statuses.some((s) => s.type === 'retrying' && s.code === 'NETWORK')).toBe(true);

    // A new gateway process resumes from the newest stored bar: nothing republished, the next bar follows.
    const again = await gateway();
    await until(() => srv.subscribed('btcusdt@kline_1m'), 10_000, 'resubscribe');
    srv.advance('BTCUSDT', 1);
    await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 13, 10_000, 'next bar');
    await again.stop();
    expectBars(await barsInStream(), OPEN - 5, OPEN + 8);
  });

  /** Trade 100 live, then, while the socket is down, ten trades in one millisecond (pages hold 4) and two after; 113 live again. */
  async function tradesCrowdedInOneMillisecond(over: Partial<CcxtMarketDataOptions>, settled: () => Promise<boolean>) {
    const gw = await gateway({ trades: true, timeframes: [], ...over });
    await until(() => srv.subscribed('btcusdt@aggTrade'), 10_000, 'subscription');
    const t0 = btc[OPEN]!.ts;
    const trade = (id: number, ts: number) => srv.trade('BTCUSDT', { id, ts, price: 70_000 + id / 100, qty: 0.1, buyerMaker: id % 2 === 0 });
    trade(100, t0);
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 1, 10_000, 'first trade');
    srv.setWsDown(true);
    srv.dropSockets();
    await until(() => stack.statuses.some((s) => s.type === 'disconnected'), 10_000, 'disconnect seen');
    for (let id = 101; id <= 110; id++) trade(id, t0 + 5);
    trade(111, t0 + 6);
    trade(112, t0 + 6);
    srv.setWsDown(false);
    await until(() => srv.subscribed('btcusdt@aggTrade'), 10_000, 'reconnect');
    trade(113, t0 + 7); // bounds the backfill
    await until(settled, 10_000, 'trades backfilled');
    await new Promise((r) => setTimeout(r, 200));
    await gw.stop();
    const ids = (await readStream(stack.bus, stack.md, stack.subjects.trade('binance', 'BTC/USDT'))).map((m) => Number(String(m.msg['id']).split(':').at(-1)));
    return { t0, ids };
  }
  const tradeCount = () => stack.bus.countMessages(stack.md, stack.subjects.trade('binance', 'BTC/USDT'));
  const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

  it('backfills every trade of a millisecond that holds more than a page, paging by trade id (fromId): none lost, none twice', async () => {
    const { ids } = await tradesCrowdedInOneMillisecond({}, async () => (await tradeCount()) >= 14);
    expect(ids).toEqual(range(100, 113));
    // Counted by the gateway, not the stream (JetStream's window would hide a second publish): each once.
    expect(stack.statuses.filter((s) => s.type === 'backfilled').map((s) => (s.type === 'backfilled' ? s.published : NaN))).toEqual([13]);
    const pages = srv.requests.filter((r) => r.startsWith('/api/v3/aggTrades'));
    expect(pages.some((r) => r.includes('fromId=104'))).toBe(true);
    expect(stack.statuses.some((s) => s.type === 'failed' || s.type === 'truncated')).toBe(false);
    expect(await stack.bus.countMessages(stack.dlq)).toBe(0);
  });

  it('where the venue cannot page by trade id, says which millisecond it could not read to the end instead of skipping it silently', async () => {
    const { t0, ids } = await tradesCrowdedInOneMillisecond({ tradeIdParam: false }, async () => stack.statuses.some((s) => s.type === 'backfilled'));
    // A full page past the cursor goes on from its last millisecond (the sink knows the ids it published there).
    expect(ids).toEqual([...range(100, 104), 111, 112, 113]);
    expect(stack.statuses.filter((s) => s.type === 'backfilled').map((s) => (s.type === 'backfilled' ? s.published : NaN))).toEqual([7]);
    expect(stack.statuses.filter((s) => s.type === 'truncated')).toEqual([
      { type: 'truncated', feed: 'binance BTC/USDT trade', ts: t0 + 5, fetched: 4, detail: expect.stringContaining('more trades than a page') },
    ]);
    expect(srv.requests.some((r) => r.includes('fromId'))).toBe(false);
  });

  it('refuses malformed, repeated and out-of-order messages to sx.dlq.gateway and republishes nothing', async () => {
    const gw = await gateway({ trades: true });
    await until(() => srv.subscribed('btcusdt@kline_1m') && srv.subscribed('btcusdt@aggTrade'), 10_000, 'subscriptions');
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 5, 10_000, 'backfill');
    const t0 = btc[OPEN]!.ts;
    srv.trade('BTCUSDT', { id: 900, ts: t0 + 50, price: 70_000, qty: 0.1, buyerMaker: false });
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 6, 10_000, 'first trade');
    const send = (e: unknown) => srv.sendRaw('btcusdt@aggTrade', JSON.stringify(e));
    send(aggTradeEvent('BTCUSDT', { id: 899, ts: t0 + 40, price: 70_000, qty: 0.1, buyerMaker: false })); // older
    send(aggTradeEvent('BTCUSDT', { id: 900, ts: t0 + 50, price: 70_000, qty: 0.1, buyerMaker: false })); // repeat
    send({ ...(aggTradeEvent('BTCUSDT', { id: 901, ts: t0 + 60, price: 1, qty: 0.1, buyerMaker: false }) as object), p: '-5' }); // negative price
    send({ ...(aggTradeEvent('BTCUSDT', { id: 902, ts: t0 + 61, price: 1, qty: 0.1, buyerMaker: false }) as object), q: '1e999' }); // infinite size
    send({ ...(aggTradeEvent('BTCUSDT', { id: 904, ts: t0 + 62, price: 1, qty: 0.1, buyerMaker: false }) as object), p: undefined }); // no price
    // A kline for a bar long closed (older than anything the socket carried).
    srv.sendRaw('btcusdt@kline_1m', JSON.stringify(klineEvent({ id: 'BTCUSDT' }, btc[0]!, true)));
    srv.trade('BTCUSDT', { id: 903, ts: t0 + 70, price: 70_002, qty: 0.2, buyerMaker: true });
    await until(async () => (await stack.bus.countMessages(stack.dlq)) >= 6, 10_000, 'refusals');
    await until(async () => (await stack.bus.countMessages(stack.md, stack.subjects.trade('binance', 'BTC/USDT'))) >= 2, 10_000, 'good trade');
    srv.advance('BTCUSDT', 1);
    await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 6, 10_000, 'bar');
    await gw.stop();

    const dlq = (await readStream(stack.bus, stack.dlq, stack.subjects.dlq('gateway'))).map((m) => m.msg);
    expect(dlq.map((d) => d['reason']).sort()).toEqual(['DUPLICATE', 'NON_FINITE', 'NON_POSITIVE', 'OUT_OF_ORDER', 'OUT_OF_ORDER', 'SCHEMA'].sort());
    expect(dlq.map((d) => d['subject'])).toContain(barSubject());
    expect(dlq.every((d) => d['source'] === 'gateway')).toBe(true);
    const trades = (await readStream(stack.bus, stack.md, stack.subjects.trade('binance', 'BTC/USDT'))).map((m) => m.msg['id']);
    expect(trades).toEqual(['t:binance:BTC/USDT:900', 't:binance:BTC/USDT:903']);
    expectBars(await barsInStream(), OPEN - 5, OPEN + 1);
    expect(stack.statuses.filter((s) => s.type === 'refused')).toHaveLength(6);
  });

  it('refuses trades without an id with one dead letter per feed and minute of event time, each counting the refusals it stands for', async () => {
    const gw = await gateway({ trades: true, timeframes: [] });
    await until(() => srv.subscribed('btcusdt@aggTrade'), 10_000, 'subscription');
    const t0 = btc[OPEN]!.ts;
    // A venue that sends no trade ids (ccxt's hollaex, coinspot): every trade is refused.
    const idless = (ts: number) => {
      const { a: _a, ...e } = aggTradeEvent('BTCUSDT', { id: 0, ts, price: 70_000, qty: 0.1, buyerMaker: false }) as Record<string, unknown>;
      srv.sendRaw('btcusdt@aggTrade', JSON.stringify(e));
    };
    for (let i = 1; i <= 5; i++) idless(t0 + i);
    idless(t0 + 61_000); // a minute of event time after the first dead letter
    idless(t0 + 61_001);
    idless(t0 + 61_002);
    srv.trade('BTCUSDT', { id: 901, ts: t0 + 61_003, price: 70_001, qty: 0.2, buyerMaker: true }); // the feed goes on
    await until(async () => (await tradeCount()) >= 1, 10_000, 'the trade with an id');
    await gw.stop(); // what was counted since the last dead letter is dead-lettered on the way out
    const dlq = (await readStream(stack.bus, stack.dlq, stack.subjects.dlq('gateway'))).map((m) => m.msg);
    expect(dlq.map((d) => [d['reason'], JSON.parse(String(d['payload']))['ts'], Number(/stands for (\d+)/.exec(String(d['detail']))?.[1])])).toEqual([
      ['SCHEMA', t0 + 1, 1],
      ['SCHEMA', t0 + 61_000, 5],
      ['SCHEMA', t0 + 61_002, 2],
    ]);
    expect(dlq.every((d) => String(d['detail']).includes('trade without an id'))).toBe(true);
    expect(stack.statuses.filter((s) => s.type === 'refused')).toHaveLength(3);
    expect(await tradeCount()).toBe(1);
  });

  it('refuses a closed live bar that fails validation and fetches the venue\'s REST copy instead: no hole', async () => {
    const gw = await gateway();
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 5, 10_000, 'backfill');
    srv.advance('BTCUSDT', 1, true); // bar OPEN closes with high < low
    srv.advance('BTCUSDT', 1);
    await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 7, 10_000, 'bars');
    await gw.stop();
    expectBars(await barsInStream(), OPEN - 5, OPEN + 2);
    const dlq = (await readStream(stack.bus, stack.dlq, stack.subjects.dlq('gateway'))).map((m) => m.msg);
    expect(dlq.map((d) => [d['reason'], d['detail']])).toEqual([['SCHEMA', expect.stringContaining('high/low must bound open and close')]]);
    expect(srv.requests.filter((r) => r.startsWith('/api/v3/klines')).at(-1)).toContain(`startTime=${btc[OPEN]!.ts}`);
  });

  it('retries HTTP 429 and 5xx with exponential backoff, then succeeds', async () => {
    srv.failNext('/api/v3/klines', 429, 2);
    srv.failNext('/api/v3/klines', 503, 1, 'Service Unavailable');
    const gw = await gateway();
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 5, 15_000, 'backfill after retries');
    await gw.stop();
    expectBars(await barsInStream(), OPEN - 5, OPEN);
    const retries = stack.statuses.filter((s) => s.type === 'retrying');
    expect(retries.map((s) => (s.type === 'retrying' ? [s.code, s.attempt, s.delayMs] : []))).toEqual([
      ['RATE_LIMITED', 1, 100],
      ['RATE_LIMITED', 2, 200],
      ['UNAVAILABLE', 3, 400],
    ]);
    expect(stack.sleeps.slice(0, 3)).toEqual([100, 200, 400]);
  });

  it('surfaces a permanent exchange error (unknown symbol) without retrying, while other feeds run on', async () => {
    const gw = await gateway({ symbols: ['DOGE/USDT', 'BTC/USDT'] });
    await until(() => stack.statuses.some((s) => s.type === 'failed'), 10_000, 'failure');
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 5, 10_000, 'the other feed');
    await gw.stop();
    const failed = stack.statuses.filter((s) => s.type === 'failed');
    expect(failed).toEqual([expect.objectContaining({ feed: 'binance DOGE/USDT bar 1m', code: 'BAD_SYMBOL' })]);
    expect(stack.statuses.some((s) => s.type === 'retrying' && s.feed.includes('DOGE'))).toBe(false);
    expectBars(await barsInStream(), OPEN - 5, OPEN);
  });

  it('polls REST when the venue has no websocket method (or mode is poll)', async () => {
    const gw = await gateway({ mode: 'poll', trades: true, quotes: true });
    await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 5, 10_000, 'polled backfill');
    srv.advance('BTCUSDT', 2);
    srv.trade('BTCUSDT', { id: 1, ts: btc[OPEN + 2]!.ts + 5, price: 70_000, qty: 1, buyerMaker: false });
    await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 7, 10_000, 'polled bars');
    await until(async () => (await stack.bus.countMessages(stack.md, stack.subjects.trade('binance', 'BTC/USDT'))) >= 1, 10_000, 'polled trade');
    // The advance changed the ticker, and a quote polled before it may have been counted already:
    // wait until three ticker polls in a row published no new quote, then more polls of the same
    // data must publish nothing more.
    const tickerPolls = (): number => srv.requests.filter((r) => r.startsWith('/api/v3/ticker/24hr')).length;
    let quotes = -1;
    let unchangedSince = 0;
    await until(
      async () => {
        const n = await stack.bus.countMessages(stack.md, stack.subjects.quote('binance', 'BTC/USDT'));
        if (n !== quotes) [quotes, unchangedSince] = [n, tickerPolls()];
        return quotes >= 1 && tickerPolls() - unchangedSince >= 3;
      },
      10_000,
      'polled quotes settled',
    );
    await new Promise((r) => setTimeout(r, 300));
    await gw.stop();
    expectBars(await barsInStream(), OPEN - 5, OPEN + 2);
    expect(await stack.bus.countMessages(stack.md, stack.subjects.trade('binance', 'BTC/USDT'))).toBe(1);
    expect(await stack.bus.countMessages(stack.md, stack.subjects.quote('binance', 'BTC/USDT'))).toBe(quotes);
    expect(srv.requests.filter((r) => r.startsWith('/api/v3/ticker/24hr')).length).toBeGreaterThan(quotes + 3);
    expect(srv.connections()).toBe(0);
  });
  it('falls back to REST polling in auto mode for a venue without the websocket methods', async () => {
    const gw = await gateway(
      { mode: 'auto', trades: true, quotes: true },
      {
        prepare: (ex) => {
          for (const m of ['watchOHLCV', 'watchTrades', 'watchTicker', 'watchOrderBook']) ex.has[m] = false;
        },
      },
    );
    await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 5, 10_000, 'polled backfill');
    srv.advance('BTCUSDT', 1);
    srv.trade('BTCUSDT', { id: 7, ts: btc[OPEN + 1]!.ts + 5, price: 70_000, qty: 1, buyerMaker: false });
    srv.ticker('BTCUSDT', btc[OPEN + 1]!.ts + 6, 69_999, 70_001);
    await until(async () => (await stack.bus.countMessages(stack.md, barSubject())) >= 6, 10_000, 'polled bar');
    await until(async () => (await stack.bus.countMessages(stack.md, stack.subjects.trade('binance', 'BTC/USDT'))) >= 1, 10_000, 'polled trade');
    await until(async () => (await stack.bus.countMessages(stack.md, stack.subjects.quote('binance', 'BTC/USDT'))) >= 1, 10_000, 'polled quote');
    await gw.stop();
    expectBars(await barsInStream(), OPEN - 5, OPEN + 1);
    // Best bid/ask by REST (fetchTicker), and no websocket was ever opened.
    expect(srv.requests.some((r) => r.startsWith('/api/v3/ticker/24hr'))).toBe(true);
    expect(srv.requests.some((r) => r.startsWith('/api/v3/aggTrades'))).toBe(true);
    expect(srv.connections()).toBe(0);
    expect(srv.subscribed('btcusdt@ticker')).toBe(false);
  });

  it('spaces its REST calls by the venue\'s request weights, however hard the feeds poll', async () => {
    // ccxt's binance weights (spot public API): exchangeInfo 4, klines, aggTrades and ticker/24hr
    // 0.4 each, per `rateLimitMs`. At 100 ms per unit, 25 polls a second at most, while three feeds
    // polling every 5 ms (the injected sleep) ask for several hundred.
    const RATE_MS = 100;
    const COST: Readonly<Record<string, number>> = { '/api/v3/exchangeInfo': 4, '/api/v3/klines': 0.4, '/api/v3/aggTrades': 0.4, '/api/v3/ticker/24hr': 0.4 };
    const gw = await gateway({ mode: 'poll', trades: true, quotes: true, pollMs: 1 }, { exchange: { rateLimitMs: RATE_MS } });
    await new Promise((r) => setTimeout(r, 3_000));
    await gw.stop();
    const calls = srv.requests.map((path, i) => ({ path: path.split('?')[0] ?? path, at: srv.requestTimes[i] ?? NaN }));
    for (const c of calls) expect(COST[c.path], `weight of ${c.path}`).toBeDefined();
    const costOf = (path: string): number => COST[path] ?? Number.NaN;
    // A leaky bucket of capacity 1: whatever window one looks at, the weight spent in it is at
    // most its length in units plus the bucket and the call that overdraws it (arrival jitter of
    // the local HTTP calls is well under one unit).
    let worst = 0;
    for (let i = 0; i < calls.length; i++) {
      const start = calls[i]!.at;
      let spent = 0;
      for (let j = i; j < calls.length && calls[j]!.at < start + 1_000; j++) spent += costOf(calls[j]!.path);
      // Each window is judged net of the call that opens it: what the bucket let through after it.
      worst = Math.max(worst, spent - costOf(calls[i]!.path));
    }
    const polls = calls.filter((c) => c.path !== '/api/v3/exchangeInfo');
    const span = (calls.at(-1)?.at ?? 0) - (calls[0]?.at ?? 0);
    console.info(`rate limit: ${calls.length} REST calls in ${span.toFixed(0)} ms, at most ${worst.toFixed(1)} units of weight in any second after a call (limit ${1_000 / RATE_MS} + 1)`);
    expect(worst).toBeLessThanOrEqual(1_000 / RATE_MS + 1 + 0.4);
    // The limiter is what held the feeds back: they used most of what it allowed.
    expect(polls.length * 0.4).toBeGreaterThan(0.6 * ((span - 4 * RATE_MS) / RATE_MS));
    expect(polls.some((c) => c.path === '/api/v3/klines') && polls.some((c) => c.path === '/api/v3/aggTrades') && polls.some((c) => c.path === '/api/v3/ticker/24hr')).toBe(true);
  });
});
