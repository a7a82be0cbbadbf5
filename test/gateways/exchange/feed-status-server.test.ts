import { afterEach, describe, expect, it } from 'vitest';
import { configuredFeeds, createFeedStatusBoard } from '../../../gateways/market-data/feed-status.js';
import { startFeedStatusServer } from '../../../gateways/market-data/feed-status-server.js';
import type { FeedStatusServer } from '../../../gateways/market-data/feed-status-server.js';
import { allFailedAlarm } from '../../../gateways/market-data/all-failed-alarm.js';
import { METRICS_TOKEN_REQUIRED, metricsAccessOf } from '../../../gateways/http/metrics-access.js';
import { recordingLogger } from '../../support/recording-logger.js';
import type { LogLine } from '../../support/recording-logger.js';
import type { Logger } from '../../../state/logger.js';
import { silentLogger } from '../../../state/logger.js';
import type { BusStatus } from '../../../streams/bus.js';
import { trackBusConnection } from '../../../streams/bus-connection.js';

const T0 = 1_800_000_000_000;
let server: FeedStatusServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const get = async (path: string): Promise<{ status: number; text: string }> => {
  const res = await fetch(`${server?.url ?? ''}${path}`);
  return { status: res.status, text: await res.text() };
};
const series = (text: string, name: string): string[] => text.split('\n').filter((l) => l.startsWith(`${name}{`));

