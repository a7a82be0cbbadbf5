import { AuthenticationError, BadRequest, BadSymbol, ExchangeError, NetworkError, NotSupported, PermissionDenied } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCcxtExchange } from '../../../gateways/market-data/ccxt-exchange.js';
import { fromCcxtError, fromCcxtWatchError, GatewayError, GatewayErrorCode } from '../../../gateways/market-data/errors.js';
import { runFeedLoop } from '../../../gateways/market-data/feed-loop.js';
import type { FeedSink, GatewayStatus } from '../../../gateways/market-data/market-data-source.js';
import { silentLogger } from '../../../state/logger.js';
import { binanceExchange, binanceSource, closeBinanceWorld, openBinanceWorld } from '../../support/binance-world.js';
import type { BinanceServer } from './binance-server.js';
import { start, until } from './harness.js';
import type { Stack } from './harness.js';


describe('errors a venue pushes over its websocket', () => {
  it('retries what ccxt could not name (a plain ExchangeError, a raw frame) and keeps the meaning of what it could', () => {
    const cases: Array<[unknown, string, boolean]> = [
      [new ExchangeError('binance {"code":-1008,"msg":"Server is currently overloaded"}'), 'STREAM', true],
      [{ error: { code: 0, msg: 'Unknown property' } }, 'STREAM', true],
      [new BadSymbol('x'), 'BAD_SYMBOL', false],
      [new AuthenticationError('x'), 'AUTHENTICATION', false],
      [new PermissionDenied('x'), 'AUTHENTICATION', false],
      [new BadRequest('x'), 'EXCHANGE', false],
      [new NotSupported('x'), 'EXCHANGE', false],
      [new (class extends ExchangeError {})('x'), 'EXCHANGE', false],
      [new NetworkError('x'), 'NETWORK', true],
    ];
    for (const [e, code, retryable] of cases) expect([e, fromCcxtWatchError(e).code, fromCcxtWatchError(e).retryable]).toEqual([e, code, retryable]);
    // From REST, a plain ExchangeError is still the venue refusing what was asked.
    expect(fromCcxtError(new ExchangeError('x')).retryable).toBe(false);
    expect(fromCcxtWatchError({ error: { code: 0, msg: 'Unknown property' } }).message).toContain('Unknown property');
  });

  it('takes a stream error repeated on every resubscription for permanent after five tries in a row', async () => {
    const statuses: GatewayStatus[] = [];
    const sink = { status: (s: GatewayStatus) => void statuses.push(s) } as unknown as FeedSink;
    let steps = 0;
    const ac = new AbortController();
    await runFeedLoop({
      feed: 'f', mode: 'watch', sink, signal: ac.signal, sleep: async () => {}, backoff: { minMs: 1, maxMs: 1 }, log: silentLogger, now: () => 0,
      classify: fromCcxtWatchError,
      step: async () => {
        steps++;
        if (steps > 50) ac.abort(); // retried for ever: the assertions below say so
        // A success in between starts the count again: 3 failures, 1 success, then failures only.
        if (steps === 4) return;
        throw new ExchangeError('binance {"code":2,"msg":"Invalid request: invalid stream"}');
      },
    });
    expect(steps).toBe(9);
    expect(statuses.filter((s) => s.type === 'retrying')).toHaveLength(3 + 4);
    expect(statuses.at(-1)).toMatchObject({ type: 'failed', code: 'STREAM', error: expect.stringContaining('5 times in a row') });
    expect(new GatewayError(GatewayErrorCode.NETWORK, 'x').maxAttempts).toBeUndefined();
  });
});

