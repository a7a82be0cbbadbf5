import { describe, expect, it } from 'vitest';
import { readBarBatches, readBars } from '../../gateways/historical/bars-csv.js';
import { mergeBatchesByTime } from '../../gateways/historical/merge-batches-by-time.js';
import { MergeOrderError, mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { withSyntheticTradeBatches, withSyntheticTrades } from '../../gateways/historical/synthetic-trades.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { BTC_5M_2024, collect, dataPath, ETH_5M_2024 } from './data.js';

type Item = { ts: number; tag: string };

/** `list` cut into batches of random sizes (empty ones included), as a sync or async source. */
function batched(list: readonly Item[], rand: () => number, asAsync: boolean): AsyncIterable<Item[]> | Iterable<Item[]> {
  const batches: Item[][] = [];
  for (let i = 0; i < list.length; ) {
    const n = Math.floor(rand() * 5); // 0..4: empty batches too
    batches.push(list.slice(i, i + n));
    i += n;
  }
  if (!asAsync) return batches;
  return (async function* () {
    for (const b of batches) yield b;
  })();
}

const flat = async <T>(src: AsyncIterable<T[]>): Promise<T[]> => (await collect(src)).flat();

/**
 * 1 to `sources` time-ordered lists (empty ones too) of up to `length` items tagged `source:i`,
 * starting below `start`, in steps of 0, 1 or 2: ties within and across sources.
 */
function randomSources(rand: () => number, o: Readonly<{ sources: number; start: number; length: number }>): Item[][] {
  const k = 1 + Math.floor(rand() * o.sources);
  const lists: Item[][] = [];
  for (let s = 0; s < k; s++) {
    const list: Item[] = [];
    let ts = Math.floor(rand() * o.start);
    const n = Math.floor(rand() * o.length);
    for (let i = 0; i < n; i++) {
      ts += Math.floor(rand() * 3);
      list.push({ ts, tag: `${s}:${i}` });
    }
    lists.push(list);
  }
  return lists;
}

describe('mergeBatchesByTime', () => {
  it('gives exactly mergeByTime\'s order over random sources with many ties, however they are batched', async () => {
    const rand = mulberry32(11);
    for (let round = 0; round < 200; round++) {
      const lists = randomSources(rand, { sources: 6, start: 3, length: 30 });
      const want = (await collect(mergeByTime(...lists))).map((x) => x.tag);
      const size = 1 + Math.floor(rand() * 8);
      const out = await collect(mergeBatchesByTime(lists.map((l, i) => batched(l, rand, i % 2 === 0)), size));
      expect(out.every((b) => b.length > 0 && b.length <= size)).toBe(true);
      expect(out.flat().map((x) => x.tag)).toEqual(want);
    }
  });

  it('says where each source begins, before the first batch, and nothing of empty ones', async () => {
    const rand = mulberry32(31);
    for (let round = 0; round < 100; round++) {
      const lists = randomSources(rand, { sources: 5, start: 20, length: 6 });
      const starts = new Map<number, number>();
      let beforeFirst: Map<number, number> | undefined;
      for await (const _ of mergeBatchesByTime(lists.map((l, i) => batched(l, rand, i % 2 === 0)), 3, { start: (i, ts) => void starts.set(i, ts) })) beforeFirst ??= new Map(starts);
      const want = new Map(lists.flatMap((l, i) => (l.length > 0 ? [[i, (l[0] as Item).ts] as const] : [])));
      expect(starts).toEqual(want);
      if (want.size > 0) expect(beforeFirst).toEqual(want);
    }
  });

  it('says when each source has ended: its last message is in the batch handed out next or earlier, never later', async () => {
    const rand = mulberry32(23);
    for (let round = 0; round < 200; round++) {
      const lists = randomSources(rand, { sources: 5, start: 20, length: 25 });
      const k = lists.length;
      const size = 1 + Math.floor(rand() * 6);
      const endedBefore: number[][] = []; // per batch: the sources that ended before it was handed out
      let pending: number[] = [];
      const lastBatchOf = new Map<number, number>();
      let b = 0;
      for await (const batch of mergeBatchesByTime(lists.map((l, i) => batched(l, rand, i % 2 === 1)), size, { end: (i) => void pending.push(i) })) {
        endedBefore.push(pending);
        pending = [];
        for (const x of batch) lastBatchOf.set(Number(x.tag.split(':')[0]), b);
        b++;
      }
      endedBefore.push(pending); // after the last batch
      const when = new Map<number, number>(); // source → the batch its end came with
      endedBefore.forEach((ids, i) => ids.forEach((id) => when.set(id, i)));
      expect([...when.keys()].sort()).toEqual(lists.map((_, i) => i)); // each source, once
      expect(endedBefore.flat()).toHaveLength(k);
      for (let s = 0; s < k; s++) {
        const last = lastBatchOf.get(s);
        if (last === undefined) expect(lists[s]).toHaveLength(0);
        // Acting on it after using the batch handed out next, the source's last message is behind.
        else expect(last).toBeLessThanOrEqual(when.get(s) as number);
      }
    }
  });

  it('says nothing of sources that did not end when the consumer stops early', async () => {
    const ended: number[] = [];
    const lists = [[{ ts: 1, tag: 'a' }, { ts: 5, tag: 'b' }], [{ ts: 2, tag: 'c' }]];
    for await (const batch of mergeBatchesByTime(lists.map((l) => [l]), 1, { end: (i) => void ended.push(i) })) if (batch[0]?.tag === 'c') break;
    expect(ended).toEqual([]);
  });

  it('refuses a source that goes back in time, within a batch or across two', async () => {
    const within = mergeBatchesByTime<Item>([[[{ ts: 1, tag: 'a' }, { ts: 0, tag: 'b' }]]]);
    await expect(collect(within)).rejects.toBeInstanceOf(MergeOrderError);
    const across = mergeBatchesByTime<Item>([[[{ ts: 5, tag: 'a' }], [{ ts: 4, tag: 'b' }]], [[{ ts: 9, tag: 'c' }]]]);
    await expect(collect(across)).rejects.toThrow('source 0 went back in time: ts 4 after 5');
  });

  it('closes every source when the consumer stops early', async () => {
    let closed = 0;
    const source = (tag: string): AsyncIterable<Item[]> => ({
      [Symbol.asyncIterator]() {
        let i = 0;
        return {
          next: async () => ({ done: false, value: [{ ts: i++, tag }] }),
          return: async () => {
            closed++;
            return { done: true, value: undefined };
          },
        };
      },
    });
    for await (const b of mergeBatchesByTime([source('a'), source('b')], 3)) {
      expect(b).toHaveLength(3);
      break;
    }
    expect(closed).toBe(2);
  });

  it('replays real bar files with their synthetic trades as the per-message path does', async () => {
    const window = { venue: 'binance', tf: '5m', from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 4) };
    const files = [
      { path: dataPath(BTC_5M_2024), symbol: 'BTC/USDT' },
      { path: dataPath(ETH_5M_2024), symbol: 'ETH/USDT' },
    ];
    const perMessage = await collect(mergeByTime<MarketData>(...files.map((f) => withSyntheticTrades(readBars(f.path, { ...window, symbol: f.symbol }), { perBar: 3, seed: 7 }))));
    const perBatch = await flat(mergeBatchesByTime<MarketData>(files.map((f) => withSyntheticTradeBatches(readBarBatches(f.path, { ...window, symbol: f.symbol }), { perBar: 3, seed: 7 }))));
    expect(perMessage.length).toBe(2 * 864 * 4); // 3 days of 5m bars per symbol, each with 3 trades
    expect(perBatch).toEqual(perMessage);
  });
});
