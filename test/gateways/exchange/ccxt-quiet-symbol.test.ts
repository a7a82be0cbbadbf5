import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configuredFeeds, createFeedStatusBoard } from '../../../gateways/market-data/feed-status.js';
import { feedHealth } from '../../../gateways/market-data/feed-status-server.js';
import { feedStatusMessage } from '../../../gateways/market-data/feed-status-publisher.js';
import type { GatewayStatus } from '../../../gateways/market-data/market-data-source.js';
import { binanceExchange, binanceSource, closeBinanceWorld, GATEWAY_NOW, openBinanceWorld } from '../../support/binance-world.js';
import type { BinanceServer } from './binance-server.js';
import { start, until } from './harness.js';
import type { Stack } from './harness.js';

const NOW = GATEWAY_NOW;
const TRADE = 'binance BTC/USDT trade';

let srv: BinanceServer;
let stack: Stack;

beforeEach(async () => void ({ srv, stack } = await openBinanceWorld({ bars: 20 })));
afterEach(() => closeBinanceWorld({ srv, stack }));

const of = (feed: string): GatewayStatus[] => stack.statuses.filter((s) => s.feed === feed);

describe('ccxt market data: a quiet symbol (marketData.subscribedAfterMs)', () => {
  it('says a websocket trade feed `subscribed` (ready: /readyz ok) while it waits for its first trade, `connected` (live) once one comes; md.status v1 says it live with the reason', async () => {
    const source = binanceSource(await binanceExchange(srv), stack, {
      timeframes: [], trades: true, pollMs: 5, restart: { minMs: 1_000, maxMs: 4_000 }, watchParams: { trades: { name: 'aggTrade' } }, subscribedAfterMs: 50,
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