describe('ccxt market data: error frames on the binance websocket', () => {
  let srv: BinanceServer;
  let stack: Stack;
  beforeEach(async () => void ({ srv, stack } = await openBinanceWorld()));
  afterEach(() => closeBinanceWorld({ srv, stack }));

  async function gateway() {
    return start(binanceSource(await binanceExchange(srv), stack), stack.sink());
  }
  const bars = () => stack.bus.countMessages(stack.md, stack.subjects.bar('binance', 'BTC/USDT', '1m'));

  it('retries after an error frame ccxt cannot name (server overloaded) and goes on publishing bars, none missed', async () => {
    const gw = await gateway();
    await until(() => srv.subscribed('btcusdt@kline_1m'), 10_000, 'subscription');
    await until(async () => (await bars()) >= 5, 10_000, 'backfill');
    // ccxt drops an error frame without an id that comes while no watch of the client is pending
    // (binance's handleWsError rejects only the futures there are: Client.reject with no message
    // hash), which on a busy host happens while the feed publishes the bars of the last one: the
    // frame is sent again each second until the feed has taken one (the retry comes within
    // milliseconds of it, so no second frame reaches the new subscription).
    const frame = JSON.stringify({ error: { code: -1008, msg: 'Server is currently overloaded with other requests. Please try again in a few minutes.' } });
    const retried = (): boolean => stack.statuses.some((s) => s.type === 'retrying');
    for (let tries = 0; !retried() && tries < 10; tries++) {
      srv.sendRaw('btcusdt@kline_1m', frame);
      await until(retried, 1_000, 'retry').catch(() => undefined);
    }
    await until(retried, 1_000, 'retry');
    srv.advance('BTCUSDT', 2);
    await until(async () => (await bars()) >= 7, 10_000, 'bars after the error');
    await gw.stop();
    expect(stack.statuses.filter((s) => s.type === 'retrying')).toEqual([expect.objectContaining({ code: 'STREAM', error: expect.stringContaining('overloaded') })]);
    expect(stack.statuses.some((s) => s.type === 'failed')).toBe(false);
  });

  it('stops the feed with failed on an error frame ccxt names as permanent (unknown symbol), without retrying', async () => {
    const gw = await gateway();
    await until(() => srv.subscribed('btcusdt@kline_1m'), 10_000, 'subscription');
    await until(async () => (await bars()) >= 5, 10_000, 'backfill');
    srv.sendRaw('btcusdt@kline_1m', JSON.stringify({ error: { code: -1121, msg: 'Invalid symbol.' } }));
    await until(() => stack.statuses.some((s) => s.type === 'failed'), 10_000, 'failure');
    await gw.stop();
    expect(stack.statuses.filter((s) => s.type === 'failed')).toEqual([expect.objectContaining({ code: 'BAD_SYMBOL' })]);
    expect(stack.statuses.some((s) => s.type === 'retrying')).toBe(false);
  });
});

