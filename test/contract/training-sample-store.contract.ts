import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../state/errors.js';
import type { OrderSample, PredictionSample, TrainingSample, TrainingSampleStore } from '../../state/training-sample-store.js';

const T0 = 1_640_995_200_123; // not on a second boundary: milliseconds must survive
const H = 3_600_000;

export const sample = (i: number, patch: Partial<PredictionSample> = {}): PredictionSample => ({
  kind: 'prediction',
  id: `p:s1:f:b:binance:BTC/USDT:1h:${T0 + i * H}`,
  strategy: 's1',
  venue: 'binance',
  symbol: 'BTC/USDT',
  ts: T0 + i * H,
  labeledTs: T0 + (i + 4) * H,
  model: { name: 'direction-mlp', version: 3 },
  featureSpecHash: 'abc123',
  featureId: `f:b:binance:BTC/USDT:1h:${T0 + i * H}`,
  features: { atr_14: 0.1 + 0.2, rsi_14: i < 1 ? null : 1e-300, close: 1 / 3 },
  label: i % 3 === 0 ? 1 : i % 3 === 1 ? -1 : 0,
  barrier: i % 3 === 0 ? 'take_profit' : i % 3 === 1 ? 'stop_loss' : 'vertical',
  outcomeClass: 'good',
  forwardReturn: -0.000123456789,
  netReturnBps: 12.345678901234,
  horizonBars: 4,
  ...patch,
});

/** An approved order's sample on the same bar as `sample(i)`: no model, the order's side. */
export const orderSample = (i: number, patch: Partial<OrderSample> = {}): OrderSample => {
  const { model: _m, featureSpecHash: _h, kind: _k, ...rest } = sample(i, { id: `o:s:${i}:0`, label: -1, barrier: 'stop_loss', outcomeClass: 'poor' });
  return { ...rest, kind: 'order', model: null, featureSpecHash: null, side: 'sell', ...patch };
};

