import { BadResponse, BadSymbol, AuthenticationError, DDoSProtection, ExchangeNotAvailable, InsufficientFunds, NetworkError, NotSupported, NullResponse, OnMaintenance, PermissionDenied, RateLimitExceeded, RequestTimeout } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { backoffDelay, realSleep } from '../../../gateways/market-data/backoff.js';
import { fromCcxtError, fromHttpStatus } from '../../../gateways/market-data/errors.js';
import { createHighWaterMarks } from '../../../gateways/market-data/high-water-mark.js';
import { MarketDataConfigSchema } from '../../../gateways/market-data/market-data-config.js';
import { createMarketDataSink } from '../../../gateways/market-data/market-data-sink.js';
import { createMemoryBus } from '../../../streams/memory-bus.js';
import { encode } from '../../../streams/codec.js';
import { barId } from '../../../streams/messages/bar.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { NATS_URL, readStream } from './harness.js';
import { quoteCandidate, tradeCandidate } from '../../../gateways/market-data/candidates.js';
import { quoteId } from '../../../streams/messages/quote.js';
import type { Trade } from '../../../streams/messages/trade.js';

describe('gateway errors', () => {
  it('maps ccxt network failures to retryable codes and exchange refusals to permanent ones', () => {
    const cases: Array<[Error, string, boolean]> = [
      [new NetworkError('x'), 'NETWORK', true],
      [new RequestTimeout('x'), 'NETWORK', true],
      [new DDoSProtection('x'), 'RATE_LIMITED', true],
      [new RateLimitExceeded('x'), 'RATE_LIMITED', true],
      [new ExchangeNotAvailable('x'), 'UNAVAILABLE', true],
      [new BadSymbol('x'), 'BAD_SYMBOL', false],
      [new AuthenticationError('x'), 'AUTHENTICATION', false],
      [new InsufficientFunds('x'), 'EXCHANGE', false],
      [new Error('socket hang up'), 'NETWORK', true],
      // An answer ccxt could not parse (binance's -1006 "unexpected response", -1007 "timeout
      // waiting for backend", a truncated body): BAD_RESPONSE, cured by a retry.
      [new BadResponse('x'), 'BAD_RESPONSE', true],
      [new NullResponse('x'), 'BAD_RESPONSE', true],
    ];
    for (const [e, code, retryable] of cases) expect([e.constructor.name, fromCcxtError(e).code, fromCcxtError(e).retryable]).toEqual([e.constructor.name, code, retryable]);
    expect([429, 500, 503, 401, 400, 404, 451, 422].map((s) => fromHttpStatus(s, '').code)).toEqual(['RATE_LIMITED', 'UNAVAILABLE', 'UNAVAILABLE', 'AUTHENTICATION', 'BAD_SYMBOL', 'BAD_SYMBOL', 'EXCHANGE', 'EXCHANGE']);
  });

  it('retries an HTTP 408 (request timeout) and a 418 (IP ban, lifted after its Retry-After); they stopped the feed for good', () => {
    expect([fromHttpStatus(408, 'x').code, fromHttpStatus(408, 'x').retryable]).toEqual(['NETWORK', true]);
    expect([fromHttpStatus(418, 'x').code, fromHttpStatus(418, 'x').retryable]).toEqual(['RATE_LIMITED', true]);
  });

  it('takes 403 (no access on the plan), 407 (proxy credentials) and 451 (region refused) for permanent, every 5xx for transient', () => {
    expect([403, 407, 451].map((s) => [fromHttpStatus(s, '').code, fromHttpStatus(s, '').retryable])).toEqual([['AUTHENTICATION', false], ['AUTHENTICATION', false], ['EXCHANGE', false]]);
    expect([500, 502, 503, 504, 520, 599].every((s) => fromHttpStatus(s, '').retryable)).toBe(true);
    expect(fromHttpStatus(503, 'x', { retryAfterMs: 1_500 }).retryAfterMs).toBe(1_500);
  });

  it('keeps the Retry-After of a ccxt ExchangeNotAvailable (a 503 that carried one) as the backoff floor', () => {
    const e = Object.assign(new ExchangeNotAvailable('503'), { retryAfterMs: 2_000 });
    expect([fromCcxtError(e).code, fromCcxtError(e).retryAfterMs]).toEqual(['UNAVAILABLE', 2_000]);
  });

  it('classifies a subclass of a ccxt error as its ccxt ancestor, whatever its constructor is called', () => {
    // A venue's own subclass, and what a minifier leaves of a class name: the hierarchy decides, not the name.
    class VenueThrottled extends RateLimitExceeded {}
    class VenueMaintenance extends OnMaintenance {}
    const a = class extends ExchangeNotAvailable {};
    const b = class extends DDoSProtection {};
    const c = class extends RequestTimeout {};
    const d = class extends PermissionDenied {};
    const cases: Array<[Error, string, boolean]> = [
      [new VenueThrottled('x'), 'RATE_LIMITED', true],
      [new VenueMaintenance('x'), 'UNAVAILABLE', true],
      [new OnMaintenance('x'), 'UNAVAILABLE', true],
      [new a('x'), 'UNAVAILABLE', true],
      [new b('x'), 'RATE_LIMITED', true],
      [new c('x'), 'NETWORK', true],
      [new d('x'), 'AUTHENTICATION', false],
      [new NotSupported('x'), 'EXCHANGE', false],
    ];
    for (const [e, code, retryable] of cases) expect([e.constructor.name, fromCcxtError(e).code, fromCcxtError(e).retryable]).toEqual([e.constructor.name, code, retryable]);
  });

  it('sleeps longer than a Node timer can hold (a Retry-After of weeks) instead of firing after 1 ms, and ends on abort', async () => {
    const ac = new AbortController();
    let done = false;
    const slept = realSleep(2 ** 31 + 1_000, ac.signal).then(() => void (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    ac.abort();
    await slept;
    expect(done).toBe(true);
  });

  it('doubles the backoff delay up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay({ minMs: 100, maxMs: 1000 }, a))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('refuses a backoff whose maxMs is below its minMs (every retry waited maxMs, below the configured floor)', () => {
    const bad = MarketDataConfigSchema.safeParse({ backoff: { minMs: 5_000, maxMs: 500 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['backoff.maxMs', 'backoff.maxMs must be at least backoff.minMs']]);
    expect(MarketDataConfigSchema.parse({ backoff: { minMs: 500, maxMs: 500 } }).backoff).toEqual({ minMs: 500, maxMs: 500 });
    expect(MarketDataConfigSchema.parse({}).backoff).toEqual({ minMs: 500, maxMs: 30_000 });
  });
});

describe('high-water marks', () => {
  const trade = (id: string, ts: number): Trade => ({ type: 'md.trade', v: 1, id: `t:x:A/B:${id}`, venue: 'x', symbol: 'A/B', price: 1, qty: 1, side: 'buy', ts });
  it('orders trades by time, then numeric venue id; repeats are "same"', () => {
    const m = createHighWaterMarks();
    expect(m.position('s', trade('5', 100), '5')).toBe('ahead');
    m.advance('s', trade('5', 100), '5');
    expect(m.position('s', trade('5', 100), '5')).toBe('same');
    expect(m.position('s', trade('4', 100), '4')).toBe('behind');
    expect(m.position('s', trade('6', 100), '6')).toBe('ahead');
    expect(m.position('s', trade('3', 99), '3')).toBe('behind');
    m.seed('r', 200, '9');
    expect(m.position('r', trade('9', 200), '9')).toBe('same');
    expect(m.tradeId('r')).toBe('9');
  });
});

describe.each([
  ['in-memory', async () => createMemoryBus()],
  ['NATS JetStream', () => createNatsBus({ url: NATS_URL, name: 'last-message-test', connectTimeoutMs: 2000 })],
])('Bus.lastMessage (%s)', (_name, open) => {
  it('returns the newest message of exactly that subject, or undefined', async () => {
    const bus = await open();
    const tag = Math.random().toString(36).slice(2, 10);
    const [S, p] = [`LM${tag}`, `lm${tag}`];
    await bus.ensureStreams([{ name: S, subjects: [`${p}.>`], maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' }]);
    try {
      const enc = (s: string) => new TextEncoder().encode(s);
      await bus.publish(`${p}.a`, enc('1'));
      await bus.publish(`${p}.b`, enc('2'));
      await bus.publish(`${p}.a`, enc('3'));
      const last = await bus.lastMessage(S, `${p}.a`);
      expect([last?.subject, new TextDecoder().decode(last?.data), last?.streamSeq]).toEqual([`${p}.a`, '3', 3]);
      expect(await bus.lastMessage(S, `${p}.c`)).toBeUndefined();
      await expect(bus.lastMessage(`${S}_MISSING`, `${p}.a`)).rejects.toThrow(/does not exist/);
    } finally {
      await bus.deleteStreams([S]);
      await bus.close();
    }
  });
});

describe('trade candidates', () => {
  it('carry the venue\'s trade id, and none when the venue gave none (the sink refuses it to the dead letters)', async () => {
    const t = { ts: Date.UTC(2024, 0, 1), price: 100, qty: 1, side: 'buy' };
    expect(tradeCandidate('binance', 'BTC/USDT', { ...t, id: '42' }, 0)['id']).toBe('t:binance:BTC/USDT:42');
    for (const id of [undefined, '']) expect(tradeCandidate('kraken', 'BTC/USD', { ...t, id }, 0)['id']).toBeUndefined();
    const bus = createMemoryBus();
    const subjects = subjectsFor('tc');
    await bus.ensureStreams([
      { name: 'TC_MD', subjects: [subjects.streamSubjects.MD[0] ?? 'tc.md.>'], maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' },
      { name: 'TC_DLQ', subjects: ['tc.dlq.>'], maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' },
    ]);
    const sink = createMarketDataSink({ bus, subjects, mdStream: 'TC_MD', maxPayloadBytes: 8192, now: () => 0 });
    const feed = { kind: 'trade' as const, venue: 'kraken', symbol: 'BTC/USD' };
    const v = await sink.offer(feed, tradeCandidate('kraken', 'BTC/USD', { ...t, id: undefined }, 0), 'live');
    expect(v).toMatchObject({ type: 'refused', reason: 'SCHEMA', detail: expect.stringContaining('id') });
    expect(await bus.countMessages('TC_MD')).toBe(0);
    expect(await bus.countMessages('TC_DLQ')).toBe(1);
    await bus.close();
  });
});

describe('market-data sink, event times ahead of its clock', () => {
  it('refuses a bar from the future (SCHEMA) instead of setting the high-water mark there, so the real bars after it are published', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('fa');
    await bus.ensureStreams([
      { name: 'FA_MD', subjects: [subjects.streamSubjects.MD[0] ?? 'fa.md.>'], maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' },
      { name: 'FA_DLQ', subjects: ['fa.dlq.>'], maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' },
    ]);
    const now = Date.UTC(2024, 0, 2);
    const sink = createMarketDataSink({ bus, subjects, mdStream: 'FA_MD', maxPayloadBytes: 8192, now: () => now, maxAheadMs: 60_000 });
    const feed = { kind: 'bar' as const, venue: 'binance', symbol: 'BTC/USDT', tf: '1h' as const };
    const bar = (ts: number) => ({ type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', '1h', ts), venue: 'binance', symbol: 'BTC/USDT', tf: '1h', open: 100, high: 101, low: 99, close: 100.5, volume: 3, ts });
    const H = 3_600_000;
    expect(await sink.offer(feed, bar(now + 365 * 24 * H), 'live')).toMatchObject({ type: 'refused', reason: 'SCHEMA', detail: expect.stringContaining(`ahead of the gateway's clock (at most 60000 ms)`) });
    expect((await sink.offer(feed, bar(now - H), 'live')).type).toBe('published');
    expect((await sink.offer(feed, bar(now), 'live')).type).toBe('published'); // within the allowance
    expect(await bus.countMessages('FA_MD')).toBe(2);
    expect(await bus.countMessages('FA_DLQ')).toBe(1);
    await bus.close();
  });
});

describe('market-data sink high-water mark on start', () => {
  it('takes it from the newest message of the feed\'s subject, and from nothing when that message is not market data', async () => {
    const bus = createMemoryBus();
    const subjects = subjectsFor('hw');
    await bus.ensureStreams([{ name: 'HW_MD', subjects: [subjects.streamSubjects.MD[0] ?? 'hw.md.>'], maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' }]);
    const feed = { kind: 'bar' as const, venue: 'binance', symbol: 'BTC/USDT', tf: '1h' as const };
    const subject = subjects.bar('binance', 'BTC/USDT', '1h');
    const sink = () => createMarketDataSink({ bus, subjects, mdStream: 'HW_MD', maxPayloadBytes: 8192, now: () => 0 });
    // Someone else's bytes on the subject: the mark is not set from them, and reading it does not fail.
    await bus.publish(subject, new TextEncoder().encode('{"ts": 1700000000000, "not": "a bar"'));
    expect(await sink().highWater(feed)).toBeUndefined();
    const ts = Date.UTC(2024, 0, 1);
    const bar = { type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', '1h', ts), venue: 'binance', symbol: 'BTC/USDT', tf: '1h', open: 100, high: 101, low: 99, close: 100.5, volume: 3, ts };
    await bus.publish(subject, encode(bar));
    expect(await sink().highWater(feed)).toEqual({ ts });
    await bus.close();
  });

  it('knows the newest stored quote after a restart: the same top of book again is not stored twice', async () => {
    const bus = await createNatsBus({ url: NATS_URL, name: 'quote-restart-test', connectTimeoutMs: 2000 });
    const subjects = subjectsFor(`qr${Date.now().toString(36)}`);
    const stream = `QR_${subjects.prefix}_MD`;
    await bus.ensureStreams([{ name: stream, subjects: [subjects.streamSubjects.MD[0] ?? `${subjects.prefix}.md.>`], maxAgeMs: 0, duplicateWindowMs: 1000, storage: 'memory' }]);
    try {
      const feed = { kind: 'quote' as const, venue: 'binance', symbol: 'BTC/USDT' };
      const sink = () => createMarketDataSink({ bus, subjects, mdStream: stream, maxPayloadBytes: 8192, now: () => 0 });
      const ts = Date.UTC(2024, 0, 1);
      const quote = (bid: number) => quoteCandidate('binance', 'BTC/USDT', { ts, bid, bidSize: 1, ask: 100.5, askSize: 2 }, ts);
      expect((await sink().offer(feed, quote(100), 'poll')).type).toBe('published');
      // A new process (a restart), polling a quiet symbol: the same quote again, then a new one in the same millisecond.
      const restarted = sink();
      expect((await restarted.offer(feed, quote(100), 'poll')).type).not.toBe('published');
      expect((await restarted.offer(feed, quote(100.1), 'poll')).type).toBe('published');
      const ids = (await readStream(bus, stream, subjects.quote('binance', 'BTC/USDT'))).map((m) => m.msg['id']);
      expect(ids).toEqual([quoteId('binance', 'BTC/USDT', ts, 0), quoteId('binance', 'BTC/USDT', ts, 1)]);
    } finally {
      await bus.deleteStreams([stream]);
      await bus.close();
    }
  });
});

