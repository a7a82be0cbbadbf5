import { NetworkError } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromCcxtError } from '../../../gateways/market-data/errors.js';
import type { GatewayStatus } from '../../../gateways/market-data/market-data-source.js';
import type { Logger } from '../../../state/logger.js';
import { binanceExchange, binanceSource, closeBinanceWorld, openBinanceWorld } from '../../support/binance-world.js';
import type { BinanceServer } from './binance-server.js';
import { start, until } from './harness.js';
import type { Stack } from './harness.js';

const BAR = 'binance BTC/USDT bar 1m';

let srv: BinanceServer;
let stack: Stack;

beforeEach(async () => void ({ srv, stack } = await openBinanceWorld()));
afterEach(() => closeBinanceWorld({ srv, stack }));

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
    const exchange = await binanceExchange(srv);
    // A bug in the parsing of the venue's answer, twice: what a changed answer does to a parser that reads a field blindly.
    const fetchOHLCV = exchange.fetchOHLCV.bind(exchange);
    let bugs = 2;
    exchange.fetchOHLCV = async (...args: Parameters<typeof fetchOHLCV>) => {
      const rows = await fetchOHLCV(...args);
      if (bugs-- > 0) return (undefined as unknown as number[][])[0]!.map(() => rows[0]!) as typeof rows;
      return rows;
    };
    const lines: Line[] = [];
    const source = binanceSource(exchange, stack, { mode: 'poll', pollMs: 5, restart: { minMs: 1_000, maxMs: 4_000 }, log: recordingLogger(lines) });
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
