import { blocks, checkIntervals, purgeAndEmbargo, range } from './label-intervals.js';
import type { Fold, LabelIntervals } from './label-intervals.js';

export type CpcvOptions = Readonly<{
  /** N: contiguous groups the samples are cut into. */
  groups: number;
  /** k: groups tested in each split (1 ≤ k < N). */
  testGroups: number;
  /** Embargo after each contiguous run of test groups (interval units); default 0. */
  embargo?: number;
}>;

export type CpcvSplit = Fold & Readonly<{ testGroups: readonly number[] }>;

/** One backtest path: for each group in time order, the split whose test predictions cover it. */
export type CpcvPath = readonly Readonly<{ group: number; split: number }>[];

export type Cpcv = Readonly<{
  /** The C(N, k) splits, combinations in lexicographic order. */
  splits: readonly CpcvSplit[];
  /** φ(N, k) = k/N · C(N, k) paths, each covering every group exactly once. */
  paths: readonly CpcvPath[];
  /** Sample index ranges `[from, to)` of the groups. */
  groups: readonly (readonly [number, number])[];
}>;

/** C(n, k), exact for the sizes used here. */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** All k-subsets of 0…n−1 in lexicographic order. */
export function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const cur: number[] = [];
  const rec = (from: number): void => {
    if (cur.length === k) {
      out.push([...cur]);
      return;
    }
    for (let g = from; g <= n - (k - cur.length); g++) {
      cur.push(g);
      rec(g + 1);
      cur.pop();
    }
  };
  rec(0);
  return out;
}

/**
 * Combinatorial purged cross-validation (López de Prado, AFML ch. 12): the samples are cut into
 * N contiguous groups; every combination of k groups is a test set once, trained on the other
 * groups after purging and embargo against each contiguous run of test groups. Each group is
 * tested in C(N−1, k−1) splits; path j takes, for every group, its j-th such split (in split
 * order), giving φ = k/N · C(N, k) complete out-of-sample backtest paths instead of one.
 */
export function combinatorialPurgedCv(iv: LabelIntervals, opts: CpcvOptions): Cpcv {
  const n = checkIntervals(iv);
  const { groups: nGroups, testGroups: k } = opts;
  if (!Number.isInteger(nGroups) || nGroups < 2) throw new RangeError(`groups must be an integer ≥ 2, got ${nGroups}`);
  if (!Number.isInteger(k) || k < 1 || k >= nGroups) throw new RangeError(`testGroups must be an integer in 1…${nGroups - 1}, got ${k}`);
  const embargo = opts.embargo ?? 0;
  const gs = blocks(n, nGroups);
  const splits: CpcvSplit[] = combinations(nGroups, k).map((test) => {
    // Adjacent test groups form one block: purge and embargo act at its outer edges only.
    const runs: [number, number][] = [];
    for (const g of test) {
      const [from, to] = gs[g] as [number, number];
      const last = runs[runs.length - 1];
      if (last !== undefined && last[1] === from) last[1] = to;
      else runs.push([from, to]);
    }
    const inTest = new Set(test);
    const candidates: number[] = [];
    gs.forEach(([from, to], g) => {
      if (!inTest.has(g)) for (let i = from; i < to; i++) candidates.push(i);
    });
    const testIdx = Int32Array.from(runs.flatMap(([from, to]) => Array.from(range(from, to))));
    return { train: purgeAndEmbargo(iv, candidates, runs, embargo), test: testIdx, testGroups: test };
  });
  const phi = binomial(nGroups - 1, k - 1);
  const byGroup = Array.from({ length: nGroups }, (_, g) => splits.flatMap((s, si) => (s.testGroups.includes(g) ? [si] : [])));
  const paths: CpcvPath[] = Array.from({ length: phi }, (_, p) => byGroup.map((ss, g) => ({ group: g, split: ss[p] as number })));
  return { splits, paths, groups: gs };
}
