import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../state/errors.js';
import type { ActorSnapshot, FeatureStore } from '../../state/feature-store.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';

const vec = (symbol: string, ts: number, values: Record<string, number | null>, tag = ''): FeatureVector => ({
  type: 'feat.vector', v: 1, id: `f:b:binance:${symbol}:1h:${ts}${tag}`, venue: 'binance', symbol, ts, source: `b:binance:${symbol}:1h:${ts}`, values,
});
const asset = (symbol: string) => ({ venue: 'binance', symbol }) as const;

/**
 * The FeatureStore contract; `make(prefix)` builds a store with `historyCap: 5` under its own key
 * prefix (a fresh one per call for Redis; the memory store has no shared namespace).
 */
export function featureStoreContract(name: string, make: (prefix: string) => Promise<FeatureStore>): void {
  describe(`FeatureStore contract: ${name}`, () => {
    const prefix = `ctfs${Math.floor(Math.random() * 1e9)}`;
    let store: FeatureStore;
    beforeAll(async () => {
      store = await make(prefix);
      await store.clear();
    });
    afterAll(async () => {
      await store.clear();
      await store.close();
    });

    it('keeps the newest vector of a batch per asset as the latest', async () => {
      await store.writeBatch([vec('BTC/USDT', 3000, { a: 3 }), vec('ETH/USDT', 1000, { a: 10 }), vec('BTC/USDT', 1000, { a: 1 })]);
      expect(await store.latest(asset('BTC/USDT'))).toEqual(vec('BTC/USDT', 3000, { a: 3 }));
      expect(await store.latest(asset('ETH/USDT'))).toEqual(vec('ETH/USDT', 1000, { a: 10 }));
      expect(await store.latest(asset('SOL/USDT'))).toBeUndefined();
    });

    it('breaks a tie in event time by input order: the later vector wins', async () => {
      await store.writeBatch([vec('LTC/USDT', 7, { a: 1 }, ':first'), vec('LTC/USDT', 7, { a: 2 }, ':second')]);
      expect(await store.latest(asset('LTC/USDT'))).toEqual(vec('LTC/USDT', 7, { a: 2 }, ':second'));
    });

    it('replaces the latest vector whole: a feature absent from the newer one is gone', async () => {
      await store.writeBatch([vec('BNB/USDT', 1, { a: 1, b: 2, c: null })]);
      await store.writeBatch([vec('BNB/USDT', 2, { b: 3 })]);
      expect(await store.latest(asset('BNB/USDT'))).toEqual(vec('BNB/USDT', 2, { b: 3 }));
    });

    it('keeps a capped history, newest first', async () => {
      const vs = Array.from({ length: 8 }, (_, i) => vec('XRP/USDT', 1000 * (i + 1), { i }));
      await store.writeBatch(vs.slice(0, 5));
      await store.writeBatch(vs.slice(5));
      const h = await store.history(asset('XRP/USDT'), 100);
      expect(h).toEqual([vs[7], vs[6], vs[5], vs[4], vs[3]]);
      expect((await store.history(asset('XRP/USDT'), 2)).map((v) => v.values['i'])).toEqual([7, 6]);
      expect((await store.history(asset('XRP/USDT'), 2.9)).map((v) => v.values['i'])).toEqual([7, 6]);
      expect(await store.history(asset('XRP/USDT'), 0)).toEqual([]);
      expect(await store.history(asset('XRP/USDT'), -1)).toEqual([]);
      expect(await store.history(asset('NONE/USDT'), 10)).toEqual([]);
    });

    it('caps the history also within one batch longer than the cap', async () => {
      const vs = Array.from({ length: 12 }, (_, i) => vec('TRX/USDT', i + 1, { i }));
      await store.writeBatch(vs);
      expect((await store.history(asset('TRX/USDT'), 100)).map((v) => v.values['i'])).toEqual([11, 10, 9, 8, 7]);
      expect(await store.latest(asset('TRX/USDT'))).toEqual(vs[11]);
    });

    it('preserves features that are still warming up (null) and exact numbers', async () => {
      const v = vec('ADA/USDT', 1_700_000_000_123, { sma_200: null, rsi_14: 55.5, tiny: 1e-300, sum: 0.1 + 0.2, big: 2 ** 53 - 1, neg: -1.5e-7, huge: 1.7976931348623157e308 });
      await store.writeBatch([v]);
      expect(await store.latest(asset('ADA/USDT'))).toEqual(v);
      expect(await store.history(asset('ADA/USDT'), 1)).toEqual([v]);
    });

    it('round-trips snapshots with exact numbers, and a later batch replaces them', async () => {
      const snap: ActorSnapshot = { version: 1, streamSeq: 42, ts: 1_700_000_000_123, state: { a: 0.1 + 0.2, b: 1e-300, c: 2 ** 53 - 1, d: -1.5e-7, e: [1 / 3, null], f: 'x' } };
      await store.writeBatch([], [['asset:binance:BTC/USDT', snap]]);
      expect(await store.loadSnapshot('asset:binance:BTC/USDT')).toEqual(snap);
      expect(await store.loadSnapshot('asset:nowhere')).toBeUndefined();
      const next: ActorSnapshot = { ...snap, streamSeq: 43 };
      await store.writeBatch([vec('BTC/USDT', 4000, { a: 4 })], [['asset:binance:BTC/USDT', next]]);
      expect(await store.loadSnapshot('asset:binance:BTC/USDT')).toEqual(next);
    });

    it('refuses a feature named like a field of the latest hash, without retry and without writing', async () => {
      const err = await store.writeBatch([vec('DOGE/USDT', 1, { a: 1 }), vec('DOGE/USDT', 2, { _ts: 5 })]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).retryable).toBe(false);
      expect(await store.latest(asset('DOGE/USDT'))).toBeUndefined();
      await store.writeBatch([vec('DOGE/USDT', 3, { _other: 1 })]); // only the three names are taken
      expect(await store.latest(asset('DOGE/USDT'))).toEqual(vec('DOGE/USDT', 3, { _other: 1 }));
    });

    it('keeps the same symbol on two venues apart', async () => {
      await store.writeBatch([vec('VEN/USDT', 1, { a: 1 }), { ...vec('VEN/USDT', 1, { a: 2 }), venue: 'kraken', id: 'f:b:kraken:VEN/USDT:1h:1' }]);
      expect((await store.latest(asset('VEN/USDT')))?.values).toEqual({ a: 1 });
      expect((await store.latest({ venue: 'kraken', symbol: 'VEN/USDT' }))?.values).toEqual({ a: 2 });
      expect(await store.history({ venue: 'kraken', symbol: 'VEN/USDT' }, 5)).toHaveLength(1);
    });

    it('reads every feature value back bit for bit, denormals included', async () => {
      const exact = { sum: 0.1 + 0.2, tiny: 1e-300, maxSafe: 2 ** 53 - 1, micro: 6e-7, third: 1 / 3, denormal: 5e-324, negHuge: -1.7976931348623157e308 };
      await store.writeBatch([vec('NUM/USDT', 1_640_995_200_123, exact)]);
      const latest = await store.latest(asset('NUM/USDT'));
      const [head] = await store.history(asset('NUM/USDT'), 1);
      for (const [k, want] of Object.entries(exact)) {
        expect(Object.is(latest?.values[k], want), `latest ${k}`).toBe(true);
        expect(Object.is(head?.values[k], want), `history ${k}`).toBe(true);
      }
    });

    it('round-trips a snapshot holding -0 as -0, wherever it sits', async () => {
      const state = { z: -0, pos: 0, xs: [1 / 3, null, -0, 0], deep: { z: -0, s: 'text' } };
      const snap: ActorSnapshot = { version: 2, streamSeq: 2 ** 53 - 1, ts: 1_640_995_200_123, state };
      await store.writeBatch([], [['asset:binance:ZERO/USDT', snap]]);
      const back = (await store.loadSnapshot('asset:binance:ZERO/USDT')) as ActorSnapshot & { state: typeof state };
      expect(back).toEqual(snap);
      expect(Object.is(back.state.z, -0)).toBe(true);
      expect(Object.is(back.state.pos, 0)).toBe(true);
      expect(Object.is(back.state.xs[2], -0)).toBe(true);
      expect(Object.is(back.state.xs[3], 0)).toBe(true);
      expect(Object.is(back.state.deep.z, -0)).toBe(true);
    });

    it('accepts an empty batch, and writes nothing for it', async () => {
      // The store is shared by this describe's tests: what the earlier ones left must be unchanged.
      const before = [await store.latest(asset('BTC/USDT')), await store.history(asset('BTC/USDT'), 5), await store.loadSnapshot('asset:binance:BTC/USDT')];
      await expect(store.writeBatch([])).resolves.toBeUndefined();
      await expect(store.writeBatch([], [])).resolves.toBeUndefined();
      expect([await store.latest(asset('BTC/USDT')), await store.history(asset('BTC/USDT'), 5), await store.loadSnapshot('asset:binance:BTC/USDT')]).toEqual(before);
      expect(await store.latest(asset('NONE/USDT'))).toBeUndefined();
    });

    it('clears only its own prefix', async () => {
      const other = await make(`${prefix}x`);
      try {
        await other.writeBatch([vec('BTC/USDT', 1, { a: 1 })], [['k', { version: 1, streamSeq: 1, ts: 1, state: null }]]);
        await store.writeBatch([vec('DOT/USDT', 1, { a: 1 })], [['k', { version: 1, streamSeq: 2, ts: 2, state: null }]]);
        await store.clear();
        expect(await store.latest(asset('DOT/USDT'))).toBeUndefined();
        expect(await store.history(asset('DOT/USDT'), 5)).toEqual([]);
        expect(await store.loadSnapshot('k')).toBeUndefined();
        expect((await other.latest(asset('BTC/USDT')))?.values).toEqual({ a: 1 });
        expect((await other.loadSnapshot('k'))?.streamSeq).toBe(1);
      } finally {
        await other.clear();
        await other.close();
      }
    });
  });
}
