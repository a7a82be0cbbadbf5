import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchdogPolicy } from '../../../gateways/market-data/feed-watchdog.js';
import type { GatewayStatus } from '../../../gateways/market-data/market-data-source.js';
import { binanceExchange, binanceSource, closeBinanceWorld, GATEWAY_NOW, openBinanceWorld } from '../../support/binance-world.js';
import type { BinanceServer } from './binance-server.js';
import { readStream, start, until } from './harness.js';
import type { Stack } from './harness.js';

const NOW = GATEWAY_NOW;
const BAR = 'binance BTC/USDT bar 1m';
const TRADE = 'binance BTC/USDT trade';
const KLINES = 'btcusdt@kline_1m';
const WATCHDOG: WatchdogPolicy = { barGraceMs: 5_000, tradeMaxSilenceMs: 30_000, quoteMaxSilenceMs: 30_000, restartAfterMs: 20_000 };

let srv: BinanceServer;
let stack: Stack;
/** The gateway's clock, moved by the test (the watchdog reads it; its checks run on the harness's 5 ms sleep). */
let clock = NOW;

beforeEach(async () => {
  clock = NOW;
  ({ srv, stack } = await openBinanceWorld());
});
afterEach(() => closeBinanceWorld({ srv, stack }));

async function gateway(o: { trades: boolean; watchdog?: WatchdogPolicy }) {
  const source = binanceSource(await binanceExchange(srv), stack, {
    trades: o.trades, pollMs: 5, restart: { minMs: 1_000, maxMs: 4_000 }, watchParams: { trades: { name: 'aggTrade' } }, now: () => clock,
    ...(o.watchdog !== undefined ? { watchdog: o.watchdog } : {}),
  });
  return start(source, stack.sink());
}

const barSubject = () => stack.subjects.bar('binance', 'BTC/USDT', '1m');
const bars = () => stack.bus.countMessages(stack.md, barSubject());
const of = (feed: string): GatewayStatus[] => stack.statuses.filter((s) => s.feed === feed);

describe('ccxt market data: the staleness watchdog (marketData.watchdog)', () => {
  it('says `stale` a websocket bar feed whose venue stopped pushing its stream on a connection that stays up, then restarts it: it subscribes anew and backfills what closed meanwhile, gapless and once', async () => {
    const gw = await gateway({ trades: false, watchdog: WATCHDOG });
    await until(async () => (await bars()) >= 5, 10_000, 'the backfill');
    await until(() => of(BAR).some((s) => s.type === 'connected'), 10_000, 'connected');
    srv.advance('BTCUSDT');
    await until(async () => (await bars()) >= 6, 10_000, 'a live bar');
    const before = await bars();

    srv.stall(KLINES); // the socket stays up (heartbeats of other streams would flow), this stream says nothing more
    srv.advance('BTCUSDT', 2); // two bars close unseen
    clock += 60_000 + 5_001; // one timeframe plus the grace, nothing published
    await until(() => of(BAR).some((s) => s.type === 'stale'), 10_000, 'stale');
    const stale = of(BAR).find((s) => s.type === 'stale');
    expect(stale).toEqual({ type: 'stale', feed: BAR, silentMs: 65_001, staleAfterMs: 65_000, lastAt: NOW, restartAt: NOW + 65_000 + 20_000 });
    expect(of(BAR).some((s) => s.type === 'failed')).toBe(false);

    clock += 20_000; // still silent at restartAt
    await until(() => of(BAR).some((s) => s.type === 'restarting'), 10_000, 'restarting');
    await until(async () => (await bars()) >= before + 2, 10_000, 'the bars closed while it was stalled');
    await until(() => srv.subscribed(KLINES), 10_000, 'subscribed anew');
    srv.advance('BTCUSDT'); // live again on the new subscription
    await until(async () => (await bars()) >= before + 3, 10_000, 'a live bar after the restart');
    await gw.stop();

    const types = of(BAR).map((s) => s.type).filter((t) => ['connected', 'stale', 'failed', 'restarting'].includes(t));
    expect(types).toEqual(['connected', 'stale', 'failed', 'restarting', 'connected']);
    expect(of(BAR).find((s) => s.type === 'failed')).toMatchObject({ code: 'STALE', error: expect.stringMatching(/^nothing published for 85001 ms/) });
    expect(of(BAR).find((s) => s.type === 'restarting')).toMatchObject({ code: 'STALE', attempt: 1, delayMs: 1_000 });
    const ts = (await readStream(stack.bus, stack.md, barSubject())).map((m) => m.msg['ts'] as number);
    expect(ts).toHaveLength(before + 3);
    for (let i = 1; i < ts.length; i++) expect((ts[i] ?? 0) - (ts[i - 1] ?? 0)).toBe(60_000);
  });

  it('says a stale trade feed `connected` again when it publishes before its restart bound, with no restart; the bar feed is not stale meanwhile', async () => {
    const gw = await gateway({ trades: true, watchdog: { ...WATCHDOG, barGraceMs: 600_000 } });
    await until(() => of(BAR).some((s) => s.type === 'connected') && srv.subscribed('btcusdt@aggTrade'), 10_000, 'subscribed');
    srv.trade('BTCUSDT', { id: 9_000_001, ts: NOW - 1_000, price: 100, qty: 1, buyerMaker: false });
    await until(async () => (await stack.bus.countMessages(stack.md, stack.subjects.trade('binance', 'BTC/USDT'))) >= 1, 10_000, 'a trade');
    clock += 30_001;
    await until(() => of(TRADE).some((s) => s.type === 'stale'), 10_000, 'stale');
    srv.trade('BTCUSDT', { id: 9_000_002, ts: NOW + 29_000, price: 101, qty: 1, buyerMaker: true });
    await until(() => of(TRADE).filter((s) => s.type === 'connected').length >= 2, 10_000, 'live again');
    await gw.stop();
    expect(of(TRADE).some((s) => s.type === 'failed' || s.type === 'restarting')).toBe(false);
    expect(of(BAR).some((s) => s.type === 'stale')).toBe(false);
  });
});
