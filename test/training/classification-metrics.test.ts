import { describe, expect, it } from 'vitest';
import { classFrequencies, classificationMetrics, majorityProbabilities } from '../../models/training/classification-metrics.js';
import { calibrate, classMeanReturns, conformalQuantile, expectedReturns } from '../../models/training/conformal-calibration.js';

describe('classification metrics', () => {
  it('computes accuracy, clipped log loss, recall and the confusion matrix of a hand-worked case', () => {
    const probs = [0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.2, 0.2, 0.6, 0, 1, 0];
    const y = [0, 2, 2, 0];
    const m = classificationMetrics(probs, y, 3);
    expect(m.n).toBe(4);
    expect(m.accuracy).toBe(0.5);
    // −(ln 0.7 + ln 0.3 + ln 0.6 + ln 1e-7) / 4: the last row's 0 is clipped to 1e-7.
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.7) + Math.log(0.3) + Math.log(0.6) + Math.log(1e-7)) / 4, 12);
    expect(m.logLoss).toBeCloseTo(4.547393, 5);
    expect(m.confusion).toEqual([
      [1, 1, 0],
      [0, 0, 0],
      [0, 1, 1],
    ]);
    expect(m.support).toEqual([2, 0, 2]);
    expect(m.recall).toEqual([0.5, null, 0.5]);
  });

  it('breaks a tie towards the lower class and refuses malformed input', () => {
    expect(classificationMetrics([0.4, 0.4, 0.2], [1], 3).accuracy).toBe(0);
    expect(classificationMetrics([0.4, 0.4, 0.2], [0], 3).accuracy).toBe(1);
    expect(() => classificationMetrics([0.5, 0.5], [0], 3)).toThrow(RangeError);
    expect(() => classificationMetrics([0.2, 0.3, 0.5], [3], 3)).toThrow(RangeError);
    expect(() => classificationMetrics([], [], 3)).toThrow(RangeError);
  });

  it('scores the majority-class baseline with the training class frequencies', () => {
    expect(Array.from(classFrequencies([1, 1, 2, 0, 1], 3))).toEqual([0.2, 0.6, 0.2]);
    const probs = majorityProbabilities([1, 1, 2, 0, 1], 2, 3);
    const m = classificationMetrics(probs, [1, 0], 3);
    expect(m.accuracy).toBe(0.5);
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.6) + Math.log(0.2)) / 2, 6);
  });
});

describe('calibration', () => {
  it('takes class mean returns and the expected return Σ p_k μ_k', () => {
    expect(classMeanReturns([0, 0, 1, 2], [-2, -4, 0.5, 3])).toEqual([-3, 0.5, 3]);
    expect(classMeanReturns([0, 0], [-2, -4])).toEqual([-3, 0, 0]);
    expect(Array.from(expectedReturns([0.5, 0.25, 0.25, 0, 0, 1], [-3, 0.5, 3]))).toEqual([-0.625, 3]);
  });

  it('uses the finite-sample corrected conformal quantile ⌈(n+1)q⌉-th smallest', () => {
    const scores = Array.from({ length: 19 }, (_, i) => 19 - i); // 19 … 1, unsorted on purpose
    expect(conformalQuantile(scores, 0.95)).toBe(19); // ⌈20·0.95⌉ = 19
    expect(conformalQuantile(scores, 0.8)).toBe(16); // ⌈20·0.8⌉ = 16
    expect(conformalQuantile(Array.from({ length: 99 }, (_, i) => i + 1), 0.8)).toBe(80); // ⌈100·0.8⌉
    expect(() => conformalQuantile(scores.slice(1), 0.95)).toThrow(/too few/); // ⌈19·0.95⌉ = 19 > 18
  });

  it('says how many calibration rows a level needs: the least n with ⌈(n+1)q⌉ ≤ n', () => {
    expect(conformalQuantile([1, 2, 3, 4], 0.8)).toBe(4); // ⌈5·0.8⌉ = 4: four rows do
    expect(() => conformalQuantile([1, 2, 3], 0.8)).toThrow(/need ≥ 4\)/);
    expect(() => conformalQuantile([1, 2, 3], 0.9)).toThrow(/need ≥ 9\)/);
    expect(() => conformalQuantile([1, 2, 3], 0.95)).toThrow(/need ≥ 19\)/);
  });

  it('calibrates on |r − expected| of the calibration rows', () => {
    // Training: down rows average −0.02, flat 0, up +0.02. Calibration: certain "up" rows.
    const train = { y: [0, 0, 1, 2, 2], r: [-0.01, -0.03, 0, 0.01, 0.03] };
    const n = 20;
    const probs = Array.from({ length: n * 3 }, (_, i) => (i % 3 === 2 ? 1 : 0));
    const r = Array.from({ length: n }, (_, i) => 0.02 + (i + 1) / 1000); // residuals 0.001 … 0.020
    const c = calibrate(train, { probs, r }, 3_600_000);
    expect(c.classMeanReturns[0]).toBeCloseTo(-0.02, 12);
    expect(c.classMeanReturns[1]).toBe(0);
    expect(c.classMeanReturns[2]).toBeCloseTo(0.02, 12);
    expect(c.conformal80).toBeCloseTo(0.017, 12); // ⌈21·0.8⌉ = 17th smallest
    expect(c.conformal95).toBeCloseTo(0.02, 12); // ⌈21·0.95⌉ = 20th
    expect(c.horizonMs).toBe(3_600_000);
    expect(c.conformalScale).toBeUndefined();
  });

  it('normalises the scores by each row\'s ATR14/close when given scales (locally weighted conformal)', () => {
    const train = { y: [0, 1, 2], r: [-0.02, 0, 0.02] };
    const n = 20;
    const probs = Array.from({ length: n * 3 }, (_, i) => (i % 3 === 2 ? 1 : 0));
    // Residuals (i + 1)/1000 on rows of scale (i + 1)/100: every normalised score is 0.1.
    const r = Array.from({ length: n }, (_, i) => 0.02 + (i + 1) / 1000);
    const scale = Array.from({ length: n }, (_, i) => (i + 1) / 100);
    const c = calibrate(train, { probs, r, scale }, 3_600_000);
    expect(c.conformalScale).toBe('atr_14/close');
    expect(c.conformal80).toBeCloseTo(0.1, 12);
    expect(c.conformal95).toBeCloseTo(0.1, 12);
    expect(() => calibrate(train, { probs, r, scale: scale.map((x, i) => (i === 3 ? 0 : x)) }, 1)).toThrow(/scale of row 3/);
    expect(() => calibrate(train, { probs, r, scale: scale.slice(1) }, 1)).toThrow(/scales cover 19 rows/);
  });
});