describe('ccxt market data: a websocket handshake the venue refuses with an HTTP status', () => {
  let srv: BinanceServer;
  let stack: Stack;
  beforeEach(async () => void ({ srv, stack } = await openBinanceWorld()));
  afterEach(() => closeBinanceWorld({ srv, stack }));

  const feedsOn = async (exchangeId = 'binance') => {
    return start(binanceSource(await binanceExchange(srv, { exchangeId }), stack, { trades: true, backoff: { minMs: 10, maxMs: 10 } }), stack.sink());
  };

  /**
   * Waits for both feeds to end on their own (run() returns: before, they retried until stopped),
   * stops the gateway, and expects each feed failed with `code` and `error` (the url's port and path
   * read `:PORT/stream/ws…`), none retrying, no websocket left open.
   */
  const expectFeedsFailed = async (gw: Awaited<ReturnType<typeof feedsOn>>, code: string, error: unknown): Promise<void> => {
    await Promise.race([gw.done, until(() => stack.statuses.filter((s) => s.type === 'retrying').length >= 3, 10_000, 'the feeds ending or retrying')]);
    await gw.stop();
    const failed = stack.statuses.filter((s) => s.type === 'failed');
    expect(failed.map((s) => (s.type === 'failed' ? [s.feed, s.code, s.error.replace(/:\d+\/stream\/ws\S*:/, ':PORT/stream/ws…:')] : []))).toEqual(
      ['binance BTC/USDT bar 1m', 'binance BTC/USDT trade'].map((feed) => [feed, code, error]),
    );
    expect(stack.statuses.filter((s) => s.type === 'retrying')).toEqual([]);
    expect(srv.connections()).toBe(0);
  };

  it('stops the feed with failed AUTHENTICATION naming the 403, as a REST 403 does, instead of reconnecting for ever', async () => {
    srv.setWsDown(true, 403, 'The Amazon CloudFront distribution is configured to block access from your country.');
    await expectFeedsFailed(await feedsOn(), 'AUTHENTICATION', expect.stringMatching(/^binance websocket ws:\/\/127\.0\.0\.1:PORT\/stream\/ws…: HTTP 403 on the handshake/));
  });

  it.each([
    [451, 'EXCHANGE', 'the venue refuses connections from this location', 'Service unavailable from a restricted location according to \'b. Eligibility\' in https://www.binance.com/en/terms.'],
    [404, 'EXCHANGE', 'the venue refuses this request (a wrong `marketData.urls.ws` path, a bad request)', 'Not Found'],
  ])('stops the feeds on a handshake refused with %i (failed %s, naming the url and status) instead of reconnecting for ever', async (status, code, meaning, body) => {
    srv.setWsDown(true, status, body);
    await expectFeedsFailed(await feedsOn(), code, `binance websocket ws://127.0.0.1:PORT/stream/ws…: HTTP ${status} on the handshake, ${meaning}`);
  });

  it('keeps retrying a handshake refused with 429 (rate limited), and the feeds connect once the venue takes them', async () => {
    srv.setWsDown(true, 429, 'Too Many Requests');
    const gw = await feedsOn();
    await until(() => stack.statuses.filter((s) => s.type === 'retrying').length >= 4, 10_000, 'the feeds retrying');
    const retrying = stack.statuses.filter((s) => s.type === 'retrying');
    expect(new Set(retrying.map((s) => (s.type === 'retrying' ? s.code : undefined)))).toEqual(new Set(['RATE_LIMITED']));
    expect(retrying[0]).toMatchObject({ error: expect.stringMatching(/^binance websocket ws:\/\/127\.0\.0\.1:\d+\/stream\/ws\S*: HTTP 429 on the handshake, rate limited, retried$/) });
    expect(stack.statuses.filter((s) => s.type === 'failed')).toEqual([]);
    srv.setWsDown(false);
    await until(() => srv.connections() > 0, 10_000, 'a websocket connection');
    await gw.stop();
    expect(stack.statuses.filter((s) => s.type === 'failed')).toEqual([]);
  });

  it("waits at least a refused handshake's Retry-After (seconds) before dialling again, the wait named in the status", async () => {
    srv.setWsDown(true, 429, 'Too Many Requests', { 'Retry-After': '60' });
    const gw = await feedsOn();
    await until(() => stack.statuses.filter((s) => s.type === 'retrying').length >= 2, 10_000, 'the feeds retrying');
    await gw.stop();
    const retrying = stack.statuses.filter((s) => s.type === 'retrying');
    for (const s of retrying) {
      expect(s).toMatchObject({ code: 'RATE_LIMITED', error: expect.stringMatching(/^binance websocket ws:\/\/127\.0\.0\.1:\d+\/stream\/ws\S*: HTTP 429 on the handshake, rate limited for 60000 ms \(Retry-After 60\), until \S+Z, retried$/) });
      expect(s.type === 'retrying' ? s.delayMs : 0).toBeGreaterThanOrEqual(60_000);
    }
    // The feeds' backoff (10 ms) never decided a wait: each dial after a refusal waited the venue's minute.
    expect(stack.sleeps.length).toBeGreaterThan(0);
    expect(stack.sleeps.every((ms) => ms >= 60_000)).toBe(true);
    expect(stack.statuses.filter((s) => s.type === 'failed')).toEqual([]);
  });

  it("reads a refused handshake's Retry-After given as an HTTP date against the exchange's clock (a 503, retried)", async () => {
    const nowMs = Date.parse('2026-04-01T00:00:00Z');
    srv.setWsDown(true, 503, 'Service Unavailable', { 'Retry-After': 'Wed, 01 Apr 2026 00:02:00 GMT' });
    const ex = await createCcxtExchange({ exchangeId: 'binance', restUrl: srv.restUrl, wsUrl: srv.wsUrl, now: () => nowMs });
    const watch = (ex as unknown as { watch: (url: string, hash: string, message: unknown, subscribeHash: string) => Promise<unknown> }).watch.bind(ex);
    const e = await watch(srv.wsUrl, 'h', { op: 'subscribe' }, 'h').then(() => undefined, (err: unknown) => fromCcxtWatchError(err));
    await ex.close();
    expect(e).toMatchObject({ code: 'UNAVAILABLE', retryable: true, retryAfterMs: 120_000 });
    expect(e?.message).toMatch(/HTTP 503 on the handshake, the venue is unavailable for 120000 ms \(Retry-After Wed, 01 Apr 2026 00:02:00 GMT\), until 2026-04-01T00:02:00\.000Z, retried$/);
  });

  it.each([301, 302, 307, 308])('stops the feeds on a handshake answered with a %i redirect (failed EXCHANGE, naming where to) instead of reconnecting for ever', async (status) => {
    srv.setWsDown(true, status, '', { Location: 'wss://stream.example.test/ws' });
    await expectFeedsFailed(
      await feedsOn(),
      'EXCHANGE',
      `binance websocket ws://127.0.0.1:PORT/stream/ws…: HTTP ${status} on the handshake, the venue redirects the connection to wss://stream.example.test/ws, not followed (a moved \`marketData.urls.ws\`)`,
    );
  });

  it('stops the feeds on a handshake answered with a 200 page (a proxy, a captive portal: failed EXCHANGE naming the status and content-type) instead of reconnecting for ever', async () => {
    srv.setWsDown(true, 200, '<html><body>Please sign in to the guest network</body></html>', { 'Content-Type': 'text/html; charset=utf-8' });
    await expectFeedsFailed(
      await feedsOn(),
      'EXCHANGE',
      "binance websocket ws://127.0.0.1:PORT/stream/ws…: HTTP 200 on the handshake, the server answered a page (text/html; charset=utf-8) instead of a websocket, not retried (a proxy or captive portal in the way, or a `marketData.urls.ws` that is not the venue's websocket)",
    );
  });

  it("says a 2xx page's content-type is unknown when only ws's error was seen (no answer's headers), not that it had none", async () => {
    const ex = await createCcxtExchange({ exchangeId: 'binance', restUrl: srv.restUrl, wsUrl: srv.wsUrl });
    type Client = { future: (hash: string) => Promise<unknown>; onError: (e: unknown) => void };
    const client = (ex as unknown as { client: (url: string) => Client }).client(srv.wsUrl);
    const pending = client.future('h').then(() => undefined, (err: unknown) => fromCcxtWatchError(err));
    client.onError(new Error('Unexpected server response: 200')); // as ws reports it, no 'unexpected-response' seen
    const e = await pending;
    await ex.close();
    expect(e).toMatchObject({ code: 'EXCHANGE', retryable: false });
    expect(e?.message).toMatch(/: HTTP 200 on the handshake, the server answered a page \(content-type unknown\) instead of a websocket, not retried /);
  });

  /** Dials the venue's websocket once on a fresh exchange (its clock stopped at `nowMs`) and returns the exchange and the error. */
  const refusedDial = async (nowMs: number) => {
    const ex = await createCcxtExchange({ exchangeId: 'binance', restUrl: srv.restUrl, wsUrl: srv.wsUrl, now: () => nowMs });
    const watch = (ex as unknown as { watch: (url: string, hash: string, message: unknown, subscribeHash: string) => Promise<unknown> }).watch.bind(ex);
    const e = await watch(srv.wsUrl, 'h', { op: 'subscribe' }, 'h').then(() => undefined, (err: unknown) => fromCcxtWatchError(err));
    return { ex, e };
  };

  it.each([418, 429])("holds every REST request and websocket dial of the venue for a handshake's %i Retry-After, as a REST 418/429 does: the other feeds' polls lengthened the ban", async (status) => {
    srv.setWsDown(true, status, 'banned', { 'Retry-After': '60' });
    const { ex, e } = await refusedDial(Date.parse('2026-04-01T00:00:00Z'));
    expect(e).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 60_000 });
    const sent = srv.requests.length;
    const ping = (ex as unknown as { publicGetPing: () => Promise<unknown> }).publicGetPing().then(() => 'answered', (err: unknown) => (err instanceof Error ? err.constructor.name : 'other'));
    await new Promise((r) => setTimeout(r, 300));
    expect(srv.requests.slice(sent)).toEqual([]); // held: the clock stands still, so only closing ends it
    // Another feed's dial (another url) does not go out either: it fails at once with the time left.
    const dialled = srv.upgradeTimes.length;
    const watch = (ex as unknown as { watch: (url: string, hash: string, message: unknown, subscribeHash: string) => Promise<unknown> }).watch.bind(ex);
    const held = await watch(`${srv.wsUrl}?other`, 'h2', { op: 'subscribe' }, 'h2').then(() => undefined, (err: unknown) => fromCcxtWatchError(err));
    expect(held).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 60_000, message: expect.stringContaining('not dialled, the venue asked for no request for another 60000 ms') });
    expect(srv.upgradeTimes.length).toBe(dialled);
    await ex.close();
    expect(await ping).toBe('ExchangeClosedByUser');
    expect(srv.requests.slice(sent)).toEqual([]);
  });

  it("does not hold the venue's REST requests for a handshake's 503 Retry-After (the websocket host down says nothing of the REST host)", async () => {
    srv.setWsDown(true, 503, 'down', { 'Retry-After': '60' });
    const { ex, e } = await refusedDial(Date.parse('2026-04-01T00:00:00Z'));
    expect(e).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: 60_000 });
    await (ex as unknown as { publicGetPing: () => Promise<unknown> }).publicGetPing();
    await ex.close();
    expect(srv.requests.at(-1)).toBe('/api/v3/ping');
  });

  it("does not hold websocket dials for a REST 503's Retry-After (the REST host down says nothing of the websocket host)", async () => {
    srv.failNext('/api/v3/ping', 503, 1, { code: -1001, msg: 'Internal error.' }, { 'Retry-After': '60' });
    const ex = await createCcxtExchange({ exchangeId: 'binance', restUrl: srv.restUrl, wsUrl: srv.wsUrl, now: () => Date.parse('2026-04-01T00:00:00Z') });
    const ping = await (ex as unknown as { publicGetPing: () => Promise<unknown> }).publicGetPing().then(() => 'answered', (err: unknown) => (err instanceof Error ? err.constructor.name : 'other'));
    expect(ping).toBe('ExchangeNotAvailable');
    const watch = (ex as unknown as { watch: (url: string, hash: string, message: unknown, subscribeHash: string) => Promise<unknown> }).watch.bind(ex);
    void watch(srv.wsUrl, 'h', { op: 'subscribe' }, 'h').catch(() => undefined);
    await until(() => srv.connections() > 0, 5_000, 'the dial going out');
    await ex.close();
  });

  it("caps a handshake's Retry-After at 4 days (10^9 s would park the feed for thirty years), the message saying so", async () => {
    srv.setWsDown(true, 429, 'Too Many Requests', { 'Retry-After': '1000000000' });
    const gw = await feedsOn();
    await until(() => stack.statuses.filter((s) => s.type === 'retrying').length >= 2, 10_000, 'the feeds retrying');
    await gw.stop();
    const retrying = stack.statuses.filter((s) => s.type === 'retrying');
    for (const s of retrying) {
      expect(s).toMatchObject({ code: 'RATE_LIMITED', delayMs: 345_600_000, error: expect.stringMatching(/HTTP 429 on the handshake, rate limited for 345600000 ms \(Retry-After 1000000000, capped at 4 d\), until \S+Z, retried$/) });
    }
    expect(stack.sleeps.every((ms) => ms <= 345_600_000)).toBe(true);
  });

  it("maps every refused handshake's status through the REST rules and the venue's ccxt table: refusals stop, passing faults are retried", async () => {
    // A fresh exchange per dial: ccxt waits longer before each new dial of a url that failed.
    const dial = async (exchangeId: string, hash: string) => {
      const ex = await createCcxtExchange({ exchangeId, restUrl: srv.restUrl, wsUrl: srv.wsUrl });
      const watch = (ex as unknown as { watch: (url: string, hash: string, message: unknown, subscribeHash: string) => Promise<unknown> }).watch.bind(ex);
      const e = await watch(srv.wsUrl, hash, { op: 'subscribe', args: [hash] }, hash).then(() => undefined, (err: unknown) => fromCcxtWatchError(err));
      await ex.close();
      return e;
    };
    const expected: Array<[string, number, string, boolean]> = [
      ['binance', 400, 'EXCHANGE', false],
      ['binance', 401, 'AUTHENTICATION', false],
      ['binance', 403, 'AUTHENTICATION', false],
      ['binance', 404, 'EXCHANGE', false],
      ['binance', 405, 'EXCHANGE', false],
      ['binance', 409, 'EXCHANGE', false],
      ['binance', 410, 'EXCHANGE', false],
      ['binance', 422, 'EXCHANGE', false], // ccxt's plain ExchangeError: a refusal, not a pushed frame retried as STREAM
      ['binance', 451, 'EXCHANGE', false],
      ['binance', 408, 'NETWORK', true],
      ['binance', 418, 'RATE_LIMITED', true],
      ['binance', 429, 'RATE_LIMITED', true],
      ['binance', 500, 'UNAVAILABLE', true],
      ['binance', 503, 'UNAVAILABLE', true],
      ['binance', 504, 'NETWORK', true],
      ['bybit', 403, 'RATE_LIMITED', true], // bybit's table: its 403 is the rate limit
      ['bybit', 401, 'AUTHENTICATION', false],
    ];
    const seen: Array<[string, number, string | undefined, boolean | undefined]> = [];
    for (const [id, status] of expected) {
      srv.setWsDown(true, status, 'refused');
      const e = await dial(id, `${id}-${status}`);
      seen.push([id, status, e?.code, e?.retryable]);
      expect(e?.message).toMatch(new RegExp(`^${id} websocket ws://127\\.0\\.0\\.1:\\d+/stream/ws: HTTP ${status} on the handshake, `));
    }
    expect(seen).toEqual(expected);
    expect(srv.connections()).toBe(0);
  });
});

