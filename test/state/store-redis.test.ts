import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreConnectError, StoreError } from '../../state/errors.js';
import type { FeatureStore } from '../../state/feature-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createRedisFeatureStore, isRetryableRedisError } from '../../state/redis-feature-store.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';

// Real Redis; fails (never skips) when it is not reachable.
const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const base = `sxstore${Math.floor(Math.random() * 1e9)}`;
const vec = (ts: number, values: Record<string, number | null>): FeatureVector => ({
  type: 'feat.vector', v: 1, id: `f:${ts}`, venue: 'binance', symbol: 'BTC/USDT', ts, source: `b:${ts}`, values,
});

describe('Redis feature store', () => {
  let raw: Redis;
  let store: FeatureStore;
  beforeAll(async () => {
    raw = new Redis(url);
    store = await createRedisFeatureStore({ url, keyPrefix: base, historyCap: 3 });
  });
  afterAll(async () => {
    const keys = await raw.keys(`${base}*`);
    if (keys.length > 0) await raw.del(...keys);
    await store.close();
    await raw.quit();
  });

  it('lays out the latest hash with one field per feature, warming-up features empty', async () => {
    await store.writeBatch([vec(1_700_000_000_123, { sma_20: null, rsi_14: 0.30000000000000004 })]);
    expect(await raw.hgetall(`${base}:feat:binance:BTC/USDT`)).toEqual({ _id: 'f:1700000000123', _ts: '1700000000123', _source: 'b:1700000000123', sma_20: '', rsi_14: '0.30000000000000004' });
    expect(await raw.llen(`${base}:feath:binance:BTC/USDT`)).toBe(1);
  });

  it('keeps the history in the binary form and still reads JSON entries written by older versions', async () => {
    const key = `${base}:feath:binance:ETH/USDT`;
    const older: FeatureVector = { ...vec(5, { a: 0.1 }), symbol: 'ETH/USDT' };
    await raw.lpush(key, JSON.stringify(older));
    const newer: FeatureVector = { ...vec(6, { a: 0.2, b: null }), symbol: 'ETH/USDT' };
    await store.writeBatch([newer]);
    const head = await raw.lindexBuffer(key, 0);
    expect(head?.[0]).toBe(0xfe);
    expect(await store.history({ venue: 'binance', symbol: 'ETH/USDT' }, 10)).toEqual([newer, older]);
    await raw.lpush(key, Buffer.from([0xfe, 0x01, 0x05]));
    await expect(store.history({ venue: 'binance', symbol: 'ETH/USDT' }, 10)).rejects.toThrow(/not a feature vector/);
  });

  it('clears its prefix literally, even when the prefix holds glob characters', async () => {
    const globby = await createRedisFeatureStore({ url, keyPrefix: `${base}*`, historyCap: 3 });
    try {
      await globby.writeBatch([vec(1, { a: 1 })]);
      await raw.set(`${base}zz:untouched`, '1');
      await globby.clear();
      expect(await globby.latest({ venue: 'binance', symbol: 'BTC/USDT' })).toBeUndefined();
      expect(await raw.get(`${base}zz:untouched`)).toBe('1');
      expect(await raw.exists(`${base}:feat:binance:BTC/USDT`)).toBe(1);
    } finally {
      await globby.close();
    }
  });

  it('reports a wrong-type key as an error not worth retrying', async () => {
    const s = await createRedisFeatureStore({ url, keyPrefix: `${base}w`, historyCap: 3 });
    try {
      await raw.set(`${base}w:feath:binance:BTC/USDT`, 'not a list');
      const err = await s.writeBatch([vec(1, { a: 1 })]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).retryable).toBe(false);
      await raw.set(`${base}w:snap:k`, '{not json');
      const bad = await s.loadSnapshot('k').catch((e: unknown) => e);
      expect((bad as StoreError).retryable).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('fails fast with a retryable connect error when nothing listens, so the CLI can fall back', async () => {
    const t = performance.now();
    const err = await createRedisFeatureStore({ url: 'redis://127.0.0.1:1', keyPrefix: base, historyCap: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreConnectError);
    expect((err as StoreConnectError).retryable).toBe(true);
    expect(performance.now() - t).toBeLessThan(3_000);
  });

  it('classifies reply errors: passing server states retry, the rest do not', () => {
    const reply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });
    expect(isRetryableRedisError(reply('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRetryableRedisError(reply('EXECABORT Transaction discarded because of previous errors.'))).toBe(false);
    expect(isRetryableRedisError(reply('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isRetryableRedisError(reply("READONLY You can't write against a read only replica."))).toBe(true);
    expect(isRetryableRedisError(new Error('Connection is closed.'))).toBe(true);
  });

  it('refuses a history cap of zero or less on both adapters', async () => {
    expect(() => createMemoryFeatureStore({ historyCap: 0 })).toThrow(StoreError);
    await expect(createRedisFeatureStore({ url, keyPrefix: base, historyCap: 0 })).rejects.toBeInstanceOf(StoreError);
  });
});
