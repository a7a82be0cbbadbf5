import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCcxtExchange } from '../../../gateways/market-data/ccxt-exchange.js';
import { fromCcxtError } from '../../../gateways/market-data/errors.js';
import { MarketDataConfigSchema } from '../../../gateways/market-data/market-data-config.js';
import { createMarketDataSource } from '../../../gateways/market-data/market-data-from-config.js';
import { DEFAULT_MAX_RETRY_AFTER_MS, parseRetryAfter, readRetryAfter } from '../../../gateways/market-data/retry-after.js';
import { silentLogger } from '../../../state/logger.js';
import type { Logger } from '../../../state/logger.js';
import { binanceExchange, binanceSource, closeBinanceWorld, openBinanceWorld } from '../../support/binance-world.js';
import type { BinanceServer } from './binance-server.js';
import { start, until } from './harness.js';
import type { Stack } from './harness.js';

let srv: BinanceServer;
let stack: Stack;

beforeEach(async () => void ({ srv, stack } = await openBinanceWorld()));
afterEach(() => closeBinanceWorld({ srv, stack }));

/** Bars and trades polled (two feeds asking the venue every few milliseconds), backoff 100 ms … 1 s. */
async function pollingGateway(log?: Logger) {
  const exchange = await binanceExchange(srv, { wsUrl: undefined }); // REST only
  const source = binanceSource(exchange, stack, { trades: true, mode: 'poll', pollMs: 5, ...(log === undefined ? {} : { log }) });
  return { ...start(source, stack.sink()), exchange };
}

/** REST requests that arrived in (from, to) ms after the `index`th one (by `performance.now()`). */
const requestsAfter = (index: number, from: number, to: number): string[] => {
  const t = srv.requestTimes[index] ?? NaN;
  return srv.requests.filter((_, i) => i > index && (srv.requestTimes[i] ?? NaN) > t + from && (srv.requestTimes[i] ?? NaN) < t + to);
};
/** The failed request: the first bar page asked for. */
const failedIndex = (): number => srv.requests.findIndex((r) => r.startsWith('/api/v3/klines'));

