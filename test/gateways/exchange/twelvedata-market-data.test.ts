import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTwelveDataMarketData, parseVendorTime } from '../../../gateways/market-data/twelvedata-market-data.js';
import type { TwelveDataOptions } from '../../../gateways/market-data/twelvedata-market-data.js';
import type { TradingHours } from '../../../gateways/market-data/trading-hours.js';
import { BTC_1H, dataPath } from '../data.js';
import { readKlines } from './binance-server.js';
import type { Kline } from './binance-server.js';
import { openStack, readStream, start, until } from './harness.js';
import type { Stack } from './harness.js';

/** A TwelveData-style `/time_series` over real hourly bars; `open` is the newest (unfinished) bar. */
type Vendor = {
  url: string;
  open: number;
  /** Open times of bars the vendor has none for (a weekend, a holiday). */
  missing: Set<number>;
  requests: URLSearchParams[];
  /** When each request arrived (`performance.now()`), beside `requests`. */
  times: number[];
  /** `hang`: the request is never answered (the connection stays open until the client gives up). */
  faults: Array<{ status: number; body: unknown; raw?: string; headers?: Readonly<Record<string, string>>; hang?: boolean }>;
  close(): Promise<void>;
};

const stamp = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

async function startVendor(bars: readonly Kline[], open: number): Promise<Vendor> {
  const v: Vendor = { url: '', open, missing: new Set(), requests: [], times: [], faults: [], close: async () => {} };
  const http: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://local');
    v.requests.push(u.searchParams);
    v.times.push(performance.now());
    const send = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const fault = v.faults.shift();
    if (fault?.hang === true) return;
    if (fault?.raw !== undefined) {
      res.writeHead(fault.status, { 'content-type': 'text/html' });
      return void res.end(fault.raw);
    }
    if (fault !== undefined) return send(fault.status, fault.body, fault.headers);
    const q = u.searchParams;
    if (u.pathname !== '/time_series' || q.get('apikey') !== 'k3y') return send(401, { status: 'error', code: 401, message: 'bad key' });
    if (q.get('symbol') !== 'BTC/USD') return send(200, { status: 'error', code: 400, message: `**symbol** ${q.get('symbol')} not found` });
    const start = q.has('start_date') ? parseVendorTime(q.get('start_date')!) : undefined;
    const end = q.has('end_date') ? parseVendorTime(q.get('end_date')!) : undefined;
    const size = Number(q.get('outputsize') ?? 30);
    // Like the vendor: a range holding more than `outputsize` rows is answered with its newest.
    const rows = bars.slice(0, v.open + 1).filter((b) => !v.missing.has(b.ts) && (start === undefined || b.ts >= start) && (end === undefined || b.ts <= end)).slice(-size);
    // Like the vendor: a range without a bar is an error payload, not an empty list.
    if (rows.length === 0) return send(200, { code: 400, message: 'No data is available on the specified dates. Try setting different start/end dates.', status: 'error' });
    send(200, {
      meta: { symbol: 'BTC/USD', interval: q.get('interval') },
      values: rows.map((b) => ({ datetime: stamp(b.ts), open: String(b.open), high: String(b.high), low: String(b.low), close: String(b.close), volume: String(b.volume) })).reverse(),
      status: 'ok',
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  v.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  v.close = () =>
    new Promise<void>((r) => {
      http.close(() => r());
      http.closeAllConnections(); // a hung request's socket too
    });
  return v;
}

let stack: Stack;
let vendor: Vendor;
let bars: Kline[];
const OPEN = 20;

beforeEach(async () => {
  bars = readKlines(dataPath(BTC_1H), 40);
  vendor = await startVendor(bars, OPEN);
  stack = await openStack();
});
afterEach(async () => {
  await vendor.close();
  await stack.teardown();
});

const gateway = (symbolMap: Record<string, string> = { 'BTC/USDT': 'BTC/USD' }, over: Partial<TwelveDataOptions> = {}) =>
  start(
    createTwelveDataMarketData({
      baseUrl: vendor.url, apiKey: 'k3y', assets: [{ venue: 'binance', symbol: 'BTC/USDT' }], symbolMap, timeframes: ['1h'],
      pollMs: 20, backfillBars: 6, backoff: { minMs: 50, maxMs: 400 }, now: () => 1_800_000_000_000, sleep: stack.sleep,
      ...over,
    }),
    stack.sink(),
  );
const subject = () => stack.subjects.bar('binance', 'BTC/USDT', '1h');
const count = () => stack.bus.countMessages(stack.md, subject());

describe('TwelveData-style REST provider (local server, real JetStream)', () => {
  it('publishes closed bars under the asset venue with replay ids, then follows new bars by polling', async () => {
    const gw = gateway();
    await until(async () => (await count()) >= 6, 10_000, 'history');
    vendor.open += 3;
    await until(async () => (await count()) >= 9, 10_000, 'new bars');
    await new Promise((r) => setTimeout(r, 150));
    await gw.stop();
    const got = (await readStream(stack.bus, stack.md, subject())).map((m) => m.msg);
    const want = bars.slice(OPEN - 6, OPEN + 3);
    expect(got.map((b) => b['id'])).toEqual(want.map((b) => `b:binance:BTC/USDT:1h:${b.ts}`));
    expect(got.map((b) => [b['open'], b['high'], b['low'], b['close'], b['volume']])).toEqual(want.map((b) => [b.open, b.high, b.low, b.close, b.volume]));
    // Later polls ask from the high-water mark on.
    expect(vendor.requests.at(-1)?.get('start_date')).toBe(stamp(bars[OPEN + 3]!.ts));
    expect(vendor.requests[0]?.get('interval')).toBe('1h');
    expect(stack.statuses.some((s) => s.type === 'gap')).toBe(false);
  });

  it('with backfillBars 0 publishes the newest closed bar (a page of one published nothing and looped)', async () => {
    const gw = gateway(undefined, { backfillBars: 0 });
    await until(async () => (await count()) >= 1, 10_000, 'the newest closed bar');
    await new Promise((r) => setTimeout(r, 150));
    await gw.stop();
    const got = (await readStream(stack.bus, stack.md, subject())).map((m) => m.msg);
    expect(got.map((b) => b['id'])).toEqual([`b:binance:BTC/USDT:1h:${bars[OPEN - 1]!.ts}`]);
    // The first page holds two rows, the closed bar and the open one (a page of one published nothing, and looped).
    expect(vendor.requests[0]?.get('outputsize')).toBe('2');
  });

  it('after an outage longer than a page fetches every bar it missed: the vendor cuts a long range from its old end', async () => {
    const gw = gateway(undefined, { backfillBars: 2, pageSize: 4 });
    await until(async () => (await count()) >= 2, 10_000, 'history');
    vendor.open += 10; // ten bars closed at once: more than a page
    await until(async () => (await count()) >= 12, 10_000, 'the bars of the outage');
    await new Promise((r) => setTimeout(r, 100));
    await gw.stop();
    const got = (await readStream(stack.bus, stack.md, subject())).map((m) => m.msg['id']);
    expect(got).toEqual(bars.slice(OPEN - 2, OPEN + 10).map((b) => `b:binance:BTC/USDT:1h:${b.ts}`));
    // The older rows were asked for up to just before the first row of the full page.
    expect(vendor.requests.some((q) => q.get('end_date') === stamp(bars[OPEN + 7]!.ts - 1_000))).toBe(true);
  });

  it('backfills across a range the vendor has no bar for (its "No data is available" answer to the older page): the feed stopped there', async () => {
    const gw = gateway(undefined, { backfillBars: 2, pageSize: 4 });
    await until(async () => (await count()) >= 2, 5_000, 'history');
    for (const b of bars.slice(OPEN, OPEN + 7)) vendor.missing.add(b.ts); // closed for seven hours
    vendor.open += 10; // then four bars: a full page, whose older side holds nothing
    await until(async () => (await count()) >= 5, 5_000, 'the bars after the gap');
    await new Promise((r) => setTimeout(r, 100));
    await gw.stop();
    expect(stack.statuses.filter((s) => s.type === 'failed' || s.type === 'retrying')).toEqual([]);
    const got = (await readStream(stack.bus, stack.md, subject())).map((m) => m.msg['id']);
    expect(got).toEqual([...bars.slice(OPEN - 2, OPEN), ...bars.slice(OPEN + 7, OPEN + 10)].map((b) => `b:binance:BTC/USDT:1h:${b.ts}`));
    // The hole is said, as the ccxt feed says it: the seven hours from the high-water mark on, up to the open bar.
    expect(stack.statuses.filter((s) => s.type === 'gap')).toEqual([
      { type: 'gap', feed: 'binance BTC/USDT bar 1h', from: bars[OPEN]!.ts, to: bars[OPEN + 10]!.ts, missing: 7, detail: expect.stringContaining('twelvedata answered no bar for 7 of the 1h intervals') },
    ]);
    // The older page was asked for, up to just before the full page's first row.
    expect(vendor.requests.some((q) => q.get('end_date') === stamp(bars[OPEN + 7]!.ts - 1_000))).toBe(true);
  });

  describe('bars the vendor does not have: a gap status and a warning, as on the ccxt feeds (they were skipped silently)', () => {
    const gaps = () => stack.statuses.filter((s) => s.type === 'gap');
    const gap = (from: number, to: number, missing: number, why: string) => ({ type: 'gap', feed: 'binance BTC/USDT bar 1h', from: bars[from]!.ts, to: bars[to]!.ts, missing, detail: expect.stringContaining(why) });

    it('says bars absent between two the vendor returned, and a hole before the open bar once however many polls see it', async () => {
      const gw = gateway(undefined, { backfillBars: 2 });
      await until(async () => (await count()) >= 2, 5_000, 'history');
      vendor.missing.add(bars[OPEN + 1]!.ts).add(bars[OPEN + 3]!.ts);
      vendor.open += 5;
      await until(async () => (await count()) >= 5, 5_000, 'the bars around the holes');
      expect(gaps()).toEqual([gap(OPEN, OPEN + 5, 2, 'twelvedata answered no bar for 2 of the 1h intervals from')]);
      // Two hours without a bar, then only the open bar: every poll sees the hole until that bar closes.
      vendor.missing.add(bars[OPEN + 5]!.ts).add(bars[OPEN + 6]!.ts);
      vendor.open += 2;
      await until(() => gaps().length >= 2, 5_000, 'the second gap');
      const asked = vendor.requests.length;
      await until(() => vendor.requests.length >= asked + 5, 5_000, 'more polls');
      vendor.open += 1;
      await until(async () => (await count()) >= 6, 5_000, 'the bar after the second hole');
      await until(() => vendor.requests.length >= asked + 10, 5_000, 'more polls');
      await gw.stop();
      expect(gaps()).toEqual([gap(OPEN, OPEN + 5, 2, 'no bar for 2'), gap(OPEN + 5, OPEN + 7, 2, 'no bar for 2')]);
      const got = (await readStream(stack.bus, stack.md, subject())).map((m) => m.msg['id']);
      expect(got).toEqual([OPEN - 2, OPEN - 1, OPEN, OPEN + 2, OPEN + 4, OPEN + 7].map((i) => `b:binance:BTC/USDT:1h:${bars[i]!.ts}`));
      expect(stack.statuses.filter((s) => s.type === 'failed' || s.type === 'retrying')).toEqual([]);
    });

    it('says a hole in the first backfill', async () => {
      vendor.missing.add(bars[OPEN - 3]!.ts);
      const gw = gateway();
      await until(async () => (await count()) >= 6, 5_000, 'history');
      await gw.stop();
      // The newest seven rows reach back one hour further: the hole lies between the oldest and the open bar.
      expect(gaps()).toEqual([gap(OPEN - 7, OPEN, 1, 'no bar for 1 of the 1h intervals')]);
    });

    it("says 'backfilled' after a poll that read more than the bar closed since the last (the first start's history, an outage with a hole), before its gap, as the ccxt feed does; a poll that brings the one new bar says nothing", async () => {
      const gw = gateway();
      await until(async () => (await count()) >= 6, 5_000, 'history');
      vendor.open += 1;
      await until(async () => (await count()) >= 7, 5_000, 'the next bar');
      vendor.missing.add(bars[OPEN + 2]!.ts);
      vendor.open += 4; // an outage: four hours at once, one of them without a bar
      await until(() => gaps().length >= 1, 5_000, 'the gap');
      await gw.stop();
      const feed = 'binance BTC/USDT bar 1h';
      expect(stack.statuses.filter((s) => s.type === 'backfilled' || s.type === 'gap')).toEqual([
        { type: 'backfilled', feed, from: bars[OPEN - 6]!.ts, to: bars[OPEN]!.ts, published: 6 },
        { type: 'backfilled', feed, from: bars[OPEN + 1]!.ts, to: bars[OPEN + 5]!.ts, published: 3 },
        gap(OPEN + 1, OPEN + 5, 1, 'no bar for 1 of the 1h intervals'),
      ]);
      expect(await count()).toBe(10);
    });

    describe("a market that closes (tradingHours): its nights and weekends were a gap each", () => {
      // Bar i opens i hours after Monday 2020-05-11 00:00 UTC; in May New York is UTC-4, so a
      // 09:30-16:00 session holds the bars opening 13:00 to 19:00 UTC of each weekday.
      const NYSE = { timezone: 'America/New_York', week: { mon: '09:30-16:00', tue: '09:30-16:00', wed: '09:30-16:00', thu: '09:30-16:00', fri: '09:30-16:00' } };
      const at = (day: number, hourUtc: number) => day * 24 + hourUtc;
      const stock = (hours: Record<string, TradingHours>) => {
        bars.push(...readKlines(dataPath(BTC_1H), 200).slice(bars.length));
        // Like the vendor for a stock: no bar while the exchange is closed.
        for (const [i, b] of bars.entries()) if (i % 24 < 13 || i % 24 > 19 || i >= at(5, 0) && i < at(7, 0)) vendor.missing.add(b.ts);
        vendor.open = at(3, 18); // Thursday 14:00 New York
        return gateway(undefined, { backfillBars: 2, tradingHours: hours });
      };

      it("says no gap for a night and a weekend without bars, and still one for an hour missing inside a session", async () => {
        const gw = stock({ 'BTC/USDT': NYSE });
        await until(async () => (await count()) >= 2, 5_000, 'history');
        vendor.open = at(7, 15); // Monday 11:00 New York: Thursday's last bars, Friday, a weekend, Monday's first
        await until(async () => (await count()) >= 2 + 1 + 7 + 2, 5_000, 'the bars after the weekend');
        vendor.missing.add(bars[at(7, 16)]!.ts); // Monday noon: the vendor lacks it
        vendor.open = at(7, 18);
        await until(async () => (await count()) >= 2 + 1 + 7 + 2 + 2, 5_000, 'the bars around the hole');
        await new Promise((r) => setTimeout(r, 100));
        await gw.stop();
        expect(gaps()).toEqual([gap(at(7, 15), at(7, 18), 1, 'twelvedata answered no bar for 1 of the 1h intervals')]);
        expect(stack.statuses.filter((s) => s.type === 'failed' || s.type === 'retrying')).toEqual([]);
      });

      it('says no gap for a holiday the hours list; a symbol they do not name still gets every closure as a gap', async () => {
        const gw = stock({ 'BTC/USDT': { ...NYSE, holidays: ['2020-05-15'] } });
        await until(async () => (await count()) >= 2, 5_000, 'history');
        for (let h = 13; h <= 19; h++) vendor.missing.add(bars[at(4, h)]!.ts); // Friday: a holiday, no bar
        vendor.open = at(7, 15);
        await until(async () => (await count()) >= 2 + 1 + 2, 5_000, 'the bars after the long weekend');
        await new Promise((r) => setTimeout(r, 100));
        await gw.stop();
        expect(gaps()).toEqual([]);
        // Hours given for another symbol do not apply: the closure is a gap, as for crypto.
        await stack.teardown();
        stack = await openStack();
        vendor.missing.clear();
        const other = stock({ 'ETH/USDT': NYSE });
        await until(async () => (await count()) >= 2, 5_000, 'history');
        vendor.open = at(7, 15);
        await until(async () => (await count()) >= 2 + 1 + 7 + 2, 5_000, 'the bars after the weekend');
        await other.stop();
        // From the high-water mark on: Thursday's two, Friday's seven and Monday's two hours answered.
        expect(gaps()).toEqual([gap(at(3, 18), at(7, 15), at(7, 15) - at(3, 18) - 2 - 7 - 2, 'no bar for 82 of the 1h intervals')]);
      });
    });

    it('counts a bar the sink refused (a malformed one) as missing, not as answered', async () => {
      const gw = gateway(undefined, { backfillBars: 2 });
      await until(async () => (await count()) >= 2, 5_000, 'history');
      const b = bars[OPEN + 1]!;
      bars[OPEN + 1] = { ...b, high: b.low - 1 };
      vendor.open += 3;
      await until(async () => (await count()) >= 4, 5_000, 'the bars around the malformed one');
      await gw.stop();
      expect(await stack.bus.countMessages(stack.dlq)).toBe(1);
      expect(gaps()).toEqual([gap(OPEN, OPEN + 3, 1, 'twelvedata answered a bar refused to the DLQ for 1 of the 1h intervals')]);
    });
  });

  it('surfaces an error payload (unknown symbol) and stops that feed without retrying', async () => {
    const gw = gateway({});
    await until(() => stack.statuses.some((s) => s.type === 'failed'), 10_000, 'failure');
    await gw.stop();
    // The feed is named after the asset's venue (binance): the error names the vendor and its symbol.
    expect(stack.statuses.find((s) => s.type === 'failed')).toMatchObject({ code: 'BAD_SYMBOL', error: 'twelvedata GET /time_series (BTC/USDT 1h): 400 **symbol** BTC/USDT not found' });
    expect(stack.statuses.some((s) => s.type === 'retrying')).toBe(false);
    expect(vendor.requests).toHaveLength(1);
    expect(await count()).toBe(0);
  });

  it('takes "No data is available on the specified dates" (a weekend, a holiday, history that starts later) for an empty page and polls on: it stopped the feed', async () => {
    const gw = gateway();
    await until(async () => (await count()) >= 6, 5_000, 'history');
    const noData = { status: 'error', code: 400, message: 'No data is available on the specified dates. Try setting different start/end dates.' };
    vendor.faults.push({ status: 200, body: noData }, { status: 400, body: noData });
    const asked = vendor.requests.length;
    await until(() => vendor.requests.length >= asked + 3, 5_000, 'polls after the empty pages');
    vendor.open += 3;
    await until(async () => (await count()) >= 9, 5_000, 'the bars after the gap');
    await gw.stop();
    expect(stack.statuses.filter((s) => s.type === 'failed' || s.type === 'retrying')).toEqual([]);
    const got = (await readStream(stack.bus, stack.md, subject())).map((m) => m.msg['id']);
    expect(got).toEqual(bars.slice(OPEN - 6, OPEN + 3).map((b) => `b:binance:BTC/USDT:1h:${b.ts}`));
  });

  it('still stops on any other 400 (a bad parameter), with the vendor\'s words', async () => {
    vendor.faults.push({ status: 400, body: { status: 'error', code: 400, message: '**start_date** parameter is incorrect' } });
    const gw = gateway();
    await until(() => stack.statuses.some((s) => s.type === 'failed'), 5_000, 'failure');
    await gw.stop();
    expect(stack.statuses.find((s) => s.type === 'failed')).toMatchObject({ code: 'BAD_SYMBOL', error: 'twelvedata GET /time_series (BTC/USD 1h): 400 **start_date** parameter is incorrect' });
    expect(vendor.requests).toHaveLength(1);
  });

  it('retries HTTP 429 and a 429 error payload with backoff, then succeeds', async () => {
    vendor.faults.push({ status: 429, body: { status: 'error', code: 429, message: 'too many requests' } });
    vendor.faults.push({ status: 200, body: { status: 'error', code: 429, message: 'You have run out of API credits' } });
    vendor.faults.push({ status: 503, body: { status: 'error', code: 500, message: 'down' } });
    const gw = gateway();
    await until(async () => (await count()) >= 6, 10_000, 'history after retries');
    await gw.stop();
    const retries = stack.statuses.flatMap((s) => (s.type === 'retrying' ? [[s.code, s.delayMs]] : []));
    expect(retries).toEqual([['RATE_LIMITED', 50], ['RATE_LIMITED', 100], ['UNAVAILABLE', 200]]);
    expect(await count()).toBe(6);
  });
  it('retries a 5xx, a 408 or a 429 whatever its body says (a 503 whose payload says 400 stopped the feed as an unknown symbol)', async () => {
    vendor.faults.push({ status: 503, body: { status: 'error', code: 400, message: '**symbol** BTC/USD not found' } });
    vendor.faults.push({ status: 502, body: { status: 'error', code: 401, message: 'bad key' } });
    vendor.faults.push({ status: 408, body: { status: 'error', code: 404, message: 'not found' } });
    vendor.faults.push({ status: 408, body: undefined, raw: '<html>Request Timeout</html>' });
    const gw = gateway();
    await until(async () => (await count()) >= 6, 10_000, 'history after retries');
    await gw.stop();
    const retries = stack.statuses.flatMap((s) => (s.type === 'retrying' ? [[s.code, s.error]] : []));
    const at = 'twelvedata GET /time_series (BTC/USD 1h)';
    expect(retries).toEqual([
      ['UNAVAILABLE', `${at}: HTTP 503: 400 **symbol** BTC/USD not found`],
      ['UNAVAILABLE', `${at}: HTTP 502: 401 bad key`],
      ['NETWORK', `${at}: HTTP 408: 404 not found`],
      ['NETWORK', `${at}: HTTP 408`],
    ]);
    expect(stack.statuses.some((s) => s.type === 'failed')).toBe(false);
  });

  it('gives up on a request the vendor never answers after timeoutMs and retries it (the feed stalled for good, with no status)', async () => {
    vendor.faults.push({ status: 0, body: undefined, hang: true });
    const gw = gateway(undefined, { timeoutMs: 300 });
    await until(async () => (await count()) >= 6, 10_000, 'history after the timeout');
    await gw.stop();
    const retries = stack.statuses.flatMap((s) => (s.type === 'retrying' ? [[s.code, s.error]] : []));
    expect(retries).toEqual([['NETWORK', 'twelvedata GET /time_series (BTC/USD 1h): no answer in 300 ms']]);
  });

  it('stops at once while a request is in flight that the vendor does not answer', async () => {
    vendor.faults.push({ status: 0, body: undefined, hang: true });
    const gw = gateway();
    await until(() => vendor.requests.length >= 1, 10_000, 'the request');
    const t0 = performance.now();
    await gw.stop();
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(stack.statuses.filter((s) => s.type === 'stopped')).toHaveLength(1);
    expect(stack.statuses.some((s) => s.type === 'retrying' || s.type === 'failed')).toBe(false);
  });

  it('still stops on an error payload with a 4xx status (a bad key)', async () => {
    vendor.faults.push({ status: 401, body: { status: 'error', code: 401, message: '**apikey** parameter is incorrect' } });
    const gw = gateway();
    await until(() => stack.statuses.some((s) => s.type === 'failed'), 10_000, 'failure');
    await gw.stop();
    expect(stack.statuses.find((s) => s.type === 'failed')).toMatchObject({ code: 'AUTHENTICATION', error: expect.stringContaining('apikey') });
    expect(vendor.requests).toHaveLength(1);
  });

  describe("the vendor's Retry-After", () => {

    /** Two feeds asking every few milliseconds. */
    const twoFeeds = () =>
      gateway({ 'BTC/USDT': 'BTC/USD', 'ETH/USDT': 'BTC/USD' }, { assets: [{ venue: 'binance', symbol: 'BTC/USDT' }, { venue: 'binance', symbol: 'ETH/USDT' }], pollMs: 5 });
    /** Requests that arrived in (from, to) ms after the first one. */
    const after = (from: number, to: number) => vendor.times.filter((t, i) => i > 0 && t > vendor.times[0]! + from && t < vendor.times[0]! + to);

    it('after an HTTP 503 with Retry-After: 1 sends nothing, from any feed, for a second, and backs off at least that long', async () => {
      vendor.faults.push({ status: 503, body: { status: 'error', code: 500, message: 'maintenance' }, headers: { 'Retry-After': '1' } });
      const gw = twoFeeds();
      await until(async () => (await count()) >= 6 && (await stack.bus.countMessages(stack.md, stack.subjects.bar('binance', 'ETH/USDT', '1h'))) >= 6, 15_000, 'history after the wait');
      await gw.stop();
      expect(after(50, 995)).toEqual([]);
      expect(after(995, 60_000).length).toBeGreaterThan(0);
      const retries = stack.statuses.flatMap((s) => (s.type === 'retrying' ? [[s.code, s.delayMs, s.error]] : []));
      expect(retries).toEqual([['UNAVAILABLE', 1_000, expect.stringContaining('unavailable for 1000 ms (Retry-After 1)')]]);
    });

    for (const [what, status] of [['an HTTP 429', 429], ['a 429 error payload sent with a 200', 200]] as const) {
      it(`after ${what} with Retry-After: 1 sends nothing, from any feed, for a second, and backs off at least that long`, async () => {
        vendor.faults.push({ status, body: { status: 'error', code: 429, message: 'You have run out of API credits for the current minute' }, headers: { 'Retry-After': '1' } });
        const gw = twoFeeds();
        await until(async () => (await count()) >= 6 && (await stack.bus.countMessages(stack.md, stack.subjects.bar('binance', 'ETH/USDT', '1h'))) >= 6, 15_000, 'history after the wait');
        await gw.stop();
        // The other feed's first request may have been on its way when the 429 came back (the
        // second to arrive, however late a loaded host delivers it); none after it.
        expect(vendor.times.slice(2).filter((t) => t < vendor.times[0]! + 995)).toEqual([]);
        expect(after(995, 60_000).length).toBeGreaterThan(0);
        const retries = stack.statuses.flatMap((s) => (s.type === 'retrying' ? [[s.code, s.delayMs, s.error]] : []));
        expect(retries).toEqual([['RATE_LIMITED', 1_000, expect.stringContaining('rate limited for 1000 ms (Retry-After 1)')]]);
        expect(stack.sleeps).toContain(1_000);
      });
    }

    it('reads an HTTP-date Retry-After against the wall clock', async () => {
      const wall = Date.parse('2026-03-01T00:00:00.000Z');
      vendor.faults.push({ status: 429, body: { status: 'error', code: 429, message: 'too many requests' }, headers: { 'Retry-After': 'Sun, 01 Mar 2026 00:00:01 GMT' } });
      const t0 = performance.now();
      const gw = gateway(undefined, { wallClock: () => wall + (performance.now() - t0) });
      await until(async () => (await count()) >= 6, 10_000, 'history after the wait');
      await gw.stop();
      const retry = stack.statuses.find((s) => s.type === 'retrying');
      expect(retry).toMatchObject({ code: 'RATE_LIMITED', error: expect.stringContaining('Retry-After Sun, 01 Mar 2026 00:00:01 GMT') });
      // A second after the wall clock's start, less the time until the 429 was answered (the
      // vendor's receipt of the request, on the same clock): a loaded host took over 200 ms to
      // start the gateway and send it once, which a fixed lower bound of 800 ms failed; the 429 then waits in the host too (500 ms allowed).
      const answeredAfter = (vendor.times[0] ?? t0) - t0;
      const delay = retry?.type === 'retrying' ? retry.delayMs : 0;
      expect(delay).toBeLessThanOrEqual(1_000 - answeredAfter + 1);
      expect(delay).toBeGreaterThan(1_000 - answeredAfter - 500);
    });

    it('waits 4 days at most for a Retry-After of 1000000000 s, the status saying it was capped', async () => {
      vendor.faults.push({ status: 429, body: { status: 'error', code: 429, message: 'too many requests' }, headers: { 'Retry-After': '1000000000' } });
      const gw = gateway();
      await until(() => stack.statuses.some((s) => s.type === 'retrying'), 10_000, 'the 429');
      await gw.stop();
      const retries = stack.statuses.flatMap((s) => (s.type === 'retrying' ? [[s.code, s.delayMs, s.error]] : []));
      expect(retries).toEqual([['RATE_LIMITED', 345_600_000, expect.stringContaining('rate limited for 345600000 ms (Retry-After 1000000000, capped at 4 d), until ')]]);
    });

    it('stops at once while holding off for a long Retry-After, sending nothing more', async () => {
      vendor.faults.push({ status: 429, body: { status: 'error', code: 429, message: 'too many requests' }, headers: { 'Retry-After': '60' } });
      const gw = twoFeeds();
      await until(() => stack.statuses.some((s) => s.type === 'retrying'), 10_000, 'the 429');
      await new Promise((r) => setTimeout(r, 200));
      const t0 = performance.now();
      await gw.stop();
      expect(performance.now() - t0).toBeLessThan(1_000);
      expect(vendor.requests.length).toBeLessThanOrEqual(2); // the other feed's first may have been on its way
      expect(stack.statuses.filter((s) => s.type === 'stopped')).toHaveLength(2);
    });
  });

  it('retries an answer that is not JSON (a proxy page with a 200, a body cut short), and stops on JSON of another shape', async () => {
    vendor.faults.push({ status: 200, body: undefined, raw: '<html><body>502 Bad Gateway</body></html>' });
    vendor.faults.push({ status: 200, body: undefined, raw: '{"meta":{"symbol":"BTC/USD"},"values":[{"datetime":"2024-01-0' });
    const gw = gateway();
    await until(async () => (await count()) >= 6, 10_000, 'history after retries');
    const retries = stack.statuses.flatMap((s) => (s.type === 'retrying' ? [[s.code, s.delayMs]] : []));
    expect(retries).toEqual([['BAD_RESPONSE', 50], ['BAD_RESPONSE', 100]]);
    vendor.faults.push({ status: 200, body: { status: 'ok', rows: [] } });
    vendor.open += 2;
    await until(() => stack.statuses.some((s) => s.type === 'failed'), 10_000, 'failure');
    await gw.stop();
    expect(stack.statuses.find((s) => s.type === 'failed')).toMatchObject({ code: 'EXCHANGE', error: expect.stringContaining('unexpected answer') });
    expect(stack.statuses.filter((s) => s.type === 'retrying')).toHaveLength(2);
    expect(await count()).toBe(6);
  });

  it('spaces the requests of all its feeds by the plan\'s requests per minute', async () => {
    // Two feeds polling every 5 ms (the injected sleep) would send hundreds a second; a budget of
    // 600 a minute lets one through every 100 ms. Timed where the requests are sent.
    const sent: number[] = [];
    let answered = 0;
    const gw = gateway(
      { 'BTC/USDT': 'BTC/USD', 'ETH/USDT': 'BTC/USD' },
      {
        assets: [{ venue: 'binance', symbol: 'BTC/USDT' }, { venue: 'binance', symbol: 'ETH/USDT' }],
        requestsPerMinute: 600,
        pollMs: 1,
        fetch: async (input, init) => {
          sent.push(performance.now());
          const res = await fetch(input, init);
          answered++;
          return res;
        },
      },
    );
    await new Promise((r) => setTimeout(r, 2_000));
    await gw.stop();
    let worst = 0;
    for (const t0 of sent) worst = Math.max(worst, sent.filter((t) => t >= t0 && t < t0 + 1_000).length);
    const gaps = sent.slice(1).map((t, i) => t - sent[i]!);
    console.info(`requests per minute: ${sent.length} requests in ${((sent.at(-1) ?? 0) - (sent[0] ?? 0)).toFixed(0)} ms, at most ${worst} in any second, closest ${Math.min(...gaps).toFixed(1)} ms apart`);
    expect(worst).toBeLessThanOrEqual(10);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(99);
    // Both feeds shared the budget, together used most of it, and the vendor saw every request.
    expect(sent.length).toBeGreaterThanOrEqual(14);
    // Every answered request reached the vendor; one sent as the gateway stopped may have been cut off on its way.
    expect(vendor.requests.length).toBeGreaterThanOrEqual(answered);
    expect(vendor.requests.length).toBeLessThanOrEqual(sent.length);
    expect(sent.length - answered).toBeLessThanOrEqual(1);
    expect(new Set(vendor.requests.map((q) => q.get('symbol')))).toEqual(new Set(['BTC/USD']));
    expect(await stack.bus.countMessages(stack.md, stack.subjects.bar('binance', 'ETH/USDT', '1h'))).toBe(6);
    expect(await count()).toBe(6);
  });
});
