/**
 * ADWIN (ADaptive WINdowing, Bifet & Gavaldà 2007, the ADWIN2 variant): keeps a window of a
 * bounded stream (here the production model's 0/1 misses) and drops its oldest part whenever two
 * sub-windows have means that differ by more than a Hoeffding-style bound at confidence δ. A drop
 * is a detected change. The window is stored as an exponential histogram: at most `maxBuckets`
 * buckets of each size 2^k, so memory and time are O(log n) per item.
 *
 * Pure and plain data: `AdwinState` is JSON, so it goes into the actor's snapshot as it is.
 */

/** One bucket: `n` items (a power of two), their sum and their sum of squared deviations from their mean. */
export type AdwinBucket = Readonly<{ n: number; sum: number; m2: number }>;

export type AdwinState = Readonly<{
  delta: number;
  maxBuckets: number;
  /** Oldest first. */
  buckets: readonly AdwinBucket[];
  /** Items seen in total (not only in the window). */
  seen: number;
  /** Changes detected so far. */
  changes: number;
}>;

export type AdwinOptions = Readonly<{ delta?: number; maxBuckets?: number; minSubWindow?: number }>;

const DEFAULT_MIN_SUB_WINDOW = 5;

export function createAdwin(opts: AdwinOptions = {}): AdwinState {
  const delta = opts.delta ?? 0.002;
  if (!(delta > 0 && delta < 1)) throw new RangeError(`ADWIN delta must be in (0, 1), got ${delta}`);
  return { delta, maxBuckets: opts.maxBuckets ?? 5, buckets: [], seen: 0, changes: 0 };
}

const merge = (a: AdwinBucket, b: AdwinBucket): AdwinBucket => {
  const n = a.n + b.n;
  const d = a.sum / a.n - b.sum / b.n;
  return { n, sum: a.sum + b.sum, m2: a.m2 + b.m2 + ((a.n * b.n) / n) * d * d };
};

/** Merges the two oldest buckets of any size held more than `maxBuckets` times (smallest sizes first). */
function compress(buckets: AdwinBucket[], maxBuckets: number): void {
  for (let size = 1; ; size *= 2) {
    const at: number[] = [];
    buckets.forEach((b, i) => {
      if (b.n === size) at.push(i);
    });
    if (at.length === 0 && !buckets.some((b) => b.n > size)) return;
    if (at.length <= maxBuckets) continue;
    const [i, j] = [at[0] as number, at[1] as number]; // the two oldest of this size; adjacent by construction
    buckets.splice(i, 2, merge(buckets[i] as AdwinBucket, buckets[j] as AdwinBucket));
  }
}

export const adwinWidth = (s: AdwinState): number => s.buckets.reduce((a, b) => a + b.n, 0);
export const adwinMean = (s: AdwinState): number => {
  const n = adwinWidth(s);
  return n === 0 ? 0 : s.buckets.reduce((a, b) => a + b.sum, 0) / n;
};

/**
 * Is there a split (old | new) of the window whose means differ by more than ε_cut?
 * ε_cut = sqrt(2/m · σ² · ln(2/δ')) + 2/(3m) · ln(2/δ'), m = 1/(1/n0 + 1/n1), δ' = δ / ln n.
 */
function cutExists(buckets: readonly AdwinBucket[], delta: number, minSub: number): boolean {
  const total = buckets.reduce((a, b) => a + b.n, 0);
  if (total < 2 * minSub) return false;
  const all = buckets.slice(1).reduce(merge, buckets[0] as AdwinBucket);
  const variance = all.m2 / total;
  const lnTerm = Math.log((2 * Math.log(total)) / delta);
  let n0 = 0;
  let s0 = 0;
  for (let i = 0; i < buckets.length - 1; i++) {
    const b = buckets[i] as AdwinBucket;
    n0 += b.n;
    s0 += b.sum;
    const n1 = total - n0;
    if (n0 < minSub || n1 < minSub) continue;
    const m = 1 / (1 / n0 + 1 / n1);
    const eps = Math.sqrt((2 / m) * variance * lnTerm) + (2 / (3 * m)) * lnTerm;
    if (Math.abs(s0 / n0 - (all.sum - s0) / n1) > eps) return true;
  }
  return false;
}

/**
 * Adds one value (expected in [0, 1]) and shrinks the window while a cut exists.
 * Returns the new state and whether a change was detected on this value.
 *
 * @example
 * let s = createAdwin({ delta: 0.002 });
 * for (const miss of misses) { const r = adwinAdd(s, miss); s = r.state; if (r.change) retrain(); }
 */
export function adwinAdd(state: AdwinState, value: number, minSubWindow = DEFAULT_MIN_SUB_WINDOW): Readonly<{ state: AdwinState; change: boolean }> {
  if (!Number.isFinite(value)) throw new RangeError(`ADWIN value must be finite, got ${value}`);
  const buckets = [...state.buckets, { n: 1, sum: value, m2: 0 }];
  compress(buckets, state.maxBuckets);
  let change = false;
  while (buckets.length > 1 && cutExists(buckets, state.delta, minSubWindow)) {
    buckets.shift();
    change = true;
  }
  return { state: { ...state, buckets, seen: state.seen + 1, changes: state.changes + (change ? 1 : 0) }, change };
}
