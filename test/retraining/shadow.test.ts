import { describe, expect, it } from 'vitest';
import { addShadow, addWatch, judgeShadow, judgeWatch, shadowT, startShadow, startWatch } from '../../models/retraining/shadow-evaluation.js';
import type { ShadowStats } from '../../models/retraining/shadow-evaluation.js';
import { scoreRow } from '../../models/retraining/scoring.js';

const champ = { name: 'dir', version: 1 };
const chall = { name: 'dir', version: 2 };
const shadowOf = (pairs: readonly (readonly [number, number])[], blockLabels = 20): ShadowStats =>
  pairs.reduce((s, [a, b]) => addShadow(s, { champion: { logLoss: a, hit: true }, challenger: { logLoss: b, hit: true } }, blockLabels), startShadow(champ, chall));
/** The margin alone (no significance check), as before `minT`. */
const marginOnly = (predictions: number, margin: number) => ({ predictions, margin, blockLabels: 20, minT: 0 });

describe('shadow evaluation and rollback watch', () => {
  it('waits for the configured number of shared labels', () => {
    expect(judgeShadow(shadowOf(new Array(99).fill([1, 0.5])), marginOnly(100, 0.01))).toEqual({ kind: 'pending', n: 99 });
  });

  it('rejects a challenger equal to the champion (even at margin 0) and one better by less than the margin', () => {
    const equal = shadowOf(new Array(100).fill([0.9, 0.9]));
    expect(judgeShadow(equal, marginOnly(100, 0.01)).kind).toBe('reject');
    expect(judgeShadow(equal, marginOnly(100, 0)).kind).toBe('reject');
    const slightly = shadowOf(new Array(100).fill([0.9, 0.895]));
    expect(judgeShadow(slightly, marginOnly(100, 0.01)).kind).toBe('reject');
  });

  it('promotes a challenger better by more than the margin on the same predictions', () => {
    const v = judgeShadow(shadowOf(new Array(100).fill([0.9, 0.85])), marginOnly(100, 0.01));
    expect(v.kind).toBe('promote');
    if (v.kind === 'promote') {
      expect(v.championLogLoss).toBeCloseTo(0.9, 10);
      expect(v.challengerLogLoss).toBeCloseTo(0.85, 10);
    }
  });

  it('with minT, promotes only an improvement past the margin that the spread of its block means makes unlikely to be luck', () => {
    const rule = { predictions: 200, margin: 0.01, blockLabels: 20, minT: 2 };
    // A steady improvement of 0.05 per label (±0.1 noise that cancels within each block): promoted.
    const steady = shadowOf(Array.from({ length: 200 }, (_, i) => [1, 0.95 + (i % 2 === 0 ? 0.1 : -0.1)] as const));
    expect(steady.blocks).toEqual({ openSum: 0, openN: 0, n: 10, sum: expect.closeTo(0.5, 9) as number, sumSq: expect.closeTo(0.025, 9) as number });
    expect(shadowT(steady.blocks ?? { openSum: 0, openN: 0, n: 0, sum: 0, sumSq: 0 }, 0.01)).toBe(Number.POSITIVE_INFINITY);
    expect(judgeShadow(steady, rule).kind).toBe('promote');
    // The same mean improvement (0.05) from one lucky stretch: the first block gains 1.0 a label, the
    // other nine lose 0.0556 — mean 0.05 > margin, but t = 0.04 / (sd 0.333 / √10) = 0.38 < 2: rejected.
    const lucky = shadowOf(Array.from({ length: 200 }, (_, i) => [1, i < 20 ? 0 : 1 + 1 / 18] as const));
    expect(lucky.championLoss / lucky.n - lucky.challengerLoss / lucky.n).toBeCloseTo(0.05, 9);
    const t = shadowT(lucky.blocks ?? { openSum: 0, openN: 0, n: 0, sum: 0, sumSq: 0 }, 0.01);
    expect(t).toBeCloseTo(0.04 / (Math.sqrt((Math.pow(1 - 0.05, 2) + 9 * Math.pow(-1 / 18 - 0.05, 2)) / 9) / Math.sqrt(10)), 9);
    const v = judgeShadow(lucky, rule);
    expect(v.kind).toBe('reject');
    if (v.kind === 'reject') expect(v.reason).toMatch(/t 0\.38 over 10 blocks of 20 \(min 2\)/);
    // The margin alone promotes it.
    expect(judgeShadow(lucky, { ...rule, minT: 0 }).kind).toBe('promote');
    // Fewer than two closed blocks cannot show anything: rejected.
    expect(judgeShadow(shadowOf(new Array(30).fill([1, 0.5])), { ...rule, predictions: 30 }).kind).toBe('reject');
  });

  it('rolls back a promoted model whose rolling log loss passes the previous champion’s by the margin; clears a good one', () => {
    const cfg = { watchLabels: 200, minLabels: 50, margin: 0.02 };
    let w = startWatch('dir', 2, 1, 0.9);
    for (let i = 0; i < 49; i++) w = addWatch(w, 1.2, cfg.minLabels);
    expect(judgeWatch(w, cfg).kind).toBe('watching'); // too few labels to judge
    w = addWatch(w, 1.2, cfg.minLabels);
    const v = judgeWatch(w, cfg);
    expect(v.kind).toBe('rollback');
    let ok = startWatch('dir', 2, 1, 0.9);
    for (let i = 0; i < 200; i++) ok = addWatch(ok, 0.91, cfg.minLabels);
    expect(judgeWatch(ok, cfg).kind).toBe('cleared');
  });

  it('scores a probability row: log loss of the realised class and the arg-max hit', () => {
    const probs = Float32Array.from([0.2, 0.3, 0.5, 0.6, 0.3, 0.1]);
    expect(scoreRow(probs, 0, 2).logLoss).toBeCloseTo(-Math.log(0.5), 6);
    expect(scoreRow(probs, 0, 2).hit).toBe(true);
    expect(scoreRow(probs, 1, 1)).toEqual({ logLoss: expect.closeTo(-Math.log(0.3), 6) as number, hit: false });
  });
});
