import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import type { Bar } from '../../streams/messages/bar.js';
import { barId } from '../../streams/messages/bar.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import type { Quote } from '../../streams/messages/quote.js';
import { quoteId } from '../../streams/messages/quote.js';
import type { Trade } from '../../streams/messages/trade.js';
import { tradeId } from '../../streams/messages/trade.js';

const T0 = 1_640_995_200_123; // not on a second boundary: milliseconds must survive
const H = 3_600_000;
const bar = (i: number, symbol = 'BTC/USDT', t0 = T0): Bar => ({
  type: 'md.bar', v: 1, id: barId('binance', symbol, '1h', t0 + i * H), venue: 'binance', symbol, tf: '1h',
  open: 0.1 + 0.2, high: 6e-7 + i, low: 6e-7, close: 1 / 3, volume: 1503.33095, ts: t0 + i * H,
});
const trade = (i: number, id = tradeId('binance', 'BTC/USDT', i)): Trade => ({ type: 'md.trade', v: 1, id, venue: 'binance', symbol: 'BTC/USDT', price: 39432.48, qty: 0.000263, side: i % 2 === 0 ? 'buy' : 'sell', ts: T0 + Math.floor(i / 2) });
const quote = (i: number): Quote => ({ type: 'md.quote', v: 1, id: quoteId('binance', 'BTC/USDT', T0 + i, 0), venue: 'binance', symbol: 'BTC/USDT', bid: 39432.99, bidSize: 0.0031, ask: 39433.62, askSize: 0.066851, ts: T0 + i });
const feat = (i: number): FeatureVector => ({
  type: 'feat.vector', v: 1, id: `f:${bar(i).id}`, venue: 'binance', symbol: 'BTC/USDT', ts: bar(i).ts, source: bar(i).id,
  values: { sma_20: i < 2 ? null : 0.1 + 0.2 * i, rsi_14: 1e-300, big: 2 ** 53 - 1, huge: 1.7976931348623157e308, neg: -0.000123 },
});
const BTC = { venue: 'binance', symbol: 'BTC/USDT' } as const;

