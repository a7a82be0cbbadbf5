const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * One item per `next()` from a generator of batches. Handing out items from the batch in hand
 * costs one resolved promise, not an async-generator step, which is what lets a reader produce
 * a chunk of rows in one go yet be consumed row by row. `return()` closes the batches (and so
 * the file); overlapping `next()` calls are served in order.
 */
export function flattenBatches<T>(batches: AsyncGenerator<T[]>): AsyncIterableIterator<T> {
  let buf: readonly T[] = [];
  let i = 0;
  let finished = false;
  let pending: Promise<IteratorResult<T>> | undefined;

  const pull = async (): Promise<IteratorResult<T>> => {
    try {
      for (;;) {
        const r = await batches.next();
        if (r.done === true) {
          finished = true;
          return DONE;
        }
        buf = r.value;
        i = 0;
        if (buf.length > 0) return { done: false, value: buf[i++]! };
      }
    } catch (e) {
      finished = true;
      throw e;
    } finally {
      pending = undefined;
    }
  };

  const it: AsyncIterableIterator<T> = {
    next(): Promise<IteratorResult<T>> {
      if (pending !== undefined) return pending.then(() => it.next());
      if (i < buf.length) return Promise.resolve({ done: false, value: buf[i++]! });
      if (finished) return Promise.resolve(DONE);
      pending = pull();
      return pending;
    },
    async return(): Promise<IteratorResult<T>> {
      finished = true;
      buf = [];
      await batches.return(undefined);
      return DONE;
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