describe('ccxt market data: the venue\'s Retry-After', () => {
  it('reads delay-seconds and HTTP dates', () => {
    const now = Date.parse('2026-03-01T00:00:00.000Z');
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter(' 0.5 ', now)).toBe(500);
    expect(parseRetryAfter('Sun, 01 Mar 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Sat, 28 Feb 2026 23:00:00 GMT', now)).toBe(0);
    expect([parseRetryAfter(undefined, now), parseRetryAfter('', now), parseRetryAfter('soon', now), parseRetryAfter('-3', now)]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("honours a Binance ban's days whole, saying until when; caps at 4 days (or marketData.maxRetryAfterMs): 10^9 seconds or a date decades ahead would park the feeds for ever", () => {
    const now = Date.parse('2026-03-01T00:00:00.000Z');
    expect(DEFAULT_MAX_RETRY_AFTER_MS).toBe(345_600_000);
    expect(readRetryAfter('60', now)).toEqual({ ms: 60_000, shown: '60000 ms (Retry-After 60), until 2026-03-01T00:01:00.000Z' });
    // Binance's longest 418 ban, 3 days: waited whole (it was cut to an hour, and the venue probed hourly during the ban).
    expect(readRetryAfter('259200', now)).toEqual({ ms: 259_200_000, shown: '259200000 ms (Retry-After 259200), until 2026-03-04T00:00:00.000Z' });
    expect(readRetryAfter('1000000000', now)).toEqual({ ms: 345_600_000, shown: '345600000 ms (Retry-After 1000000000, capped at 4 d), until 2026-03-05T00:00:00.000Z' });
    expect(readRetryAfter('Fri, 01 Mar 2058 00:00:00 GMT', now)).toEqual({ ms: 345_600_000, shown: '345600000 ms (Retry-After Fri, 01 Mar 2058 00:00:00 GMT, capped at 4 d), until 2026-03-05T00:00:00.000Z' });
    expect(readRetryAfter('259200', now, 3_600_000)).toEqual({ ms: 3_600_000, shown: '3600000 ms (Retry-After 259200, capped at 1 h), until 2026-03-01T01:00:00.000Z' });
    expect([readRetryAfter(undefined, now), readRetryAfter('soon', now)]).toEqual([undefined, undefined]);
    expect(MarketDataConfigSchema.parse({}).maxRetryAfterMs).toBe(DEFAULT_MAX_RETRY_AFTER_MS);
  });

  it('holds the venue and backs off for 4 days at most on a 429 with Retry-After: 1000000000, the status saying it was capped', async () => {
    srv.failNext('/api/v3/klines', 429, 1, { code: -1003, msg: 'Too many requests.' }, { 'Retry-After': '1000000000' });
    const gw = await pollingGateway();
    await until(() => stack.statuses.some((s) => s.type === 'retrying'), 10_000, 'the 429');
    await gw.stop();
    const retries = stack.statuses.filter((s) => s.type === 'retrying');
    expect(retries.map((s) => (s.type === 'retrying' ? [s.feed, s.code, s.delayMs] : []))).toEqual([['binance BTC/USDT bar 1m', 'RATE_LIMITED', 345_600_000]]);
    expect(retries[0]).toMatchObject({ error: expect.stringContaining('HTTP 429, rate limited for 345600000 ms (Retry-After 1000000000, capped at 4 d), until ') });
  });

  it("waits out a 3-day 418 IP ban whole, every feed held, saying at warn level when the venue is asked again: it was cut to an hour, and each feed's hourly probe could lengthen the ban", async () => {
    srv.failNext('/api/v3/klines', 418, 1, { code: -1003, msg: 'Way too much request weight used; IP banned until later.' }, { 'Retry-After': '259200' });
    const warnings: Array<Record<string, unknown>> = [];
    const log: Logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (fields) => void warnings.push(fields), child: () => log };
    const gw = await pollingGateway(log);
    await until(() => stack.statuses.some((s) => s.type === 'retrying'), 10_000, 'the 418');
    const sent = srv.requests.length;
    await new Promise((r) => setTimeout(r, 300)); // the trade feed polls every 5 ms: it is waiting in the venue's hold by now
    expect(srv.requests.length).toBeLessThanOrEqual(sent + 1); // one may have been on its way
    await gw.stop();
    const retries = stack.statuses.filter((s) => s.type === 'retrying');
    expect(retries).toEqual([expect.objectContaining({ feed: 'binance BTC/USDT bar 1m', code: 'RATE_LIMITED', delayMs: 259_200_000, error: expect.stringMatching(/HTTP 418, banned for 259200000 ms \(Retry-After 259200\), until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) })]);
    expect(stack.sleeps).toContain(259_200_000);
    // The feed's clock here is 1_800_000_000_000 (2027-01-15T08:00:00Z): the retry 3 days on.
    expect(warnings[0]).toEqual(expect.objectContaining({ feed: 'binance BTC/USDT bar 1m', code: 'RATE_LIMITED', delayMs: 259_200_000, retryAt: '2027-01-18T08:00:00.000Z' }));
    // The trade feed waiting in the hold says so too, at warn level, until when (the bar feed's backoff here sleeps 5 ms: it then waits in the hold as well).
    expect(warnings.filter((w) => w['feed'] === 'binance BTC/USDT trade')).toEqual([expect.objectContaining({ code: 'RATE_LIMITED', retryAt: expect.stringMatching(/^2027-01-18T0(7:59:5\d\.\d{3}|8:00:00\.000)Z$/) })]);
    expect(stack.statuses.filter((s) => s.type === 'stopped')).toHaveLength(2);
  });

  it("says every feed waiting in the venue's REST hold `held`, with the ban's message and when it asks again, then `connected`: only the feed that got the 418 said anything, the others looked healthy while they delivered nothing", async () => {
    srv.failNext('/api/v3/klines', 418, 1, { code: -1003, msg: 'Way too much request weight used; IP banned until later.' }, { 'Retry-After': '2' });
    const gw = await pollingGateway();
    const trade = () => stack.statuses.filter((s) => s.feed === 'binance BTC/USDT trade').map((s) => s.type);
    // Its first poll may have gone out before the bar feed's first page (connected) or after it.
    await until(() => /^(connected,)?held,connected$/.test(trade().join()), 15_000, "the trade feed's hold and its end");
    await gw.stop();
    // The trade feed never failed: its poll waited in the hold the bar feed's 418 set.
    expect(stack.statuses.filter((s) => s.type === 'retrying').map((s) => s.feed)).toEqual(['binance BTC/USDT bar 1m']);
    const held = stack.statuses.find((s) => s.type === 'held' && s.feed === 'binance BTC/USDT trade');
    expect(held).toEqual({
      type: 'held',
      feed: 'binance BTC/USDT trade',
      code: 'RATE_LIMITED',
      delayMs: expect.any(Number),
      retryAt: expect.any(Number),
      error: expect.stringMatching(/^binance GET .*\/api\/v3\/klines: HTTP 418, banned for 2000 ms \(Retry-After 2\), until \S+Z: .*IP banned/),
    });
    if (held?.type !== 'held') throw new Error('no held status');
    expect(held.delayMs).toBeGreaterThan(1_000);
    expect(held.delayMs).toBeLessThanOrEqual(2_000);
    expect(held.retryAt).toBe(1_800_000_000_000 + held.delayMs); // the feed's clock
  });

  it('takes the cap from marketData.maxRetryAfterMs', async () => {
    srv.failNext('/api/v3/klines', 418, 1, { code: -1003, msg: 'Way too much request weight used; IP banned until later.' }, { 'Retry-After': '259200' });
    const cfg = MarketDataConfigSchema.parse({
      exchange: 'binance', timeframes: ['1m'], trades: false, quotes: false, mode: 'poll', pollMs: 5, backfillBars: 5, pageLimit: 4,
      backoff: { minMs: 100, maxMs: 1_000 }, urls: { rest: srv.restUrl }, ccxtOptions: { fetchMarkets: { types: ['spot'] } }, maxRetryAfterMs: 600_000,
    });
    const source = await createMarketDataSource(cfg, { assets: [{ venue: 'binance', symbol: 'BTC/USDT' }], env: {}, now: () => 1_800_000_000_000, log: silentLogger, sleep: stack.sleep });
    const gw = start(source, stack.sink());
    await until(() => stack.statuses.some((s) => s.type === 'retrying'), 10_000, 'the 418');
    await gw.stop();
    expect(stack.statuses.find((s) => s.type === 'retrying')).toMatchObject({ code: 'RATE_LIMITED', delayMs: 600_000, error: expect.stringContaining('banned for 600000 ms (Retry-After 259200, capped at 10 min), until ') });
  });

  it('after a 429 with Retry-After: 1 sends nothing to the venue, from any feed, for a second, and backs off at least that long', async () => {
    srv.failNext('/api/v3/klines', 429, 1, { code: -1003, msg: 'Too many requests.' }, { 'Retry-After': '1' });
    const gw = await pollingGateway();
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 5, 15_000, 'backfill after the wait');
    await gw.stop();
    const i = failedIndex();
    expect(i).toBeGreaterThan(0);
    // A request already on its way when the 429 came back may land just after it; none later.
    expect(requestsAfter(i, 50, 995)).toEqual([]);
    expect(requestsAfter(i, 995, 60_000).length).toBeGreaterThan(0);
    const retries = stack.statuses.filter((s) => s.type === 'retrying');
    expect(retries.map((s) => (s.type === 'retrying' ? [s.feed, s.code, s.delayMs] : []))).toEqual([['binance BTC/USDT bar 1m', 'RATE_LIMITED', 1_000]]);
    expect(stack.sleeps).toContain(1_000);
  });

  it('takes a 418 (IP banned) with an HTTP-date Retry-After as banned until then', async () => {
    const at = new Date(Date.now() + 2_500).toUTCString(); // whole seconds: 1.5 to 2.5 s from now
    srv.failNext('/api/v3/klines', 418, 1, { code: -1003, msg: 'Way too much request weight used; IP banned until later.' }, { 'Retry-After': at });
    const gw = await pollingGateway();
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 5, 15_000, 'backfill after the ban');
    await gw.stop();
    const i = failedIndex();
    const wait = Date.parse(at) - (srv.requestTimes[i]! - performance.now() + Date.now());
    expect(requestsAfter(i, 50, Math.min(1_400, wait - 50))).toEqual([]);
    const retry = stack.statuses.find((s) => s.type === 'retrying');
    expect(retry).toMatchObject({ code: 'RATE_LIMITED', error: expect.stringContaining('banned') });
    expect(retry?.type === 'retrying' ? retry.delayMs : 0).toBeGreaterThan(1_000);
  });

  it('after a 503 with Retry-After: 1 sends nothing to the venue for a second, and backs off at least that long (not the plain backoff)', async () => {
    srv.failNext('/api/v3/klines', 503, 1, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' }, { 'Retry-After': '1' });
    const gw = await pollingGateway();
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 5, 15_000, 'backfill after the wait');
    await gw.stop();
    const i = failedIndex();
    expect(requestsAfter(i, 50, 995)).toEqual([]);
    const retries = stack.statuses.filter((s) => s.type === 'retrying');
    expect(retries.map((s) => (s.type === 'retrying' ? [s.feed, s.code, s.delayMs] : []))).toEqual([['binance BTC/USDT bar 1m', 'UNAVAILABLE', 1_000]]);
    expect(retries[0]).toMatchObject({ error: expect.stringContaining('HTTP 503, unavailable for 1000 ms (Retry-After 1)') });
  });

  it("retries a 5xx whatever its body's code: Binance's 503 'Server is currently overloaded' (-1008) stopped the feed for good", async () => {
    srv.failNext('/api/v3/klines', 503, 1, { code: -1008, msg: 'Server is currently overloaded with other requests. Please try again in a few minutes.' });
    srv.failNext('/api/v3/klines', 502, 1, { code: -1121, msg: 'Invalid symbol.' });
    srv.failNext('/api/v3/klines', 504, 1, { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' });
    const gw = await pollingGateway();
    await until(async () => (await stack.bus.countMessages(stack.md)) >= 5, 15_000, 'backfill after the retries');
    await gw.stop();
    expect(stack.statuses.some((s) => s.type === 'failed')).toBe(false);
    const retries = stack.statuses.flatMap((s) => (s.type === 'retrying' ? [[s.feed, s.code, s.delayMs]] : []));
    expect(retries).toEqual([
      ['binance BTC/USDT bar 1m', 'UNAVAILABLE', 100],
      ['binance BTC/USDT bar 1m', 'UNAVAILABLE', 200],
      ['binance BTC/USDT bar 1m', 'NETWORK', 400],
    ]);
    expect(stack.statuses.find((s) => s.type === 'retrying')).toMatchObject({ error: expect.stringContaining('HTTP 503') });
  });



  it('stops at once while holding off for a long Retry-After, sending nothing more', async () => {
    srv.failNext('/api/v3/klines', 429, 1, { code: -1003, msg: 'Too many requests.' }, { 'Retry-After': '60' });
    const gw = await pollingGateway();
    await until(() => stack.statuses.some((s) => s.type === 'retrying'), 10_000, 'the 429');
    const sent = srv.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await gw.stop();
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(srv.requests.length).toBeLessThanOrEqual(sent + 1); // one may have been on its way
    expect(stack.statuses.filter((s) => s.type === 'stopped')).toHaveLength(2);
  });

  it("stops at once in an hour-long 418 ban: the trade feed's poll waiting in the venue's REST hold ends with the stop, which closes the exchange", async () => {
    srv.failNext('/api/v3/klines', 418, 1, { code: -1003, msg: 'Way too much request weight used; IP banned until later.' }, { 'Retry-After': '3600' });
    const gw = await pollingGateway();
    await until(() => stack.statuses.some((s) => s.type === 'retrying'), 10_000, 'the 418');
    const sent = srv.requests.length;
    await new Promise((r) => setTimeout(r, 300)); // the trade feed polls every 5 ms: it is waiting in the hold by now
    expect(srv.requests.length).toBeLessThanOrEqual(sent + 1);
    const t0 = performance.now();
    const stopped = await Promise.race([gw.stop().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 2_000))]);
    if (!stopped) await gw.exchange.close(); // still held: end it here rather than in an hour
    expect(stopped).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(srv.requests.length).toBeLessThanOrEqual(sent + 1);
    expect(stack.statuses.filter((s) => s.type === 'stopped').map((s) => s.feed).sort()).toEqual(['binance BTC/USDT bar 1m', 'binance BTC/USDT trade']);
    expect(stack.statuses.find((s) => s.type === 'retrying')).toMatchObject({ code: 'RATE_LIMITED', delayMs: 3_600_000 });
  });
});