describe('sextant gateway: feed status on /metrics, /healthz and /readyz (marketData.http)', () => {
  it('shows each feed by venue, symbol and stream: live, stale, restarting with its code and retryAt, the restarts counted; /readyz 503 and /healthz degraded while one is not live', async () => {
    let t = T0;
    const feeds = configuredFeeds({ provider: 'ccxt', timeframes: ['1m'], trades: true, quotes: false }, [{ venue: 'binance', symbol: 'BTC/USDT' }]);
    const board = createFeedStatusBoard(feeds, () => t);
    server = await startFeedStatusServer({ board, host: '127.0.0.1', port: 0, log: silentLogger, defaultMetrics: false });
    const BAR = 'binance BTC/USDT bar 1m';
    const TRADE = 'binance BTC/USDT trade';

    expect((await get('/readyz')).status).toBe(503); // starting
    board.apply({ type: 'connected', feed: BAR, mode: 'watch' });
    board.apply({ type: 'connected', feed: TRADE, mode: 'watch' });
    let r = await get('/readyz');
    expect([r.status, JSON.parse(r.text)]).toEqual([200, { status: 'ok', feeds: 2, down: [] }]);

    t += 70_000;
    board.apply({ type: 'stale', feed: TRADE, silentMs: 300_001, staleAfterMs: 300_000, lastAt: T0, restartAt: t + 60_000 });
    const m = (await get('/metrics')).text;
    expect(series(m, 'sextant_market_data_feed_status').filter((l) => l.endsWith(' 1'))).toEqual([
      'sextant_market_data_feed_status{venue="binance",symbol="BTC/USDT",stream="bar 1m",status="live"} 1',
      'sextant_market_data_feed_status{venue="binance",symbol="BTC/USDT",stream="trade",status="stale"} 1',
    ]);
    r = await get('/healthz');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({
      status: 'degraded', feeds: 2,
      down: [{ feed: TRADE, venue: 'binance', symbol: 'BTC/USDT', stream: 'trade', state: 'stale', since: t, reason: 'nothing published for 300001 ms (stale after 300000 ms)', retryAt: t + 60_000, restarts: 0 }],
    });

    board.apply({ type: 'failed', feed: TRADE, code: 'STALE', error: 'nothing published' });
    board.apply({ type: 'restarting', feed: TRADE, attempt: 1, delayMs: 10_000, retryAt: t + 10_000, code: 'STALE', error: 'nothing published' });
    const m2 = (await get('/metrics')).text;
    expect(series(m2, 'sextant_market_data_feed_status').filter((l) => l.endsWith(' 1'))).toContain('sextant_market_data_feed_status{venue="binance",symbol="BTC/USDT",stream="trade",status="restarting"} 1');
    expect(series(m2, 'sextant_market_data_feed_restarts_total')).toEqual([
      'sextant_market_data_feed_restarts_total{venue="binance",symbol="BTC/USDT",stream="bar 1m"} 0',
      'sextant_market_data_feed_restarts_total{venue="binance",symbol="BTC/USDT",stream="trade"} 1',
    ]);
    r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.text)).toMatchObject({ status: 'degraded', down: [{ feed: TRADE, state: 'restarting', code: 'STALE', attempt: 1, retryAt: t + 10_000, restarts: 1 }] });
  });

  it('gives its NATS link on /healthz and /readyz: `degraded` (still 200; /readyz 503) while it is down, however live the feeds, with the outage under way; `ok` again once back, the last outage kept', async () => {
    let t = T0;
    const feeds = configuredFeeds({ provider: 'ccxt', timeframes: ['1m'], trades: false, quotes: false }, [{ venue: 'binance', symbol: 'BTC/USDT' }]);
    const board = createFeedStatusBoard(feeds, () => t);
    let emit: (s: BusStatus) => void = () => {};
    const link = trackBusConnection({ onStatus: (l) => ((emit = l), { unsubscribe: () => {} }) }, () => t);
    server = await startFeedStatusServer({ board, host: '127.0.0.1', port: 0, log: silentLogger, defaultMetrics: false, nats: { connection: 'sextant-gateway', read: () => link.state() } });
    board.apply({ type: 'connected', feed: 'binance BTC/USDT bar 1m', mode: 'watch' });
    const body = async (path: string): Promise<[number, unknown]> => {
      const r = await get(path);
      return [r.status, JSON.parse(r.text)];
    };
    const up = { connected: true, since: new Date(T0).toISOString(), disconnects: 0, reconnects: 0, lastOutage: null };
    expect(await body('/readyz')).toEqual([200, { status: 'ok', feeds: 1, down: [], nats: up }]);

    t += 1_000;
    emit({ type: 'disconnected', server: '127.0.0.1:4222', error: 'read ECONNRESET' });
    t += 4_000;
    const outage = { at: new Date(T0 + 1_000).toISOString(), until: null, ms: 4_000, server: '127.0.0.1:4222', error: 'read ECONNRESET' };
    const cut = { connected: false, since: outage.at, disconnects: 1, reconnects: 0, lastOutage: outage };
    expect(await body('/healthz')).toEqual([200, { status: 'degraded', feeds: 1, down: [], nats: cut }]);
    expect(await body('/readyz')).toEqual([503, { status: 'degraded', feeds: 1, down: [], nats: cut }]);

    emit({ type: 'reconnected', server: '127.0.0.1:4222' });
    const back = { connected: true, since: new Date(t).toISOString(), disconnects: 1, reconnects: 1, lastOutage: { ...outage, until: new Date(t).toISOString() } };
    expect(await body('/readyz')).toEqual([200, { status: 'ok', feeds: 1, down: [], nats: back }]);
  });

  it('says `down` on /healthz (still 200) and logs one error naming every feed when all have failed at once: the gateway restarts them for ever instead of exiting; a feed that connects again ends it', async () => {
    let t = T0;
    const feeds = configuredFeeds({ provider: 'ccxt', timeframes: ['1m'], trades: true, quotes: false }, [{ venue: 'binance', symbol: 'BTC/USDT' }]);
    const board = createFeedStatusBoard(feeds, () => t);
    const lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
    const rec = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, fields, msg });
    const log: Logger = { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error'), child: () => log };
    const alarm = allFailedAlarm(board, log);
    const apply = (s: Parameters<typeof board.apply>[0]): void => {
      board.apply(s);
      alarm();
    };
    server = await startFeedStatusServer({ board, host: '127.0.0.1', port: 0, log: silentLogger, defaultMetrics: false });
    const BAR = 'binance BTC/USDT bar 1m';
    const TRADE = 'binance BTC/USDT trade';
    const health = async (): Promise<[number, string]> => {
      const r = await get('/healthz');
      return [r.status, (JSON.parse(r.text) as { status: string }).status];
    };
    apply({ type: 'connected', feed: BAR, mode: 'watch' });
    apply({ type: 'failed', feed: TRADE, code: 'BAD_SYMBOL', error: 'Invalid symbol.' });
    apply({ type: 'restarting', feed: TRADE, attempt: 1, delayMs: 10_000, retryAt: t + 10_000, code: 'BAD_SYMBOL', error: 'Invalid symbol.' });
    expect(await health()).toEqual([200, 'degraded']);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);

    t += 5_000;
    apply({ type: 'failed', feed: BAR, code: 'EXCHANGE', error: 'HTTP 409 Conflict' });
    apply({ type: 'restarting', feed: BAR, attempt: 1, delayMs: 10_000, retryAt: t + 10_000, code: 'EXCHANGE', error: 'HTTP 409 Conflict' });
    // The trade feed's restarted run retries: still failed (not connected since).
    apply({ type: 'retrying', feed: TRADE, attempt: 1, delayMs: 1_000, code: 'NETWORK', error: 'ECONNRESET' });
    expect(await health()).toEqual([200, 'down']);
    expect((await get('/readyz')).status).toBe(503);
    expect(lines.filter((l) => l.level === 'error')).toEqual([
      {
        level: 'error',
        msg: 'every market-data feed has failed: the gateway delivers nothing; each is restarted with marketData.restart backoff',
        fields: { failed: 2, feeds: [
          { feed: BAR, state: 'failed', code: 'EXCHANGE', reason: 'HTTP 409 Conflict' },
          { feed: TRADE, state: 'restarting', code: 'BAD_SYMBOL', reason: 'Invalid symbol.', retryAt: new Date(T0 + 10_000).toISOString() },
        ] },
      },
    ]);

    apply({ type: 'connected', feed: BAR, mode: 'watch' });
    expect(await health()).toEqual([200, 'degraded']);
    expect(lines.at(-1)).toMatchObject({ level: 'info', msg: 'a market-data feed delivers again after every feed had failed', fields: { stillFailed: 1 } });
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });
});

