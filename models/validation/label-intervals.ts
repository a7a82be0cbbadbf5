/**
 * When each sample's label was in play: `start[i]` is the sample's event time (its features are
 * taken then) and `end[i]` the time its label became known. Samples are in time order
 * (`start` non-decreasing); several samples may share a start (one per asset).
 *
 * Two intervals overlap when they share more than an instant: `a.start < b.end && b.start <
 * a.end`. A training label known exactly when a test sample starts (`end = start'`) used no
 * price the test sample is scored on, so touching intervals are not purged.
 */
export type LabelIntervals = Readonly<{ start: ArrayLike<number>; end: ArrayLike<number> }>;

/** One train/test split: row indices into the samples, ascending. */
export type Fold = Readonly<{ train: Int32Array; test: Int32Array }>;

/** Throws unless the intervals are finite, time-ordered by start and `end ≥ start`. */
export function checkIntervals(iv: LabelIntervals): number {
  const n = iv.start.length;
  if (iv.end.length !== n) throw new RangeError(`start and end differ in length: ${n} vs ${iv.end.length}`);
  for (let i = 0; i < n; i++) {
    const s = iv.start[i] as number;
    const e = iv.end[i] as number;
    if (!Number.isFinite(s) || !Number.isFinite(e)) throw new RangeError(`label interval ${i} is not finite: [${s}, ${e}]`);
    if (e < s) throw new RangeError(`label interval ${i} ends before it starts: [${s}, ${e}]`);
    if (i > 0 && s < (iv.start[i - 1] as number)) throw new RangeError(`samples are not in time order at index ${i}`);
  }
  return n;
}

/** Contiguous index blocks `[from, to)` of n samples in `k` parts, the first `n % k` one longer (numpy `array_split`). */
export function blocks(n: number, k: number): [number, number][] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`number of blocks must be a positive integer, got ${k}`);
  if (n < k) throw new RangeError(`cannot cut ${n} samples into ${k} blocks`);
  const out: [number, number][] = [];
  const base = Math.floor(n / k);
  const extra = n % k;
  let from = 0;
  for (let b = 0; b < k; b++) {
    const to = from + base + (b < extra ? 1 : 0);
    out.push([from, to]);
    from = to;
  }
  return out;
}

/** The time span a contiguous test block `[from, to)` occupies: earliest start to latest label end. */
export function blockSpan(iv: LabelIntervals, from: number, to: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = from; i < to; i++) {
    lo = Math.min(lo, iv.start[i] as number);
    hi = Math.max(hi, iv.end[i] as number);
  }
  return [lo, hi];
}

/**
 * Training indices among `candidates` that survive purging and embargo against the test blocks
 * (each `[from, to)`): a candidate is dropped when its label interval overlaps a block's span
 * extended by the embargo, `[minStart, maxEnd + embargo)` — the purge removes labels that
 * overlap the test labels (before the block) and samples that start while a test label is still
 * open (after it); the embargo then also drops the samples starting within `embargo` after the
 * last test label is known, whose inputs (rolling windows) still read the test period
 * (López de Prado, AFML §7.4).
 */
export function purgeAndEmbargo(iv: LabelIntervals, candidates: Iterable<number>, testBlocks: readonly (readonly [number, number])[], embargo: number): Int32Array {
  if (!(Number.isFinite(embargo) && embargo >= 0)) throw new RangeError(`embargo must be a finite number ≥ 0, got ${embargo}`);
  const spans = testBlocks.map(([from, to]) => {
    const [lo, hi] = blockSpan(iv, from, to);
    return [lo, hi + embargo] as const;
  });
  const out: number[] = [];
  for (const i of candidates) {
    const s = iv.start[i] as number;
    const e = iv.end[i] as number;
    if (spans.every(([lo, hi]) => !(s < hi && lo < e))) out.push(i);
  }
  return Int32Array.from(out);
}

/** Indices `[from, to)` as an Int32Array. */
export function range(from: number, to: number): Int32Array {
  const out = new Int32Array(Math.max(0, to - from));
  for (let i = 0; i < out.length; i++) out[i] = from + i;
  return out;
}