describe('ccxt market data: answers that stop a feed', () => {
  it('stops a feed the venue refuses in this region (HTTP 451) instead of retrying it for ever', async () => {
    const msg = "Service unavailable from a restricted location according to 'b. Eligibility' in https://www.binance.com/en/terms.";
    srv.failNext('/api/v3/klines', 451, 1, { code: 0, msg });
    const gw = await pollingGateway();
    await until(() => stack.statuses.some((s) => s.type === 'failed'), 10_000, 'the bar feed failing');
    await gw.stop();
    expect(stack.statuses.find((s) => s.type === 'failed')).toMatchObject({ feed: 'binance BTC/USDT bar 1m', code: 'EXCHANGE', error: expect.stringContaining('restricted location') });
    expect(stack.statuses.filter((s) => s.type === 'retrying' && s.feed === 'binance BTC/USDT bar 1m')).toEqual([]);
  });

  it('stops a feed whose requests the venue answers 404 without an error code (a wrong REST path) instead of retrying it for ever', async () => {
    srv.failNext('/api/v3/klines', 404, 1, '<html><body><h1>404 Not Found</h1></body></html>');
    const gw = await pollingGateway();
    await until(() => stack.statuses.some((s) => s.type === 'failed'), 10_000, 'the bar feed failing');
    await gw.stop();
    expect(stack.statuses.find((s) => s.type === 'failed')).toMatchObject({ feed: 'binance BTC/USDT bar 1m', code: 'EXCHANGE', error: expect.stringContaining('HTTP 404') });
    expect(stack.statuses.filter((s) => s.type === 'retrying' && s.feed === 'binance BTC/USDT bar 1m')).toEqual([]);
  });

  it('stops the feed a venue answers 409 (Conflict), naming venue, symbol and status, and keeps the other feeds running: ccxt took it for ExchangeNotAvailable, retried for ever', async () => {
    srv.failNext('/api/v3/klines', 409, 1, { code: 0, msg: 'Conflict.' });
    const gw = await pollingGateway();
    await until(() => stack.statuses.some((s) => s.type === 'failed'), 5_000, 'the bar feed failing');
    const failedAt = srv.requests.length;
    await until(() => srv.requests.slice(failedAt).some((r) => r.startsWith('/api/v3/aggTrades')), 5_000, 'the trade feed polling on');
    await gw.stop();
    const failed = stack.statuses.filter((s) => s.type === 'failed');
    expect(failed).toEqual([expect.objectContaining({ feed: 'binance BTC/USDT bar 1m', code: 'EXCHANGE', error: expect.stringMatching(/^binance GET \S+\/api\/v3\/klines: HTTP 409 Conflict/) })]);
    expect(stack.statuses.filter((s) => s.type === 'retrying')).toEqual([]);
    expect(srv.requests.filter((r) => r.startsWith('/api/v3/klines'))).toHaveLength(1);
  });

  it("stops the feed a venue answers 403 (Forbidden: a key without the permission, a CDN blocking the region) as AUTHENTICATION, naming the status and the venue's words: ccxt took it for ExchangeNotAvailable, retried for ever", async () => {
    const page = '<HTML><BODY><H1>403 ERROR</H1>The Amazon CloudFront distribution is configured to block access from your country.</BODY></HTML>';
    srv.failNext('/api/v3/klines', 403, 1, page);
    const gw = await pollingGateway();
    await until(() => stack.statuses.some((s) => s.type === 'failed'), 5_000, 'the bar feed failing');
    const failedAt = srv.requests.length;
    await until(() => srv.requests.slice(failedAt).some((r) => r.startsWith('/api/v3/aggTrades')), 5_000, 'the trade feed polling on');
    await gw.stop();
    expect(stack.statuses.filter((s) => s.type === 'failed')).toEqual([
      expect.objectContaining({ feed: 'binance BTC/USDT bar 1m', code: 'AUTHENTICATION', error: expect.stringMatching(/^binance GET \S+\/api\/v3\/klines: HTTP 403 .*block access from your country/) }),
    ]);
    expect(stack.statuses.filter((s) => s.type === 'retrying')).toEqual([]);
    expect(srv.requests.filter((r) => r.startsWith('/api/v3/klines'))).toHaveLength(1);
  });

  it("keeps a 403 the venue's ccxt table names otherwise: bybit's 403 is its rate limit (RATE_LIMITED, retried)", async () => {
    const bybit = await createCcxtExchange({ exchangeId: 'bybit', restUrl: srv.restUrl });
    srv.failNext('/', 403, 1, 'Forbidden');
    const err = await bybit.fetchTime().then(() => undefined, (e: unknown) => fromCcxtError(e));
    await bybit.close();
    expect(err).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
  });

  it('keeps the class of a 400 whose body the venue names: an unknown symbol (-1121) is BAD_SYMBOL', async () => {
    srv.failNext('/api/v3/klines', 400, 1, { code: -1121, msg: 'Invalid symbol.' });
    const gw = await pollingGateway();
    await until(() => stack.statuses.some((s) => s.type === 'failed'), 10_000, 'the bar feed failing');
    await gw.stop();
    expect(stack.statuses.find((s) => s.type === 'failed')).toMatchObject({ feed: 'binance BTC/USDT bar 1m', code: 'BAD_SYMBOL' });
  });
});