/** The TimeseriesStore contract; `make()` builds a store on its own empty schema (or memory). */
export function timeseriesStoreContract(name: string, make: () => Promise<TimeseriesStore>): void {
  describe(`TimeseriesStore contract: ${name}`, () => {
    let store: TimeseriesStore;
    beforeAll(async () => {
      store = await make();
    });
    afterAll(async () => store.close());

    it('inserts idempotently: the same batch twice stores nothing the second time', async () => {
      const batch = { bars: [bar(0), bar(1), bar(2)], trades: [trade(0), trade(1), trade(2)], quotes: [quote(0), quote(1)], features: [feat(0), feat(1), feat(2)] };
      expect(await store.insert(batch)).toEqual({ bars: 3, trades: 3, quotes: 2, features: 3 });
      expect(await store.insert(batch)).toEqual({ bars: 0, trades: 0, quotes: 0, features: 0 });
      expect(await store.insert({ bars: [bar(3), bar(3)] })).toEqual({ bars: 1, trades: 0, quotes: 0, features: 0 });
      expect(await store.insert({})).toEqual({ bars: 0, trades: 0, quotes: 0, features: 0 });
      expect(await store.counts()).toEqual({ bars: 4, trades: 3, quotes: 2, features: 3 });
    });

    it('reads back exactly what was written, ascending, from inclusive to exclusive', async () => {
      expect(await store.bars({ ...BTC, tf: '1h' })).toEqual([bar(0), bar(1), bar(2), bar(3)]);
      expect(await store.bars({ ...BTC, tf: '1h', from: bar(1).ts, to: bar(3).ts })).toEqual([bar(1), bar(2)]);
      expect(await store.bars({ ...BTC, tf: '1h', from: bar(1).ts + 1, to: bar(3).ts + 1 })).toEqual([bar(2), bar(3)]);
      expect(await store.bars({ ...BTC, tf: '1h', from: bar(1).ts - 0.5, to: bar(2).ts - 0.5 })).toEqual([bar(1)]);
      expect(await store.bars({ ...BTC, tf: '1h', limit: 1 })).toEqual([bar(0)]);
      expect(await store.bars({ ...BTC, tf: '1h', limit: 0 })).toEqual([]);
      expect(await store.bars({ ...BTC, tf: '5m' })).toEqual([]);
      expect(await store.trades(BTC)).toEqual([trade(0), trade(1), trade(2)]);
      expect(await store.quotes({ ...BTC, from: T0 + 1 })).toEqual([quote(1)]);
      expect(await store.quotes({ ...BTC, to: T0 + 1 })).toEqual([quote(0)]);
      expect(await store.features(BTC)).toEqual([feat(0), feat(1), feat(2)]);
      expect(await store.features({ ...BTC, from: feat(2).ts })).toEqual([feat(2)]);
    });

    it('tells the newest event time per asset and table', async () => {
      expect(await store.lastTs('bars', 'binance', 'BTC/USDT')).toBe(bar(3).ts);
      expect(await store.lastTs('trades', 'binance', 'BTC/USDT')).toBe(trade(2).ts);
      expect(await store.lastTs('quotes', 'binance', 'BTC/USDT')).toBe(quote(1).ts);
      expect(await store.lastTs('features', 'binance', 'BTC/USDT')).toBe(feat(2).ts);
      expect(await store.lastTs('bars', 'binance', 'ETH/USDT')).toBeUndefined();
    });

    it('tells the newest bar of one timeframe apart from the newest of any', async () => {
      // The labeling actor waits for the recorder's bars of its timeframe: 5m bars stored past them said it had got there.
      const m5 = (i: number): Bar => ({ ...bar(0, 'TF/USDT'), id: barId('binance', 'TF/USDT', '5m', T0 + i * 300_000), tf: '5m', ts: T0 + i * 300_000 });
      await store.insert({ bars: [bar(0, 'TF/USDT'), bar(1, 'TF/USDT'), m5(30)] });
      expect(await store.lastTs('bars', 'binance', 'TF/USDT')).toBe(m5(30).ts);
      expect(await store.lastTs('bars', 'binance', 'TF/USDT', '1h')).toBe(bar(1, 'TF/USDT').ts);
      expect(await store.lastTs('bars', 'binance', 'TF/USDT', '5m')).toBe(m5(30).ts);
      expect(await store.lastTs('bars', 'binance', 'TF/USDT', '1m')).toBeUndefined();
      expect(await store.lastTs('bars', 'binance', 'BTC/USDT', '1h')).toBe(bar(3).ts);
    });

    it('orders rows that share a timestamp by id, byte by byte, on every machine', async () => {
      const ids = ['t:b', 't:B', 't:a', 't:_', 't:10', 't:9'];
      await store.insert({ trades: ids.map((id) => trade(100, id)) });
      const got = await store.trades({ ...BTC, from: trade(100).ts, to: trade(100).ts + 1 });
      expect(got.map((t) => t.id)).toEqual(['t:10', 't:9', 't:B', 't:_', 't:a', 't:b']);
    });

    it('reads the newest vectors of one timeframe\'s bars, newest first: no tick vector, no bar of another timeframe or symbol', async () => {
      const sym = 'BF/USDT';
      const vec = (source: string, ts: number, symbol = sym): FeatureVector => ({ type: 'feat.vector', v: 1, id: `f:${source}`, venue: 'binance', symbol, ts, source, values: { close: ts % 1000, rsi_14: null } });
      const h = (i: number, symbol = sym): FeatureVector => vec(barId('binance', symbol, '1h', T0 + i * H), T0 + i * H, symbol);
      const m = (i: number): FeatureVector => vec(barId('binance', sym, '1m', T0 + i * 60_000), T0 + i * 60_000);
      const tick = (i: number): FeatureVector => vec(tradeId('binance', sym, i), T0 + i * 60_000 + 7);
      const ticksAndMinutes = Array.from({ length: 200 }, (_, i) => [m(i), tick(i)]).flat();
      await store.insert({ features: [h(0), h(1), h(2), h(3), ...ticksAndMinutes, h(2, 'BF2/USDT')] });
      expect(await store.barFeatures({ venue: 'binance', symbol: sym, tf: '1h', limit: 3 })).toEqual([h(3), h(2), h(1)]);
      expect(await store.barFeatures({ venue: 'binance', symbol: sym, tf: '1h', limit: 10 })).toEqual([h(3), h(2), h(1), h(0)]);
      expect(await store.barFeatures({ venue: 'binance', symbol: sym, tf: '1m', limit: 2 })).toEqual([m(199), m(198)]);
      expect(await store.barFeatures({ venue: 'binance', symbol: sym, tf: '1d', limit: 5 })).toEqual([]);
      expect(await store.barFeatures({ venue: 'binance', symbol: 'BF2/USDT', tf: '1h', limit: 5 })).toEqual([h(2, 'BF2/USDT')]);
      expect(await store.barFeatures({ venue: 'kraken', symbol: sym, tf: '1h', limit: 5 })).toEqual([]);
    });

    it('keeps assets apart and clears everything on clear()', async () => {
      await store.insert({ bars: [bar(0, 'ETH/USDT')] });
      expect(await store.bars({ venue: 'binance', symbol: 'ETH/USDT', tf: '1h' })).toEqual([bar(0, 'ETH/USDT')]);
      expect(await store.bars({ venue: 'kraken', symbol: 'ETH/USDT', tf: '1h' })).toEqual([]);
      await store.clear();
      expect(await store.counts()).toEqual({ bars: 0, trades: 0, quotes: 0, features: 0 });
      expect(await store.lastTs('bars', 'binance', 'BTC/USDT')).toBeUndefined();
      expect(await store.lastTs('bars', 'binance', 'BTC/USDT', '1h')).toBeUndefined();
    });

    it('keeps milliseconds exactly, also at the epoch and far from today', async () => {
      const times = [0, 1, 999, 1_000, 4_102_444_800_001, 10_413_792_000_007, 253_402_300_799_999];
      const bars = times.map((t) => bar(0, 'FAR/USDT', t));
      expect((await store.insert({ bars })).bars).toBe(times.length);
      expect(await store.bars({ venue: 'binance', symbol: 'FAR/USDT', tf: '1h' })).toEqual(bars);
      expect(await store.bars({ venue: 'binance', symbol: 'FAR/USDT', tf: '1h', from: 1, to: 253_402_300_799_999 })).toEqual(bars.slice(1, -1));
      expect(await store.lastTs('bars', 'binance', 'FAR/USDT')).toBe(253_402_300_799_999);
    });

    it('stores a batch larger than one statement chunk, once', async () => {
      const bars = Array.from({ length: 12_000 }, (_, i) => bar(i, 'BIG/USDT'));
      expect(await store.insert({ bars })).toEqual({ bars: 12_000, trades: 0, quotes: 0, features: 0 });
      expect(await store.insert({ bars: bars.slice(5_000) })).toEqual({ bars: 0, trades: 0, quotes: 0, features: 0 });
      const read = await store.bars({ venue: 'binance', symbol: 'BIG/USDT', tf: '1h' });
      expect(read).toHaveLength(12_000);
      expect(read[11_999]).toEqual(bars[11_999]);
    });

    it('reads a range a page at a time: the rows of bars(), in order, no page over its size and none empty', async () => {
      const big = { venue: 'binance', symbol: 'BIG/USDT', tf: '1h' } as const;
      const all = await store.bars(big);
      const pages = async (q: Parameters<TimeseriesStore['barPages']>[0]): Promise<(readonly Bar[])[]> => {
        const out: (readonly Bar[])[] = [];
        for await (const p of store.barPages(q)) out.push(p);
        return out;
      };
      expect((await pages(big)).map((p) => p.length)).toEqual([10_000, 2_000]);
      const by5k = await pages({ ...big, pageSize: 5_000 });
      expect(by5k.map((p) => p.length)).toEqual([5_000, 5_000, 2_000]);
      expect(by5k.flat()).toEqual(all);
      const by4k = await pages({ ...big, pageSize: 4_000 }); // the last page full: no empty page after it
      expect(by4k.map((p) => p.length)).toEqual([4_000, 4_000, 4_000]);
      const from = (all[100] as Bar).ts - 0.5;
      const to = (all[7_000] as Bar).ts;
      const ranged = await pages({ ...big, from, to, pageSize: 999 });
      expect(ranged.flat()).toEqual(await store.bars({ ...big, from, to }));
      expect(ranged.flat()).toEqual(all.slice(100, 7_000));
      expect(await pages({ ...big, tf: '5m', pageSize: 3 })).toEqual([]);
      expect(() => store.barPages({ ...big, pageSize: 0 })).toThrow(RangeError);
    });

    it('stores a row repeated inside one batch once, in every table', async () => {
      const b = bar(0, 'DUP/USDT');
      const t: Trade = { ...trade(1), symbol: 'DUP/USDT', id: tradeId('binance', 'DUP/USDT', 1) };
      const q: Quote = { ...quote(1), symbol: 'DUP/USDT', id: quoteId('binance', 'DUP/USDT', quote(1).ts, 0) };
      const f: FeatureVector = { ...feat(2), symbol: 'DUP/USDT', id: `f:${b.id}`, source: b.id, ts: b.ts };
      expect(await store.insert({ bars: [b, b], trades: [t, t, t], quotes: [q, q], features: [f, f] })).toEqual({ bars: 1, trades: 1, quotes: 1, features: 1 });
      const dup = { venue: 'binance', symbol: 'DUP/USDT' };
      expect(await store.bars({ ...dup, tf: '1h' })).toEqual([b]);
      expect(await store.trades(dup)).toEqual([t]);
      expect(await store.quotes(dup)).toEqual([q]);
      expect(await store.features(dup)).toEqual([f]);
    });

    it('keys trades by (time, id): the same id at another time is another row, at the same time a duplicate', async () => {
      const id = tradeId('binance', 'BTC/USDT', 9_000);
      const at = (ts: number): Trade => ({ ...trade(0, id), ts });
      const first = await store.insert({ trades: [at(T0 + 5_000), at(T0 + 6_000)] });
      const again = await store.insert({ trades: [at(T0 + 6_000), at(T0 + 5_000), at(T0 + 7_000)] });
      expect([first.trades, again.trades]).toEqual([2, 1]);
      const rows = (await store.trades({ ...BTC, from: T0 + 5_000, to: T0 + 8_000 })).filter((t) => t.id === id);
      expect(rows.map((t) => t.ts)).toEqual([T0 + 5_000, T0 + 6_000, T0 + 7_000]);
    });

    it('returns rows ascending by time whatever order they were inserted in', async () => {
      const bars = [5, 1, 4, 0, 3, 2].map((i) => bar(i, 'ORD/USDT'));
      await store.insert({ bars: bars.slice(0, 3) });
      await store.insert({ bars: bars.slice(3) });
      const got = await store.bars({ venue: 'binance', symbol: 'ORD/USDT', tf: '1h' });
      expect(got).toEqual([0, 1, 2, 3, 4, 5].map((i) => bar(i, 'ORD/USDT')));
      const feats = [3, 0, 2, 1].map((i): FeatureVector => ({ ...feat(i), symbol: 'ORD/USDT' }));
      await store.insert({ features: feats });
      expect((await store.features({ venue: 'binance', symbol: 'ORD/USDT', limit: 3 })).map((v) => v.ts)).toEqual([0, 1, 2].map((i) => feat(i).ts));
      expect(await store.lastTs('features', 'binance', 'ORD/USDT')).toBe(feat(3).ts);
    });

    it('keeps every millisecond of a second exactly, and ranges cut at the millisecond', async () => {
      const t0 = 1_640_995_200_000;
      const quotes = Array.from({ length: 1000 }, (_, k): Quote => {
        const ts = t0 + k * 1001; // every millisecond digit once, each in its own second
        return { ...quote(0), symbol: 'MS/USDT', id: quoteId('binance', 'MS/USDT', ts, 0), ts, bid: 6e-7 * (k + 1), bidSize: 0.1 + 0.2 * k };
      });
      expect((await store.insert({ quotes })).quotes).toBe(1000);
      const ms = { venue: 'binance', symbol: 'MS/USDT' };
      expect(await store.quotes(ms)).toEqual(quotes);
      expect(await store.quotes({ ...ms, from: quotes[10]?.ts, to: quotes[20]?.ts })).toEqual(quotes.slice(10, 20));
      expect(await store.quotes({ ...ms, from: (quotes[10]?.ts ?? 0) + 1, to: (quotes[20]?.ts ?? 0) + 1, limit: 5 })).toEqual(quotes.slice(11, 16));
      expect(await store.lastTs('quotes', 'binance', 'MS/USDT')).toBe(quotes[999]?.ts);
    });
  });
}
