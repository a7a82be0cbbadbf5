/**
 * Population Stability Index of one feature: Σ (q_i − p_i) · ln(q_i / p_i) over bins, p the
 * reference (training-range) shares and q the recent ones. Bins are the reference's quantiles, so
 * each holds about the same share of the reference. Rules of thumb: < 0.1 stable, 0.1–0.25 some
 * shift, > 0.25 a real shift. Pure.
 */

/** A feature's reference: inner bin edges (ascending; `edges.length + 1` bins) and its share per bin. */
export type PsiReference = Readonly<{ edges: readonly number[]; shares: readonly number[] }>;

/** Share floor, so an empty bin gives a large but finite term instead of ∞. */
const EPS = 1e-4;

const binOf = (edges: readonly number[], x: number): number => {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < (edges[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
};

const sharesOf = (edges: readonly number[], values: readonly number[]): number[] => {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const x of values) counts[binOf(edges, x)] = (counts[binOf(edges, x)] as number) + 1;
  return counts.map((c) => Math.max(c / Math.max(values.length, 1), EPS));
};

/** Quantile edges of `values` (finite ones) into `bins` bins; repeated edges collapse. */
export function psiReference(values: readonly number[], bins: number): PsiReference {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) throw new RangeError('a PSI reference needs at least one finite value');
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = xs[Math.min(xs.length - 1, Math.floor((k * xs.length) / bins))] as number;
    if (edges.length === 0 || e > (edges[edges.length - 1] as number)) edges.push(e);
  }
  return { edges, shares: sharesOf(edges, xs) };
}

/** PSI of `recent` against a reference (non-finite values are ignored). */
export function psi(ref: PsiReference, recent: readonly number[]): number {
  const q = sharesOf(ref.edges, recent.filter(Number.isFinite));
  let total = 0;
  q.forEach((qi, i) => {
    const pi = ref.shares[i] as number;
    total += (qi - pi) * Math.log(qi / pi);
  });
  return total;
}
