/**
 * The two moves of a binary min-heap held in an array, ordered by `before` (the merges' k-way
 * heaps of sources): `heapPush` adds `x`; `heapReplaceTop` puts `x` where the top was and sifts
 * it down (a merge replaces its top with the same source's next message, or with the last entry
 * when that source is done).
 */
export function heapPush<T>(heap: T[], x: T, before: (a: T, b: T) => boolean): void {
  let i = heap.length;
  heap.push(x);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(x, heap[parent] as T)) break;
    heap[i] = heap[parent] as T;
    i = parent;
  }
  heap[i] = x;
}

export function heapReplaceTop<T>(heap: T[], x: T, before: (a: T, b: T) => boolean): void {
  const n = heap.length;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && before(heap[r] as T, heap[l] as T) ? r : l;
    if (!before(heap[c] as T, x)) break;
    heap[i] = heap[c] as T;
    i = c;
  }
  heap[i] = x;
}