/** The TrainingSampleStore contract; `make()` builds a store on its own empty schema (or memory). */
export function trainingSampleStoreContract(name: string, make: () => Promise<TrainingSampleStore>): void {
  describe(`TrainingSampleStore contract: ${name}`, () => {
    let store: TrainingSampleStore;
    beforeAll(async () => {
      store = await make();
    });
    afterAll(async () => store.close());

    it('upserts idempotently on (strategy, venue, symbol, ts, id): a second commit replaces, never adds', async () => {
      await store.clear();
      expect(await store.commit({ samples: [sample(0), sample(1), sample(2)] })).toBe(3);
      expect(await store.commit({ samples: [sample(1, { label: 0, barrier: 'vertical', outcomeClass: 'bad' })] })).toBe(1);
      expect(await store.count()).toBe(3);
      expect(await store.count('s1')).toBe(3);
      expect(await store.count('other')).toBe(0);
      const rows = await store.samples({ strategy: 's1' });
      expect(rows.map((r) => r.id)).toEqual([sample(0).id, sample(1).id, sample(2).id]);
      expect(rows[1]).toEqual(sample(1, { label: 0, barrier: 'vertical', outcomeClass: 'bad' }));
    });

    it('returns every field exactly, nulls and milliseconds kept', async () => {
      await store.clear();
      await store.commit({ samples: [sample(0), sample(5)] });
      expect(await store.samples({ strategy: 's1' })).toEqual([sample(0), sample(5)]);
    });

    it('keeps order samples beside predictions: a query reads predictions unless it asks for orders or all', async () => {
      await store.clear();
      await store.commit({ samples: [sample(0), orderSample(0), sample(1), orderSample(2, { side: 'buy', label: 1, barrier: 'take_profit' })] });
      expect(await store.count('s1')).toBe(4);
      expect(await store.samples({ strategy: 's1' })).toEqual([sample(0), sample(1)]);
      expect(await store.samples({ strategy: 's1', kind: 'prediction' })).toEqual([sample(0), sample(1)]);
      expect(await store.samples({ strategy: 's1', kind: 'order' })).toEqual([orderSample(0), orderSample(2, { side: 'buy', label: 1, barrier: 'take_profit' })]);
      expect((await store.samples({ strategy: 's1', kind: 'all' })).map((r) => `${r.kind}:${(r.ts - T0) / H}`)).toEqual(['order:0', 'prediction:0', 'prediction:1', 'order:2']);
      expect((await store.samples({ strategy: 's1', kind: 'order', limit: 1 })).map((r) => r.id)).toEqual([orderSample(0).id]);
      expect((await store.samples({ strategy: 's1', kind: 'all', from: T0 + H })).map((r) => r.id)).toEqual([sample(1).id, orderSample(2).id]);
    });

    it('reads by asset and decision-time range, from inclusive and to exclusive, with a limit', async () => {
      await store.clear();
      await store.commit({ samples: [0, 1, 2, 3].map((i) => sample(i)).concat([sample(1, { symbol: 'ETH/USDT', id: 'p:eth' })]) });
      expect((await store.samples({ strategy: 's1', symbol: 'BTC/USDT', from: T0 + H, to: T0 + 3 * H })).map((r) => r.ts)).toEqual([T0 + H, T0 + 2 * H]);
      expect((await store.samples({ strategy: 's1', symbol: 'ETH/USDT' })).map((r) => r.id)).toEqual(['p:eth']);
      expect((await store.samples({ strategy: 's1', venue: 'other' })).length).toBe(0);
      expect((await store.samples({ strategy: 's1', limit: 2 })).length).toBe(2);
    });

    it('orders by time then id across assets and strategies, whatever order the commits came in', async () => {
      await store.clear();
      const eth = (i: number, id: string): TrainingSample => sample(i, { symbol: 'ETH/USDT', id });
      // Out of order within an asset, interleaved across assets, same times with different ids, another strategy.
      await store.commit({ samples: [sample(3), eth(2, 'p:e2b'), sample(1)] });
      await store.commit({ samples: [eth(2, 'p:e2a'), sample(2), sample(0, { strategy: 's2' }), eth(0, 'p:e0')] });
      await store.commit({ samples: [sample(2, { label: 0 }), eth(1, 'p:e1')] });
      const all = await store.samples({ strategy: 's1' });
      expect(all.map((r) => `${r.symbol}@${(r.ts - T0) / H}:${r.id.startsWith('p:e') ? r.id : 'btc'}`)).toEqual([
        'ETH/USDT@0:p:e0',
        'ETH/USDT@1:p:e1', // "p:e…" before BTC's "p:s1:…" at the same time
        'BTC/USDT@1:btc',
        'ETH/USDT@2:p:e2a',
        'ETH/USDT@2:p:e2b',
        'BTC/USDT@2:btc',
        'BTC/USDT@3:btc',
      ]);
      expect(all[5]?.label).toBe(0); // replaced in place
      expect(await store.count()).toBe(8);
      expect(await store.count('s1')).toBe(7);
      expect((await store.samples({ strategy: 's1', from: T0 + H, to: T0 + 2 * H + 1 })).map((r) => r.id)).toEqual(['p:e1', sample(1).id, 'p:e2a', 'p:e2b', sample(2).id]);
      expect((await store.samples({ strategy: 's1', symbol: 'ETH/USDT', from: T0 + 2 * H })).map((r) => r.id)).toEqual(['p:e2a', 'p:e2b']);
      expect((await store.samples({ strategy: 's2' })).map((r) => r.ts)).toEqual([T0]);
    });

    it('counts what a query reads (countSamples), and keeps only samples labeled before labeledBefore', async () => {
      await store.clear();
      const eth = (i: number, id: string): TrainingSample => sample(i, { symbol: 'ETH/USDT', id });
      // sample(i) is labeled 4 hours after its decision; sample(2)'s label came late (9 hours).
      await store.commit({ samples: [sample(0), sample(1), sample(2, { labeledTs: T0 + 11 * H }), sample(3), eth(1, 'p:e1'), eth(2, 'p:e2'), orderSample(1), sample(0, { strategy: 's2' })] });
      const queries = [
        { strategy: 's1' },
        { strategy: 's1', kind: 'all' },
        { strategy: 's1', kind: 'order' },
        { strategy: 's1', symbol: 'ETH/USDT' },
        { strategy: 's1', venue: 'other' },
        { strategy: 's1', from: T0 + H, to: T0 + 3 * H },
        { strategy: 's1', to: T0 + 7 * H, labeledBefore: T0 + 7 * H },
        { strategy: 's1', kind: 'all', labeledBefore: T0 + 6 * H },
        { strategy: 's2' },
        { strategy: 'other' },
      ] as const;
      const counts: number[] = [];
      for (const q of queries) {
        const n = await store.countSamples(q);
        expect(n, JSON.stringify(q)).toBe((await store.samples(q)).length);
        counts.push(n);
      }
      expect(counts).toEqual([6, 7, 1, 2, 0, 4, 4, 4, 1, 0]);
      // Strictly before: a sample labeled at labeledBefore itself is left out.
      expect((await store.samples({ strategy: 's1', labeledBefore: T0 + 6 * H })).map((r) => r.id)).toEqual([sample(0).id, 'p:e1', sample(1).id]);
      expect(await store.countSamples({ strategy: 's1', labeledBefore: T0 + 6 * H + 1 })).toBe(4);
      expect(await store.countSamples({ strategy: 's1', labeledBefore: T0 + 7 * H + 1 })).toBe(5);
      expect((await store.samples({ strategy: 's1', labeledBefore: T0 + 8 * H, limit: 2 })).map((r) => r.id)).toEqual([sample(0).id, 'p:e1']);
    });

    it('reads only the newest n a query matches (newest), in order, and counts no further than atMost', async () => {
      await store.clear();
      const eth = (i: number, id: string): TrainingSample => sample(i, { symbol: 'ETH/USDT', id });
      await store.commit({ samples: [0, 1, 2, 3, 4, 5].map((i): TrainingSample => sample(i)).concat([eth(2, 'p:e2'), eth(4, 'p:e4'), orderSample(5), sample(6, { strategy: 's2' })]) });
      // Same time, "p:e…" before "p:s1:…"; the order's "o:…" before both.
      expect((await store.samples({ strategy: 's1', newest: 3 })).map((r) => r.id)).toEqual(['p:e4', sample(4).id, sample(5).id]);
      expect((await store.samples({ strategy: 's1', to: T0 + 5 * H, newest: 3 })).map((r) => r.id)).toEqual([sample(3).id, 'p:e4', sample(4).id]);
      // Labeled 4 hours after the decision: before T0+8H are the decisions before T0+4H.
      expect((await store.samples({ strategy: 's1', labeledBefore: T0 + 8 * H, newest: 2 })).map((r) => r.id)).toEqual([sample(2).id, sample(3).id]);
      expect((await store.samples({ strategy: 's1', newest: 3, limit: 1 })).map((r) => r.id)).toEqual(['p:e4']);
      const queries = [
        { strategy: 's1' },
        { strategy: 's1', kind: 'all' },
        { strategy: 's1', kind: 'order' },
        { strategy: 's1', symbol: 'ETH/USDT' },
        { strategy: 's1', from: T0 + H, to: T0 + 5 * H },
        { strategy: 's1', to: T0 + 7 * H, labeledBefore: T0 + 7 * H },
        { strategy: 's2' },
        { strategy: 'other' },
      ] as const;
      for (const q of queries) {
        const all = await store.samples(q);
        for (const n of [0, 1, 2, 5, 100]) {
          expect(await store.samples({ ...q, newest: n }), `${JSON.stringify(q)} newest ${n}`).toEqual(all.slice(Math.max(0, all.length - n)));
          expect(await store.countSamples({ ...q, atMost: n }), `${JSON.stringify(q)} atMost ${n}`).toBe(Math.min(all.length, n));
        }
      }
    });

    it('keeps one snapshot per actor, replaced by each commit, and commits it without samples', async () => {
      await store.clear();
      expect(await store.loadSnapshot('labeling:s1')).toBeUndefined();
      await store.commit({ samples: [], snapshot: { actor: 'labeling:s1', state: { v: 1, pending: ['a'], wm: 1.5 }, ts: T0 } });
      await store.commit({ samples: [sample(0)], snapshot: { actor: 'labeling:s1', state: { v: 1, pending: [], wm: 2 }, ts: T0 + H } });
      await store.commit({ samples: [], snapshot: { actor: 'labeling:s2', state: { v: 1, pending: ['b'], wm: null }, ts: T0 } });
      expect(await store.loadSnapshot('labeling:s1')).toEqual({ v: 1, pending: [], wm: 2 });
      expect(await store.loadSnapshot('labeling:s2')).toEqual({ v: 1, pending: ['b'], wm: null });
      expect(await store.count()).toBe(1);
    });

    it('tells which keys have a sample stored (storedIds), by strategy, asset, decision time and id', async () => {
      await store.clear();
      await store.commit({ samples: [sample(0), orderSample(1), orderSample(3, { strategy: 's2' })] });
      const key = (s: TrainingSample) => ({ venue: s.venue, symbol: s.symbol, ts: s.ts, id: s.id });
      expect(await store.storedIds('s1', [])).toEqual(new Set());
      const found = await store.storedIds('s1', [
        key(sample(0)),
        key(orderSample(1)),
        key(orderSample(2)), // never stored
        { ...key(orderSample(1)), ts: orderSample(1).ts + 1 }, // another decision time
        { ...key(orderSample(1)), symbol: 'ETH/USDT' }, // another asset
        key(orderSample(3)), // another strategy's
      ]);
      expect([...found].sort()).toEqual([orderSample(1).id, sample(0).id].sort());
      expect(await store.storedIds('s2', [key(orderSample(3))])).toEqual(new Set([orderSample(3).id]));
    });

    it('refuses a sample labeled at or before its decision time, one without a horizon, and times that are not numbers, storing nothing of the commit', async () => {
      // A label known at or before its decision passes a `labeledBefore` filter as if known in time (look-ahead).
      await store.clear();
      await store.commit({ samples: [], snapshot: { actor: 'labeling:s1', state: { v: 1 }, ts: T0 } });
      const refusals: [Partial<PredictionSample>, RegExp][] = [
        [{ labeledTs: sample(1).ts }, /labeledTs \d+ is not after its decision time ts \d+/],
        [{ labeledTs: sample(1).ts - H }, /labeledTs \d+ is not after its decision time ts \d+/],
        [{ horizonBars: 0 }, /horizonBars is 0/],
        [{ horizonBars: -4 }, /horizonBars is -4/],
        [{ horizonBars: 1.5 }, /horizonBars is 1.5/],
        [{ ts: Number.NaN }, /ts is NaN/],
        [{ labeledTs: Number.POSITIVE_INFINITY }, /labeledTs is Infinity/],
        [{ forwardReturn: Number.NaN }, /forwardReturn is NaN/],
      ];
      for (const [patch, why] of refusals) {
        const err = await store.commit({ samples: [sample(0), sample(1, patch)], snapshot: { actor: 'labeling:s1', state: { v: 2 }, ts: T0 + H } }).catch((e: unknown) => e);
        expect(err, JSON.stringify(patch)).toBeInstanceOf(StoreError);
        expect((err as StoreError).retryable).toBe(false);
        expect((err as Error).message).toMatch(new RegExp(`training sample ${sample(1).id.replaceAll('/', '\\/')} .*refused: ${why.source}`));
      }
      const nanSnapshot = await store.commit({ samples: [sample(0)], snapshot: { actor: 'labeling:s1', state: { v: 3 }, ts: Number.NaN } }).catch((e: unknown) => e);
      expect(nanSnapshot).toBeInstanceOf(StoreError);
      expect((nanSnapshot as Error).message).toMatch(/labeling snapshot of labeling:s1 refused: its event time ts is NaN/);
      expect(await store.count()).toBe(0);
      expect(await store.loadSnapshot('labeling:s1')).toEqual({ v: 1 });
      expect(await store.commit({ samples: [sample(1, { labeledTs: sample(1).ts + 1, horizonBars: 1 })] })).toBe(1); // one millisecond after is in time
    });

    it('lists the assets a strategy has samples of (assets), of any kind, by venue then symbol', async () => {
      await store.clear();
      expect(await store.assets('s1')).toEqual([]);
      const at = (venue: string, symbol: string, i: number): PredictionSample => sample(i, { venue, symbol, id: `p:${venue}:${symbol}:${i}` });
      await store.commit({
        samples: [at('binance', 'SOL/USDT', 0), at('binance', 'BTC/USDT', 1), at('binance', 'BTC/USDT', 2), at('binance', 'btc/usdt', 0), at('bybit', 'ETH/USDT', 3), at('Binance', 'ETH/USDT', 0)],
      });
      await store.commit({ samples: [orderSample(0, { symbol: 'DOGE/USDT', id: 'o:d:0' }), sample(0, { strategy: 's2', symbol: 'PEPE/USDT', id: 'p:s2' })] });
      // Code-unit order: 'B' < 'b', 'B' < 'D' < 'S', 'b' (lower case) after every capital.
      expect(await store.assets('s1')).toEqual([
        { venue: 'Binance', symbol: 'ETH/USDT' },
        { venue: 'binance', symbol: 'BTC/USDT' },
        { venue: 'binance', symbol: 'DOGE/USDT' },
        { venue: 'binance', symbol: 'SOL/USDT' },
        { venue: 'binance', symbol: 'btc/usdt' },
        { venue: 'bybit', symbol: 'ETH/USDT' },
      ]);
      expect(await store.assets('s2')).toEqual([{ venue: 'binance', symbol: 'PEPE/USDT' }]);
      expect(await store.assets('nope')).toEqual([]);
    });

    it('clear() forgets samples and snapshots', async () => {
      await store.commit({ samples: [sample(0)], snapshot: { actor: 'labeling:s1', state: { v: 1 }, ts: T0 } });
      await store.clear();
      expect(await store.count()).toBe(0);
      expect(await store.loadSnapshot('labeling:s1')).toBeUndefined();
    });
  });
}
