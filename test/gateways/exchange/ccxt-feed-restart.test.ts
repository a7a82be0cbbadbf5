import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Exchange } from 'ccxt';
import { MarketDataConfigSchema } from '../../../gateways/market-data/market-data-config.js';
import type { GatewayStatus } from '../../../gateways/market-data/market-data-source.js';
import type { RestartPolicy } from '../../../gateways/market-data/feed-supervisor.js';
import { binanceExchange, binanceSource, closeBinanceWorld, GATEWAY_NOW, openBinanceWorld } from '../../support/binance-world.js';
import type { BinanceServer } from './binance-server.js';
import { readStream, start, until } from './harness.js';
import type { Stack } from './harness.js';

const NOW = GATEWAY_NOW;
const BAR = 'binance BTC/USDT bar 1m';
const TRADE = 'binance BTC/USDT trade';

let srv: BinanceServer;
let stack: Stack;

beforeEach(async () => void ({ srv, stack } = await openBinanceWorld()));
afterEach(() => closeBinanceWorld({ srv, stack }));

async function gateway(o: { mode: 'auto' | 'poll'; trades: boolean; restart?: RestartPolicy; before?: (ex: Exchange) => Promise<void> }) {
  const exchange = await binanceExchange(srv);
  await o.before?.(exchange);
  return start(binanceSource(exchange, stack, { trades: o.trades, mode: o.mode, pollMs: 5, ...(o.restart !== undefined ? { restart: o.restart } : {}) }), stack.sink());
}

const barSubject = () => stack.subjects.bar('binance', 'BTC/USDT', '1m');
const bars = () => stack.bus.countMessages(stack.md, barSubject());
/** The bars' open times in stream order. */
const barTimes = async (): Promise<number[]> => (await readStream(stack.bus, stack.md, barSubject())).map((m) => m.msg['ts'] as number);
const of = (feed: string): GatewayStatus[] => stack.statuses.filter((s) => s.feed === feed);

/** Every bar once, in order, a minute apart: nothing published twice, reordered or skipped across the restarts. */
function expectGapless(ts: readonly number[], count: number): void {
  expect(ts).toHaveLength(count);
  for (let i = 1; i < ts.length; i++) expect((ts[i] ?? 0) - (ts[i - 1] ?? 0)).toBe(60_000);
}

describe('ccxt market data: a feed that failed for good is restarted (marketData.restart)', () => {
  it("restarts a polled feed the venue refused (409: taken for permanent) with the restart backoff, saying `restarting` with the failure and when, and resumes from the stream's high-water mark: no hole, nothing twice, the other feed untouched", async () => {
    const gw = await gateway({ mode: 'poll', trades: true, restart: { minMs: 1_000, maxMs: 4_000 } });
    await until(async () => (await bars()) >= 5, 10_000, 'the backfill');
    const before = await bars();
    const klines = srv.requests.filter((r) => r.startsWith('/api/v3/klines')).length;
    srv.failNext('/api/v3/klines', 409, 3, { code: 0, msg: 'Conflict.' });
    srv.advance('BTCUSDT', 3); // bars close while the feed is down
    await until(() => of(BAR).filter((s) => s.type === 'connected').length >= 2, 10_000, 'the bar feed back');
    await until(async () => (await bars()) >= before + 3, 10_000, 'the bars closed while it was down');
    await gw.stop();

    const restarts = of(BAR).filter((s) => s.type === 'restarting');
    expect(restarts).toEqual([1_000, 2_000, 4_000].map((delayMs, i) => ({
      type: 'restarting', feed: BAR, attempt: i + 1, delayMs, retryAt: NOW + delayMs, code: 'EXCHANGE', error: expect.stringMatching(/^binance GET \S+\/api\/v3\/klines: HTTP 409 Conflict/),
    })));
    // Each run: failed, then restarting (never sooner than the backoff: one request per run, no spin).
    expect(of(BAR).map((s) => s.type).filter((t) => t === 'failed' || t === 'restarting' || t === 'connected')).toEqual(['connected', 'failed', 'restarting', 'failed', 'restarting', 'failed', 'restarting', 'connected']);
    expect(srv.requests.filter((r) => r.startsWith('/api/v3/klines')).length).toBeGreaterThanOrEqual(klines + 4);
    expect(stack.sleeps).toEqual(expect.arrayContaining([1_000, 2_000, 4_000]));
    expect(of(TRADE).some((s) => s.type === 'failed' || s.type === 'restarting')).toBe(false);
    expectGapless(await barTimes(), before + 3);
    expect(of(BAR).at(-1)).toEqual({ type: 'stopped', feed: BAR });
  });

  it('restarts a websocket feed stopped by an error frame ccxt names as permanent (unknown symbol): it resubscribes and goes on publishing, none missed, none twice', async () => {
    const gw = await gateway({ mode: 'auto', trades: false, restart: { minMs: 1_000, maxMs: 4_000 } });
    await until(() => srv.subscribed('btcusdt@kline_1m'), 10_000, 'subscription');
    await until(async () => (await bars()) >= 5, 10_000, 'the backfill');
    const before = await bars();
    srv.sendRaw('btcusdt@kline_1m', JSON.stringify({ error: { code: -1121, msg: 'Invalid symbol.' } }));
    await until(() => of(BAR).some((s) => s.type === 'restarting'), 10_000, 'the restart');
    srv.advance('BTCUSDT', 2);
    await until(async () => (await bars()) >= before + 2, 10_000, 'bars after the restart');
    await gw.stop();
    expect(of(BAR).filter((s) => s.type === 'restarting')).toEqual([expect.objectContaining({ attempt: 1, delayMs: 1_000, retryAt: NOW + 1_000, code: 'BAD_SYMBOL' })]);
    expect(of(BAR).filter((s) => s.type === 'connected')).toHaveLength(2);
    expectGapless(await barTimes(), before + 2);
  });

  it('leaves a failed feed failed without a restart policy (a source built by hand)', async () => {
    const gw = await gateway({ mode: 'poll', trades: false });
    srv.failNext('/api/v3/klines', 409, 1, { code: 0, msg: 'Conflict.' });
    await gw.done;
    await gw.stop();
    expect(of(BAR).map((s) => s.type)).toEqual(['failed']);
  });

  it('restarts after 10 s, doubling up to 10 min, unless marketData.restart says otherwise; a maxMs below minMs is refused', () => {
    expect(MarketDataConfigSchema.parse({}).restart).toEqual({ minMs: 10_000, maxMs: 600_000 });
    expect(MarketDataConfigSchema.safeParse({ restart: { minMs: 5_000, maxMs: 1_000 } }).success).toBe(false);
  });
});

