import { describe, expect, it } from 'vitest';
import { addShadow, addWatch, judgeShadow, judgeWatch, startShadow, startWatch } from '../../models/retraining/shadow-evaluation.js';
import type { ShadowStats } from '../../models/retraining/shadow-evaluation.js';
import { scoreRow } from '../../models/retraining/scoring.js';

const champ = { name: 'dir', version: 1 };
const chall = { name: 'dir', version: 2 };
const shadowOf = (pairs: readonly (readonly [number, number])[]): ShadowStats =>
  pairs.reduce((s, [a, b]) => addShadow(s, { champion: { logLoss: a, hit: true }, challenger: { logLoss: b, hit: true } }), startShadow(champ, chall));

describe('shadow evaluation and rollback watch', () => {
  it('waits for the configured number of shared labels', () => {
    expect(judgeShadow(shadowOf(new Array(99).fill([1, 0.5])), { predictions: 100, margin: 0.01 })).toEqual({ kind: 'pending', n: 99 });
  });

  it('rejects a challenger equal to the champion (even at margin 0) and one better by less than the margin', () => {
    const equal = shadowOf(new Array(100).fill([0.9, 0.9]));
    expect(judgeShadow(equal, { predictions: 100, margin: 0.01 }).kind).toBe('reject');
    expect(judgeShadow(equal, { predictions: 100, margin: 0 }).kind).toBe('reject');
    const slightly = shadowOf(new Array(100).fill([0.9, 0.895]));
    expect(judgeShadow(slightly, { predictions: 100, margin: 0.01 }).kind).toBe('reject');
  });

  it('promotes a challenger better by more than the margin on the same predictions', () => {
    const v = judgeShadow(shadowOf(new Array(100).fill([0.9, 0.85])), { predictions: 100, margin: 0.01 });
    expect(v.kind).toBe('promote');
    if (v.kind === 'promote') {
      expect(v.championLogLoss).toBeCloseTo(0.9, 10);
      expect(v.challengerLogLoss).toBeCloseTo(0.85, 10);
    }
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
