import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CcxtMarketDataOptions } from '../../../gateways/market-data/ccxt-market-data.js';
import { binanceExchange, binanceSource, closeBinanceWorld, openBinanceWorld } from '../../support/binance-world.js';
import type { BinanceServer, Kline } from './binance-server.js';
import { readStream, start, until } from './harness.js';
import type { Stack } from './harness.js';

/**
 * A venue whose REST pages are shorter than the gateway asks (`pageLimit` 10, the venue answers
 * at most 4 rows): a short page is no sign that the venue has nothing more.
 */
const OPEN = 10;
const PAGE_LIMIT = 10;
const VENUE_CAP = 4;

let srv: BinanceServer;
let stack: Stack;
let btc: Kline[];

beforeEach(async () => {
  ({ srv, stack, btc } = await openBinanceWorld({ open: OPEN }));
  srv.capPages(VENUE_CAP);
});
afterEach(() => closeBinanceWorld({ srv, stack }));

async function gateway(over: Partial<CcxtMarketDataOptions>) {
  const source = binanceSource(await binanceExchange(srv), stack, {
    timeframes: [],
    trades: true,
    pageLimit: PAGE_LIMIT,
    watchParams: { trades: { name: 'aggTrade' }, ticker: { name: 'ticker' } },
    ...over,
  });
  return start(source, stack.sink());
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const backfilledCounts = (): number[] => stack.statuses.flatMap((s) => (s.type === 'backfilled' ? [s.published] : []));

/**
 * Trade 100 live at t0; while the socket is down, trades 101… at `tsOf(id)`; then a live trade
 * one millisecond after the last bounds the backfill. Returns the trade ids in the stream.
 */
async function missedWhileDown(over: Partial<CcxtMarketDataOptions>, missed: number, tsOf: (id: number, t0: number) => number) {
  const gw = await gateway(over);
  await until(() => srv.subscribed('btcusdt@aggTrade'), 10_000, 'subscription');
  const t0 = btc[OPEN]!.ts;
  const trade = (id: number, ts: number) => srv.trade('BTCUSDT', { id, ts, price: 70_000 + id / 100, qty: 0.1, buyerMaker: id % 2 === 0 });
  trade(100, t0);
  await until(async () => (await stack.bus.countMessages(stack.md)) >= 1, 10_000, 'first trade');
  srv.setWsDown(true);
  srv.dropSockets();
  await until(() => stack.statuses.some((s) => s.type === 'disconnected'), 10_000, 'disconnect seen');
  let lastTs = t0;
  for (let id = 101; id <= 100 + missed; id++) trade(id, (lastTs = tsOf(id, t0)));
  srv.setWsDown(false);
  await until(() => srv.subscribed('btcusdt@aggTrade'), 10_000, 'reconnect');
  trade(101 + missed, lastTs + 1); // bounds the backfill
  await until(() => backfilledCounts().length > 0, 10_000, 'backfill done');
  await new Promise((r) => setTimeout(r, 200));
  await gw.stop();
  const ids = (await readStream(stack.bus, stack.md, stack.subjects.trade('binance', 'BTC/USDT'))).map((m) => Number(String(m.msg['id']).split(':').at(-1)));
  return { t0, ids, pages: srv.requests.filter((r) => r.startsWith('/api/v3/aggTrades')) };
}

/** Three trades a millisecond (fewer than the venue's cap): 13 missed trades span five milliseconds and four pages and more. */
const threePerMs = (id: number, t0: number): number => t0 + 1 + Math.floor((id - 101) / 3);
/** Ten trades in millisecond t0 + 5 (more than the venue's cap), two in t0 + 6. */
const crowded = (id: number, t0: number): number => (id <= 110 ? t0 + 5 : t0 + 6);

describe('trade backfill from a venue whose pages are shorter than pageLimit (local binance server, real JetStream)', () => {
  it('paging by trade id (fromId): every missed trade is published, each once', async () => {
    const { ids, pages } = await missedWhileDown({}, 13, threePerMs);
    expect(ids).toEqual(range(100, 114));
    // Counted by the gateway (JetStream's duplicate window would hide a second publish): 101…114 once each.
    expect(backfilledCounts()).toEqual([14]);
    expect(pages.some((r) => r.includes('fromId=104'))).toBe(true);
    expect(stack.statuses.some((s) => s.type === 'failed' || s.type === 'truncated')).toBe(false);
    expect(await stack.bus.countMessages(stack.dlq)).toBe(0);
  });

  it('paging by time (no trade id param): every missed trade is published, each once, and nothing is reported truncated', async () => {
    const { ids, pages } = await missedWhileDown({ tradeIdParam: false }, 13, threePerMs);
    expect(ids).toEqual(range(100, 114));
    expect(backfilledCounts()).toEqual([14]);
    expect(pages.some((r) => r.includes('fromId'))).toBe(false);
    expect(stack.statuses.some((s) => s.type === 'failed' || s.type === 'truncated')).toBe(false);
    expect(await stack.bus.countMessages(stack.dlq)).toBe(0);
  });

  it('paging by trade id reads a millisecond holding more trades than the venue\'s page to its end', async () => {
    const { ids } = await missedWhileDown({}, 12, crowded);
    expect(ids).toEqual(range(100, 113));
    expect(backfilledCounts()).toEqual([13]);
    expect(stack.statuses.some((s) => s.type === 'truncated')).toBe(false);
  });

  it('paging by time reports the millisecond the venue\'s page cut (its cap, not pageLimit) and reads on after it', async () => {
    const { t0, ids } = await missedWhileDown({ tradeIdParam: false }, 12, crowded);
    expect(ids).toEqual([...range(100, 104), 111, 112, 113]);
    expect(backfilledCounts()).toEqual([7]);
    expect(stack.statuses.filter((s) => s.type === 'truncated')).toEqual([
      { type: 'truncated', feed: 'binance BTC/USDT trade', ts: t0 + 5, fetched: VENUE_CAP, detail: expect.stringContaining('more trades than a page') },
    ]);
  });

  it('bar backfill goes on past pages shorter than pageLimit (it stops on an empty page or one that does not advance)', async () => {
    const gw = await gateway({ trades: false, timeframes: ['1m'], backfillBars: 9 });
    const subject = stack.subjects.bar('binance', 'BTC/USDT', '1m');
    await until(async () => (await stack.bus.countMessages(stack.md, subject)) >= 9, 10_000, 'bar backfill');
    await gw.stop();
    const got = (await readStream(stack.bus, stack.md, subject)).map((m) => m.msg['id']);
    expect(got).toEqual(btc.slice(OPEN - 9, OPEN).map((b) => `b:binance:BTC/USDT:1m:${b.ts}`));
    expect(srv.requests.filter((r) => r.startsWith('/api/v3/klines')).length).toBeGreaterThanOrEqual(3);
  });
});