describe("ccxt market data: a websocket dial during the venue's hold", () => {
  let srv: BinanceServer;
  let stack: Stack;
  beforeEach(async () => void ({ srv, stack } = await openBinanceWorld()));
  afterEach(() => closeBinanceWorld({ srv, stack }));

  it("does not redial a dropped websocket before a REST 418's Retry-After ends (Binance bans the IP: a dial lengthens the ban), and connects after it", async () => {
    const exchange = await binanceExchange(srv);
    const gw = start(binanceSource(exchange, stack, { trades: true, backoff: { minMs: 10, maxMs: 10 }, watchParams: { trades: { name: 'aggTrade' } } }), stack.sink());
    await until(() => srv.subscribed('btcusdt@kline_1m') && srv.subscribed('btcusdt@aggTrade'), 10_000, 'both feeds subscribed');
    const connected = srv.connections();
    // The venue bans the IP for 2 s on a REST request (the hold starts when the answer comes back, after `banned`).
    srv.failNext('/api/v3/ping', 418, 1, { code: -1003, msg: 'Way too much request weight used; IP banned until later.' }, { 'Retry-After': '2' });
    const banned = performance.now();
    const ping = await (exchange as unknown as { publicGetPing: () => Promise<unknown> }).publicGetPing().then(() => 'answered', (e: unknown) => (e instanceof Error ? e.constructor.name : 'other'));
    expect(ping).toBe('DDoSProtection');
    const dialled = srv.upgradeTimes.length;
    srv.dropSockets();
    await until(() => srv.connections() > connected, 15_000, 'the feeds connecting again after the ban');
    await gw.stop();
    const redials = srv.upgradeTimes.slice(dialled);
    expect(redials.length).toBeGreaterThan(0);
    expect(Math.min(...redials) - banned).toBeGreaterThanOrEqual(2_000 - 5); // none during the ban (5 ms: the two clocks' rounding)
    const held = stack.statuses.filter((s) => s.type === 'retrying' && s.code === 'RATE_LIMITED');
    expect(held.length).toBeGreaterThan(0);
    for (const s of held) {
      expect(s).toMatchObject({ error: expect.stringMatching(/^binance websocket ws:\/\/127\.0\.0\.1:\d+\/stream\/ws\S*: not dialled, the venue asked for no request for another \d+ ms \(its 418 or 429 Retry-After\), retried$/) });
      expect(s.type === 'retrying' ? s.delayMs : 0).toBeGreaterThan(10); // the time left of the hold, not the 10 ms backoff
    }
    expect(stack.statuses.filter((s) => s.type === 'failed')).toEqual([]);
  });
});
