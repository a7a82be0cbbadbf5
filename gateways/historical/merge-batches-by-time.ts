import { heapPush, heapReplaceTop } from './binary-heap.js';
import { MergeOrderError } from './merge-by-time.js';
import type { Timed } from './merge-by-time.js';

/** A time-ordered source handed over a batch at a time (a file read a chunk at a time, a stored window). */
export type Batches<T> = AsyncIterable<readonly T[]> | Iterable<readonly T[]>;

/** What the merge says of its sources as it goes (see {@link mergeBatchesByTime}). */
export type MergeHooks = Readonly<{ start?: (index: number, ts: number) => void; end?: (index: number) => void }>;

type Source<T> = { readonly index: number; readonly it: AsyncIterator<readonly T[]> | Iterator<readonly T[]>; batch: readonly T[]; pos: number; lastTs: number };

const iteratorOf = <T>(src: Batches<T>): AsyncIterator<readonly T[]> | Iterator<readonly T[]> =>
  Symbol.asyncIterator in src ? src[Symbol.asyncIterator]() : src[Symbol.iterator]();

/** Earlier head first; on a tie the lower source index. */
const before = <T extends Timed>(a: Source<T>, b: Source<T>): boolean => {
  const at = (a.batch[a.pos] as T).ts;
  const bt = (b.batch[b.pos] as T).ts;
  return at < bt || (at === bt && a.index < b.index);
};

/**
 * {@link mergeByTime} over sources of batches, handing out merged batches of at most
 * `batchSize`: the same order (event time, ties in source-index order, each source's own order
 * kept), the same {@link MergeOrderError} when a source goes back in time, the same closing of
 * every source when it stops early. Per message it costs a comparison or two on the heap and
 * an array slot; only a source's next batch is awaited. A replay of millions of messages through
 * `mergeByTime` costs an async-generator step (a promise and a result object) per message and
 * per layer.
 *
 * `hooks` (called from inside the merge): `start(i, ts)` once source `i`'s first message is known
 * (before the first batch is handed out; `ts` is its time), and `end(i)` once source `i` has
 * nothing more — every message of it is then in a batch already handed out or in the batch handed
 * out next, so a consumer that acts on it after using the next batch knows the source's last
 * message is behind it. A backtest's replay tells the sequencer where each asset's data begins
 * and ends that way.
 *
 * @example mergeBatchesByTime(readBarBatches(btc, o1), readBarBatches(eth, o2)) // BTC before ETH at equal ts
 */
export async function* mergeBatchesByTime<T extends Timed>(sources: ReadonlyArray<Batches<T>>, batchSize = 4096, hooks: MergeHooks = {}): AsyncGenerator<T[]> {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const heap: Source<T>[] = [];
  const open = new Set<AsyncIterator<readonly T[]> | Iterator<readonly T[]>>();

  /** Loads the next non-empty batch of `s`; false when the source is done. */
  const refill = async (s: Source<T>): Promise<boolean> => {
    for (;;) {
      const r = await s.it.next();
      if (r.done === true) {
        open.delete(s.it);
        hooks.end?.(s.index);
        return false;
      }
      if (r.value.length > 0) {
        s.batch = r.value;
        s.pos = 0;
        checkTs(s);
        return true;
      }
    }
  };
  /** The head of `s` must not be before the message it follows. */
  const checkTs = (s: Source<T>): void => {
    const ts = (s.batch[s.pos] as T).ts;
    if (ts < s.lastTs) throw new MergeOrderError(s.index, ts, s.lastTs);
    s.lastTs = ts;
  };

  try {
    const all: Source<T>[] = sources.map((src, index) => ({ index, it: iteratorOf(src), batch: [], pos: 0, lastTs: Number.NEGATIVE_INFINITY }));
    for (const s of all) open.add(s.it);
    const started = await Promise.all(all.map(refill));
    all.forEach((s, i) => {
      if (started[i] !== true) return;
      hooks.start?.(s.index, (s.batch[s.pos] as T).ts);
      heapPush(heap, s, before);
    });

    let out: T[] = [];
    while (heap.length > 0) {
      const top = heap[0] as Source<T>;
      // Take the top source's run while it stays first: up to the next source's head.
      const second = heap.length === 1 ? undefined : heap.length === 2 || before(heap[1] as Source<T>, heap[2] as Source<T>) ? (heap[1] as Source<T>) : (heap[2] as Source<T>);
      const limitTs = second === undefined ? Number.POSITIVE_INFINITY : (second.batch[second.pos] as T).ts;
      const strict = second !== undefined && second.index < top.index;
      const batch = top.batch;
      for (;;) {
        out.push(batch[top.pos] as T);
        top.pos++;
        if (top.pos === batch.length) break;
        checkTs(top);
        const ts = (batch[top.pos] as T).ts;
        if (ts > limitTs || (strict && ts === limitTs) || out.length >= batchSize) break;
      }
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
      if (top.pos < batch.length) heapReplaceTop(heap, top, before);
      else if (await refill(top)) heapReplaceTop(heap, top, before);
      else {
        const last = heap.pop() as Source<T>;
        if (heap.length > 0) heapReplaceTop(heap, last, before);
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.allSettled([...open].map((it) => it.return?.()));
  }
}
