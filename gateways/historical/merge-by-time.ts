import { heapPush, heapReplaceTop } from './binary-heap.js';

/** Anything with an event time. */
export type Timed = Readonly<{ ts: number }>;

/** A source went back in time, so no merge of it can be time ordered. Not retryable. */
export class MergeOrderError extends Error {
  override readonly name = 'MergeOrderError';
  readonly retryable = false;
  constructor(
    readonly source: number,
    readonly ts: number,
    readonly previousTs: number,
  ) {
    super(`source ${source} went back in time: ts ${ts} after ${previousTs}`);
  }
}

type Head<T> = { value: T; source: number; it: AsyncIterator<T> | Iterator<T> };

/** Earlier ts first; on a tie the lower source index, so equal times keep the sources' order. */
const before = <T extends Timed>(a: Head<T>, b: Head<T>): boolean => a.value.ts < b.value.ts || (a.value.ts === b.value.ts && a.source < b.source);

const iteratorOf = <T>(src: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> =>
  Symbol.asyncIterator in src ? src[Symbol.asyncIterator]() : src[Symbol.iterator]();

/**
 * k-way merge of time-ordered sources into one time-ordered stream, so a replay of several
 * symbols (or of bars and trades) is globally ordered by event time. Stable: equal timestamps
 * come out in source-index order, and each source's own order is kept, so the output is the
 * same on every run. A binary heap keeps it O(log k) per message.
 *
 * Each source is pulled one message ahead. Stopping early (break, an error) closes every source.
 * A source that goes back in time ends the merge with {@link MergeOrderError}.
 *
 * @example mergeByTime(readBars(btc, o1), readBars(eth, o2)) // BTC before ETH at equal ts
 * @example mergeByTime<MarketData>(readBars(a, o), readTrades(b, o)) // mixed kinds: name the union
 */
export async function* mergeByTime<T extends Timed>(...sources: ReadonlyArray<AsyncIterable<T> | Iterable<T>>): AsyncGenerator<T> {
  const heap: Head<T>[] = [];
  const open = new Set<AsyncIterator<T> | Iterator<T>>();

  /** Pulls the next message of `it` onto the heap, or forgets `it` when it is done. */
  const advance = async (it: AsyncIterator<T> | Iterator<T>, source: number, previousTs: number): Promise<Head<T> | undefined> => {
    const r = await it.next();
    if (r.done === true) {
      open.delete(it);
      return undefined;
    }
    if (r.value.ts < previousTs) throw new MergeOrderError(source, r.value.ts, previousTs);
    return { value: r.value, source, it };
  };

  try {
    const its = sources.map(iteratorOf);
    for (const it of its) open.add(it);
    const firsts = await Promise.all(its.map((it, source) => advance(it, source, -Infinity)));
    for (const h of firsts) if (h !== undefined) heapPush(heap, h, before);

    while (heap.length > 0) {
      const top = heap[0]!;
      const { value, source, it } = top;
      yield value;
      const next = await advance(it, source, value.ts);
      if (next !== undefined) {
        heapReplaceTop(heap, next, before); // replaces the root
      } else {
        const last = heap.pop()!;
        if (heap.length > 0) heapReplaceTop(heap, last, before);
      }
    }
  } finally {
    await Promise.allSettled([...open].map((it) => it.return?.()));
  }
}
