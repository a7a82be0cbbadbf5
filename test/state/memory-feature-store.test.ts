import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createRedisFeatureStore } from '../../state/redis-feature-store.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';

// Real Redis for the parity check; fails (never skips) when it is not reachable.
const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `sxmemfs${Math.floor(Math.random() * 1e9)}`;

const vec = (symbol: string, ts: number): FeatureVector => ({
  type: 'feat.vector', v: 1, id: `f:${symbol}:${ts}`, venue: 'binance', symbol, ts, source: `b:${symbol}:${ts}`, values: { a: ts / 7, b: ts % 3 === 0 ? null : -ts },
});
const BTC = { venue: 'binance', symbol: 'BTC/USDT' };
const ETH = { venue: 'binance', symbol: 'ETH/USDT' };

describe('memory feature store: history', () => {
  const raw = new Redis(url);
  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    await raw.quit();
  });

  it('reads back the newest vectors of each asset from a batch longer than its cap as if written one by one, and as Redis does', async () => {
    // Two assets interleaved unevenly, 40 vectors in one batch, a cap of 3.
    const batch: FeatureVector[] = [];
    for (let t = 1; t <= 40; t++) batch.push(vec(t % 3 === 0 ? 'ETH/USDT' : 'BTC/USDT', t));
    const once = createMemoryFeatureStore({ historyCap: 3 });
    const oneByOne = createMemoryFeatureStore({ historyCap: 3 });
    const redis = await createRedisFeatureStore({ url, keyPrefix: prefix, historyCap: 3 });
    try {
      await once.writeBatch(batch);
      for (const v of batch) await oneByOne.writeBatch([v]);
      await redis.writeBatch(batch);
      for (const asset of [BTC, ETH]) {
        for (const limit of [1, 2, 3, 10]) {
          const got = await once.history(asset, limit);
          expect(got).toEqual(await oneByOne.history(asset, limit));
          expect(got).toEqual(await redis.history(asset, limit));
        }
        expect((await once.latest(asset))?.ts).toBe(asset === ETH ? 39 : 40);
      }
      expect((await once.history(ETH, 3)).map((v) => v.ts)).toEqual([39, 36, 33]);
      expect((await once.history(BTC, 3)).map((v) => v.ts)).toEqual([40, 38, 37]);
      // A later short batch goes on from there.
      await once.writeBatch([vec('ETH/USDT', 41)]);
      expect((await once.history(ETH, 3)).map((v) => v.ts)).toEqual([41, 39, 36]);
    } finally {
      await redis.close();
    }
  });
});
