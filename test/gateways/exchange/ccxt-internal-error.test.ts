import { NetworkError } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCcxtExchange } from '../../../gateways/market-data/ccxt-exchange.js';
import { createCcxtMarketData } from '../../../gateways/market-data/ccxt-market-data.js';
import { fromCcxtError } from '../../../gateways/market-data/errors.js';
import type { GatewayStatus } from '../../../gateways/market-data/market-data-source.js';
import type { Logger } from '../../../state/logger.js';
import { dataPath } from '../data.js';
import { readKlines, startBinanceServer } from './binance-server.js';
import type { BinanceServer } from './binance-server.js';
import { openStack, start, until } from './harness.js';
import type { Stack } from './harness.js';

const BTC_1M = 'ohlcv/binance_spot_1m/BTC_USDT_1m_2026-03_2026-04.csv';
const NOW = 1_800_000_000_000;
const BAR = 'binance BTC/USDT bar 1m';

let srv: BinanceServer;
let stack: Stack;

beforeEach(async () => {
  srv = await startBinanceServer([{ base: 'BTC', quote: 'USDT', bars: readKlines(dataPath(BTC_1M), 60), open: 10 }]);
  stack = await openStack();
});
afterEach(async () => {
  await srv.close();
  await stack.teardown();
});

type Line = { level: string; fields: Record<string, unknown>; msg: string };
function recordingLogger(lines: Line[]): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, fields, msg });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
}

describe('market data: a programming error of ours is not a network failure', () => {
  it('classifies TypeError, ReferenceError and RangeError as INTERNAL (not retried), and keeps fetch\'s network TypeError and plain errors NETWORK', () => {
    const bug = fromCcxtError(new TypeError("Cannot read properties of undefined (reading '0')"));
    expect([bug.code, bug.retryable, bug.message]).toEqual(['INTERNAL', false, "TypeError: Cannot read properties of undefined (reading '0')"]);
    expect([fromCcxtError(new ReferenceError('x is not defined')).code, fromCcxtError(new RangeError('Invalid array length')).code]).toEqual(['INTERNAL', 'INTERNAL']);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect([fromCcxtError(new TypeError('fetch failed', { cause: refused })).code, fromCcxtError(new TypeError('fetch failed')).retryable]).toEqual(['NETWORK', true]);
    expect([fromCcxtError(new Error('socket hang up')).code, fromCcxtError(new NetworkError('x')).code]).toEqual(['NETWORK', 'NETWORK']);
  });

  it('fails a feed whose parsing throws a TypeError, logs it as an error with its stack, and the supervisor restarts it with backoff: it was `retrying` NETWORK for ever at warn level', async () => {
    const exchange = await createCcxtExchange({ exchangeId: 'binance', restUrl: srv.restUrl, wsUrl: srv.wsUrl, options: { fetchMarkets: { types: ['spot'] } } });
    // A bug in the parsing of the venue's answer, twice: what a changed answer does to a parser that reads a field blindly.
    const fetchOHLCV = exchange.fetchOHLCV.bind(exchange);
    let bugs = 2;
    exchange.fetchOHLCV = async (...args: Parameters<typeof fetchOHLCV>) => {
      const rows = await fetchOHLCV(...args);
      if (bugs-- > 0) return (undefined as unknown as number[][])[0]!.map(() => rows[0]!) as typeof rows;
      return rows;
    };
    const lines: Line[] = [];
    const source = createCcxtMarketData({
      exchange, assets: [{ venue: 'binance', symbol: 'BTC/USDT' }], timeframes: ['1m'], trades: false, quotes: false, mode: 'poll', pollMs: 5,
      backfillBars: 5, pageLimit: 4, backoff: { minMs: 100, maxMs: 1_000 }, restart: { minMs: 1_000, maxMs: 4_000 }, now: () => NOW, sleep: stack.sleep,
      log: recordingLogger(lines),
    });
    const gw = start(source, stack.sink());
    await until(() => stack.statuses.some((s) => s.feed === BAR && s.type === 'connected'), 10_000, 'connected after the restarts');
    await gw.stop();

    const of: GatewayStatus[] = stack.statuses.filter((s) => s.feed === BAR);
    expect(of.some((s) => s.type === 'retrying')).toBe(false);
    expect(of.filter((s) => s.type === 'failed' || s.type === 'restarting' || s.type === 'connected').map((s) => [s.type, 'code' in s ? s.code : undefined])).toEqual([
      ['failed', 'INTERNAL'], ['restarting', 'INTERNAL'], ['failed', 'INTERNAL'], ['restarting', 'INTERNAL'], ['connected', undefined],
    ]);
    expect(of.find((s) => s.type === 'restarting')).toMatchObject({ attempt: 1, delayMs: 1_000, error: expect.stringMatching(/^TypeError: Cannot read properties of undefined/) });
    const errors = lines.filter((l) => l.level === 'error' && l.fields['code'] === 'INTERNAL');
    expect(errors).toHaveLength(2);
    expect(errors[0]?.fields['stack']).toEqual(expect.stringMatching(/^TypeError: Cannot read properties of undefined[\s\S]*ccxt-internal-error\.test\.ts/));
  });
});
