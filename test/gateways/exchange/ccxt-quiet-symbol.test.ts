import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCcxtExchange } from '../../../gateways/market-data/ccxt-exchange.js';
import { createCcxtMarketData } from '../../../gateways/market-data/ccxt-market-data.js';
import { configuredFeeds, createFeedStatusBoard } from '../../../gateways/market-data/feed-status.js';
import { feedHealth } from '../../../gateways/market-data/feed-status-server.js';
import { feedStatusMessage } from '../../../gateways/market-data/feed-status-publisher.js';
import type { GatewayStatus } from '../../../gateways/market-data/market-data-source.js';
import { dataPath } from '../data.js';
import { readKlines, startBinanceServer } from './binance-server.js';
import type { BinanceServer } from './binance-server.js';
import { openStack, start, until } from './harness.js';
import type { Stack } from './harness.js';

const NOW = 1_800_000_000_000;
const TRADE = 'binance BTC/USDT trade';

let srv: BinanceServer;
let stack: Stack;

beforeEach(async () => {
  srv = await startBinanceServer([{ base: 'BTC', quote: 'USDT', bars: readKlines(dataPath('ohlcv/binance_spot_1m/BTC_USDT_1m_2026-03_2026-04.csv'), 20), open: 10 }]);
  stack = await openStack();
});
afterEach(async () => {
  await srv.close();
  await stack.teardown();
});

const of = (feed: string): GatewayStatus[] => stack.statuses.filter((s) => s.feed === feed);

describe('ccxt market data: a quiet symbol (marketData.subscribedAfterMs)', () => {
  it('says a websocket trade feed `subscribed` (ready: /readyz ok) while it waits for its first trade, `connected` (live) once one comes; md.status v1 says it live with the reason', async () => {
    const exchange = await createCcxtExchange({ exchangeId: 'binance', restUrl: srv.restUrl, wsUrl: srv.wsUrl, options: { fetchMarkets: { types: ['spot'] } } });
    const source = createCcxtMarketData({
      exchange, assets: [{ venue: 'binance', symbol: 'BTC/USDT' }], timeframes: [], trades: true, quotes: false, mode: 'auto', pollMs: 5,
      backfillBars: 5, pageLimit: 4, backoff: { minMs: 100, maxMs: 1_000 }, restart: { minMs: 1_000, maxMs: 4_000 },
      watchParams: { trades: { name: 'aggTrade' } }, now: () => NOW, sleep: stack.sleep, subscribedAfterMs: 50,
    });
    const board = createFeedStatusBoard(configuredFeeds({ provider: 'ccxt', timeframes: [], trades: true, quotes: false }, [{ venue: 'binance', symbol: 'BTC/USDT' }]), () => NOW);
    const sink = stack.sink();
    const gw = start(source, { ...sink, status: (s) => (sink.status(s), board.apply(s)) });
    expect(feedHealth(board).status).toBe('degraded'); // starting

    await until(() => srv.subscribed('btcusdt@aggTrade'), 10_000, 'the subscription');
    await until(() => of(TRADE).some((s) => s.type === 'subscribed'), 10_000, 'subscribed');
    expect(of(TRADE).map((s) => s.type)).toEqual(['subscribed']);
    expect(stack.sleeps).toContain(50);
    expect(feedHealth(board)).toEqual({ status: 'ok', feeds: 1, down: [] });
    expect(board.entries()[0]?.state).toBe('subscribed');
    expect(feedStatusMessage(board.entries()[0] ?? expect.fail('no entry'), NOW, 'gw')).toMatchObject({ state: 'live', reason: 'subscribed, nothing received yet' });

    srv.trade('BTCUSDT', { id: 9_000_001, ts: NOW - 1_000, price: 100, qty: 1, buyerMaker: false });
    await until(() => of(TRADE).some((s) => s.type === 'connected'), 10_000, 'the first trade');
    await gw.stop();
    expect(of(TRADE).map((s) => s.type)).toEqual(['subscribed', 'connected', 'stopped']);
    expect(board.entries()[0]?.state).toBe('stopped');
  });
});
