import { describe, expect, it } from 'vitest';
import { binomial, combinatorialPurgedCv, combinations } from '../../models/validation/combinatorial-purged-cv.js';
import { blocks } from '../../models/validation/label-intervals.js';
import { purgedKFold } from '../../models/validation/purged-kfold.js';
import { walkForward } from '../../models/validation/walk-forward.js';

/** n samples starting at 0, 1, 2, … whose labels are known `len` later. */
const intervals = (n: number, len: number): { start: Float64Array; end: Float64Array } => ({
  start: Float64Array.from({ length: n }, (_, i) => i),
  end: Float64Array.from({ length: n }, (_, i) => i + len),
});
const arr = (a: Int32Array): number[] => Array.from(a);

describe('blocks', () => {
  it('cuts like numpy array_split: the first n % k blocks one longer', () => {
    expect(blocks(10, 3)).toEqual([[0, 4], [4, 7], [7, 10]]);
    expect(() => blocks(2, 3)).toThrow(RangeError);
  });
});

describe('purgedKFold', () => {
  const iv = intervals(10, 2); // [i, i+2]

  it('purges labels overlapping the test span on both sides, keeps touching ones', () => {
    const folds = purgedKFold(iv, { folds: 5 });
    expect(folds.map((f) => arr(f.test))).toEqual([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]);
    // Test {4,5} spans [4, 7): 3 = [3,5] overlaps, 6 starts while label 5 is open; 2 = [2,4] and 7 touch only.
    expect(arr(folds[2]!.train)).toEqual([0, 1, 2, 7, 8, 9]);
    expect(arr(folds[0]!.train)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(arr(folds[4]!.train)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('embargo drops the samples starting within it after the last test label is known', () => {
    const folds = purgedKFold(iv, { folds: 5, embargo: 1 });
    expect(arr(folds[2]!.train)).toEqual([0, 1, 2, 8, 9]);
    expect(arr(folds[0]!.train)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(arr(folds[4]!.train)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('never trains on a test index, and purges rows sharing a start with a test row (several assets)', () => {
    // Two assets per time: starts 0,0,1,1,2,2,…; the fold boundary falls between the two rows of t=2.
    const n = 12;
    const start = Float64Array.from({ length: n }, (_, i) => Math.floor(i / 2));
    const end = start.map((s) => s + 1);
    const folds = purgedKFold({ start, end }, { folds: 3 });
    for (const f of folds) {
      const test = new Set(f.test);
      for (const i of f.train) expect(test.has(i)).toBe(false);
    }
    // Fold 1 tests 4..7 (t=2,3): span [2, 4); t=1 rows end at 2 (touch, kept), t=4 rows start at 4 (kept).
    expect(arr(folds[1]!.train)).toEqual([0, 1, 2, 3, 8, 9, 10, 11]);
    const odd = purgedKFold({ start, end }, { folds: 4 }); // blocks [0,3) [3,6) [6,9) [9,12)
    // Fold 0 tests rows 0..2 (t=0,0,1): span [0, 2); row 3 (t=1) overlaps and is purged.
    expect(arr(odd[0]!.train)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('refuses unordered or inverted intervals', () => {
    expect(() => purgedKFold({ start: [0, 2, 1], end: [1, 3, 2] }, { folds: 2 })).toThrow(/time order/);
    expect(() => purgedKFold({ start: [0, 1], end: [1, 0] }, { folds: 2 })).toThrow(/ends before/);
  });
});

describe('walkForward', () => {
  const iv = intervals(10, 2);

  it('expanding: trains on everything whose label is known before the test block', () => {
    const folds = walkForward(iv, { folds: 3, initialTrainFraction: 0.4 });
    expect(folds.map((f) => arr(f.test))).toEqual([[4, 5], [6, 7], [8, 9]]);
    expect(folds.map((f) => arr(f.train))).toEqual([[0, 1, 2], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5, 6]]);
  });

  it('rolling: the last trainSize samples before the block, then purged', () => {
    const folds = walkForward(iv, { folds: 3, initialTrainFraction: 0.4, window: 'rolling', trainSize: 3 });
    expect(folds.map((f) => arr(f.train))).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('embargo: labels must be known that long before the test starts', () => {
    const folds = walkForward(iv, { folds: 3, initialTrainFraction: 0.4, embargo: 1 });
    expect(folds.map((f) => arr(f.train))).toEqual([[0, 1], [0, 1, 2, 3], [0, 1, 2, 3, 4, 5]]);
  });
});

describe('combinatorialPurgedCv', () => {
  it('counts C(N,k) splits and φ = k/N·C(N,k) paths', () => {
    expect(binomial(6, 2)).toBe(15);
    expect(combinations(4, 2)).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    for (const [N, k] of [[6, 2], [5, 2], [6, 3], [4, 1]] as const) {
      const cv = combinatorialPurgedCv(intervals(60, 1.5), { groups: N, testGroups: k });
      expect(cv.splits.length).toBe(binomial(N, k));
      expect(cv.paths.length).toBe((k / N) * binomial(N, k));
      // Each path covers every group once with a split that tests it; every (group, split) pair is used once.
      const used = new Set<string>();
      for (const p of cv.paths) {
        expect(p.map((e) => e.group)).toEqual(Array.from({ length: N }, (_, g) => g));
        for (const e of p) {
          expect(cv.splits[e.split]!.testGroups).toContain(e.group);
          used.add(`${e.group}:${e.split}`);
        }
      }
      expect(used.size).toBe(N * binomial(N - 1, k - 1));
      for (const s of cv.splits) {
        const test = new Set(s.test);
        for (const i of s.train) expect(test.has(i)).toBe(false);
      }
    }
  });

  it('assembles paths from each group\'s j-th test split', () => {
    const cv = combinatorialPurgedCv(intervals(12, 1.5), { groups: 6, testGroups: 2 });
    expect(cv.paths[0]!.map((e) => e.split)).toEqual([0, 0, 1, 2, 3, 4]);
    expect(cv.paths[1]!.map((e) => e.split)).toEqual([1, 5, 5, 6, 7, 8]);
  });

  it('purges and embargoes around each contiguous run of test groups', () => {
    const iv = intervals(12, 1.5); // groups of 2: g1 = 2,3  g2 = 4,5  g3 = 6,7
    const cv = combinatorialPurgedCv(iv, { groups: 6, testGroups: 2 });
    const split = (a: number, b: number) => cv.splits.find((s) => s.testGroups[0] === a && s.testGroups[1] === b)!;
    // {1,2} is one run, span [2, 6.5): purge 1 and 6.
    expect(arr(split(1, 2).test)).toEqual([2, 3, 4, 5]);
    expect(arr(split(1, 2).train)).toEqual([0, 7, 8, 9, 10, 11]);
    // {1,3}: spans [2, 4.5) and [6, 8.5): purge 1, 4, 5, 8.
    expect(arr(split(1, 3).train)).toEqual([0, 9, 10, 11]);
    const emb = combinatorialPurgedCv(iv, { groups: 6, testGroups: 2, embargo: 1 });
    expect(arr(emb.splits.find((s) => s.testGroups[0] === 1 && s.testGroups[1] === 3)!.train)).toEqual([0, 10, 11]);
  });
});