describe("ccxt market data: the venue's markets, loaded once for all its feeds", () => {
  it('asks the venue for its markets again after a failed loading: a 503 on exchangeInfo at start left every feed retrying its error for ever, the venue never asked again', async () => {
    srv.failNext('/api/v3/exchangeInfo', 503, 1, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' });
    const gw = await gateway({ mode: 'poll', trades: true });
    await until(async () => (await bars()) >= 5, 10_000, 'bars after the retry');
    await until(() => of(TRADE).some((s) => s.type === 'connected'), 10_000, 'the trade feed connected');
    await gw.stop();
    expect(srv.requests.filter((r) => r.startsWith('/api/v3/exchangeInfo'))).toHaveLength(2);
    expect(stack.statuses.filter((s) => s.type === 'retrying').map((s) => (s.type === 'retrying' ? [s.feed, s.code, s.attempt] : []))).toEqual(
      expect.arrayContaining([[BAR, 'UNAVAILABLE', 1], [TRADE, 'UNAVAILABLE', 1]]),
    );
    expect(stack.statuses.some((s) => s.type === 'failed')).toBe(false);
  });

  it("says every feed waiting on the markets loading `held` while its request waits in the venue's hold, with the reason and when: only the feed that started the loading did, the others looked like they were simply starting", async () => {
    const gw = await gateway({
      mode: 'poll',
      trades: true,
      // A 429 with Retry-After: 2 before the feeds start: the venue's REST hold is set, the markets not loaded.
      before: async (ex) => {
        srv.failNext('/api/v3/time', 429, 1, { code: -1003, msg: 'Too many requests.' }, { 'Retry-After': '2' });
        await ex.fetchTime().catch(() => undefined);
      },
    });
    await until(() => of(BAR).some((s) => s.type === 'connected') && of(TRADE).some((s) => s.type === 'connected'), 15_000, 'both feeds connected after the hold');
    await gw.stop();
    for (const feed of [BAR, TRADE]) {
      const seen = of(feed);
      expect(seen[0]).toEqual({
        type: 'held', feed, code: 'RATE_LIMITED', delayMs: expect.any(Number), retryAt: expect.any(Number),
        error: expect.stringMatching(/^binance GET \S+\/api\/v3\/time: HTTP 429, rate limited for 2000 ms \(Retry-After 2\)/),
      });
      const held = seen[0];
      if (held?.type !== 'held') throw new Error('not held');
      expect(held.delayMs).toBeGreaterThan(1_000);
      expect(held.delayMs).toBeLessThanOrEqual(2_000);
      expect(held.retryAt).toBe(NOW + held.delayMs);
      expect(seen.find((s) => s.type === 'connected')).toBeDefined();
    }
    expect(srv.requests.filter((r) => r.startsWith('/api/v3/exchangeInfo'))).toHaveLength(1);
    expect(stack.statuses.filter((s) => s.type === 'retrying' || s.type === 'failed')).toEqual([]);
  });
});