describe('sextant gateway: /metrics behind the metrics token, reasons on /healthz and /readyz only with it (as the dashboard gateway)', () => {
  const SCRAPER = 'md-scrape-token';
  const TOKENS = [
    { name: 'viewer', role: 'viewer' as const, token: 'md-viewer' },
    { name: 'prometheus', role: 'metrics' as const, token: '${SEXTANT_METRICS_TOKEN}' },
  ];
  const BAR = 'binance BTC/USDT bar 1m';
  const REASON = 'binance GET https://proxy-user:proxy-pass@10.9.8.7:3128/api/v3/klines ECONNREFUSED';
  const startGuarded = async (env: NodeJS.ProcessEnv, lines: LogLine[] = []): Promise<(path: string, token?: string) => Promise<Response>> => {
    const t = T0;
    const board = createFeedStatusBoard(configuredFeeds({ provider: 'ccxt', timeframes: ['1m'], trades: false, quotes: false }, [{ venue: 'binance', symbol: 'BTC/USDT' }]), () => t);
    board.apply({ type: 'failed', feed: BAR, code: 'NETWORK', error: REASON });
    let emit: (s: BusStatus) => void = () => {};
    const link = trackBusConnection({ onStatus: (l) => ((emit = l), { unsubscribe: () => {} }) }, () => t);
    emit({ type: 'disconnected', server: '10.1.2.3:4222', error: 'read ECONNRESET' });
    server = await startFeedStatusServer({
      board, host: '127.0.0.1', port: 0, log: recordingLogger(lines), defaultMetrics: false,
      nats: { connection: 'sextant-gateway', read: () => link.state() },
      metricsAccess: metricsAccessOf(TOKENS, env),
      authFailureLimit: { maxFailures: 3, windowMs: 60_000 },
      now: () => t,
    });
    return (path, token) => fetch(`${server?.url ?? ''}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  };

  it('answers /metrics 401 (the dashboard gateway\'s words) without SEXTANT_METRICS_TOKEN\'s token, a wrong one or a viewer\'s, 429 past gateway.authFailureLimit, 200 with it', async () => {
    const lines: LogLine[] = [];
    const req = await startGuarded({ SEXTANT_METRICS_TOKEN: SCRAPER }, lines);
    for (const token of [undefined, 'guessed', 'md-viewer']) {
      const res = await req('/metrics', token);
      expect(res.status, `token ${token ?? 'none'}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual(METRICS_TOKEN_REQUIRED);
    }
    const locked = await req('/metrics', 'guessed-again');
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('60');
    expect(lines.filter((l) => l.level === 'warn' && l.fields['where'] === 'metrics')).toHaveLength(1);
    const ok = await req('/metrics', SCRAPER);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('sextant_market_data_feed_status{');
  });

  it('refuses another token on /healthz and /readyz as /metrics does: 401, counted by the same limiter (429 on /metrics after guesses on the probes); no token keeps the public body and status', async () => {
    const lines: LogLine[] = [];
    const req = await startGuarded({ SEXTANT_METRICS_TOKEN: SCRAPER }, lines);
    // startGuarded's limit is 3: a guess, a viewer's token, a guess.
    for (const [path, token] of [['/readyz', 'guessed'], ['/healthz', 'md-viewer'], ['/readyz', 'guessed-2']] as const) {
      const res = await req(path, token);
      expect(res.status, `${path} ${token}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual(METRICS_TOKEN_REQUIRED);
    }
    const locked = await req('/metrics', 'guessed-3');
    expect(locked.status).toBe(429);
    expect((await req('/healthz', 'guessed-4')).status).toBe(429);
    expect(lines.filter((l) => l.level === 'warn' && l.fields['where'] === 'metrics')).toHaveLength(1);
    // A probe without Authorization from the same address: unchanged.
    const open = await req('/readyz');
    expect(open.status).toBe(503);
    const text = await open.text();
    expect(text).not.toContain('ECONNREFUSED');
    expect(JSON.parse(text)).toMatchObject({ status: 'down', down: [{ feed: BAR, state: 'failed', code: 'NETWORK' }] });
    expect((await req('/healthz')).status).toBe(200);
    expect(await (await req('/readyz', SCRAPER)).json()).toMatchObject({ down: [{ reason: REASON }] });
  });

  it('keeps /metrics open while SEXTANT_METRICS_TOKEN is unset', async () => {
    const req = await startGuarded({});
    expect((await req('/metrics')).status).toBe(200);
  });

  it('answers /healthz and /readyz without a token with the same status but no reasons and no NATS server; with the metrics token, in full', async () => {
    const req = await startGuarded({ SEXTANT_METRICS_TOKEN: SCRAPER });
    for (const path of ['/healthz', '/readyz']) {
      const open = await req(path);
      expect(open.status).toBe(path === '/readyz' ? 503 : 200);
      const text = await open.text();
      for (const secret of ['10.9.8.7', 'proxy-pass', '10.1.2.3', 'ECONNRESET', 'ECONNREFUSED']) expect(text, `${path} ${secret}`).not.toContain(secret);
      expect(JSON.parse(text)).toMatchObject({ status: 'down', down: [{ feed: BAR, state: 'failed', code: 'NETWORK' }], nats: { connected: false, lastOutage: { ms: 0, until: null } } });
      const full = await req(path, SCRAPER);
      expect(full.status).toBe(open.status);
      expect(await full.json()).toMatchObject({ down: [{ feed: BAR, reason: REASON }], nats: { lastOutage: { server: '10.1.2.3:4222', error: 'read ECONNRESET' } } });
    }
    // No metrics token configured: everything, as /metrics.
    await server?.close();
    const unguarded = await startGuarded({});
    expect(await (await unguarded('/healthz')).json()).toMatchObject({ down: [{ reason: REASON }], nats: { lastOutage: { server: '10.1.2.3:4222' } } });
  });
});
