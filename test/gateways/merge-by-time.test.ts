import { describe, expect, it } from 'vitest';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { MergeOrderError, mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { readTrades } from '../../gateways/historical/trades-csv.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { BTC_5M_2024, BTC_5M_2025, BTC_TRADES, collect, dataPath, ETH_5M_2024 } from './data.js';

type Item = { ts: number; tag: string };
const items = (tag: string, ...ts: number[]): Item[] => ts.map((t, i) => ({ ts: t, tag: `${tag}${i}` }));

/** An async source that records whether it was closed. */
function tracked(list: readonly Item[]): { src: AsyncIterable<Item>; closed: () => boolean } {
  let closed = false;
  const src: AsyncIterable<Item> = {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        next: async () => (i < list.length ? { done: false, value: list[i++]! } : { done: true, value: undefined }),
        return: async () => {
          closed = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { src, closed: () => closed };
}

describe('mergeByTime', () => {
  it('merges by ts and breaks ties by source index, keeping each source in order', async () => {
    const a = items('a', 1, 3, 3, 7);
    const b = items('b', 0, 3, 5, 7, 9);
    const c = items('c', 3);
    const out = await collect(mergeByTime(a, b, c));
    expect(out.map((x) => x.tag)).toEqual(['b0', 'a0', 'a1', 'a2', 'b1', 'c0', 'b2', 'a3', 'b3', 'b4']);
    // The same inputs in another source order only reorder the ties.
    const again = await collect(mergeByTime(c, b, a));
    expect(again.map((x) => x.tag)).toEqual(['b0', 'a0', 'c0', 'b1', 'a1', 'a2', 'b2', 'b3', 'a3', 'b4']);
  });

  it('handles no sources, empty sources and sync iterables', async () => {
    expect(await collect(mergeByTime())).toEqual([]);
    expect(await collect(mergeByTime<Item>([], items('a', 2), []))).toEqual(items('a', 2));
  });

  it('merges the BTC and ETH 5m files into one globally ordered stream, BTC first at each ts', async () => {
    const o = (symbol: string) => ({ venue: 'binance', symbol, tf: '5m', limit: 20_000 });
    const merged = await collect(mergeByTime(readBars(dataPath(BTC_5M_2024), o('BTC/USDT')), readBars(dataPath(ETH_5M_2024), o('ETH/USDT'))));
    expect(merged).toHaveLength(40_000);
    const broken = merged.filter((m, i) => i > 0 && (m.ts < merged[i - 1]!.ts || (m.ts === merged[i - 1]!.ts && m.symbol === 'BTC/USDT')));
    expect(broken).toEqual([]);
    expect(merged.slice(0, 2).map((m) => m.symbol)).toEqual(['BTC/USDT', 'ETH/USDT']);
  });

  it('joins the two eras of one symbol and mixes kinds when told the union type', async () => {
    const o = { venue: 'binance', symbol: 'BTC/USDT', tf: '5m' };
    const eras = await collect(mergeByTime(readBars(dataPath(BTC_5M_2025), { ...o, limit: 3 }), readBars(dataPath(BTC_5M_2024), { ...o, limit: 3 })));
    expect(eras.map((b) => b.ts)).toEqual([...eras.map((b) => b.ts)].sort((x, y) => x - y));
    expect(eras[0]!.ts).toBe(Date.UTC(2024, 0, 1));

    const mixed = await collect(
      mergeByTime<MarketData>(readTrades(dataPath(BTC_TRADES), { venue: 'binance', symbol: 'BTC/USDT', limit: 10 }), items('x', 1610064000300) as unknown as MarketData[]),
    );
    expect(mixed).toHaveLength(11);
  });

  it('closes every source when the consumer stops early', async () => {
    const a = tracked(items('a', 1, 2, 3));
    const b = tracked(items('b', 1, 2, 3));
    for await (const x of mergeByTime(a.src, b.src)) if (x.tag === 'b0') break;
    expect(a.closed() && b.closed()).toBe(true);
  });

  it('fails with MergeOrderError when a source goes back in time, and closes the others', async () => {
    const other = tracked(items('b', 1, 10));
    const err = await collect(mergeByTime(items('a', 1, 5, 4), other.src)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MergeOrderError);
    expect((err as MergeOrderError).message).toBe('source 0 went back in time: ts 4 after 5');
    expect(other.closed()).toBe(true);
  });
});
