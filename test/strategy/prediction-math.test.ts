import { describe, expect, it } from 'vitest';
import { checkCalibration, checkIntentRule, conformalInterval, expectedReturn, intentOf, predictedClass } from '../../models/inference/prediction-math.js';
import type { IntentRule } from '../../models/inference/prediction-math.js';
import { CALIBRATION } from './fixtures.js';

const rule: IntentRule = { minConfidence: 0.5, maxIntervalWidth: 0.02, positionSize: 2, allowShort: true };
const DOWN = 0;
const FLAT = 1;
const UP = 2;

describe('prediction math', () => {
  it('weights the class-mean returns by the probabilities of the requested row', () => {
    const probs = new Float32Array([1, 0, 0, 0.25, 0.25, 0.5]);
    expect(expectedReturn(probs, 0, [-0.01, 0, 0.02])).toBeCloseTo(-0.01, 12);
    expect(expectedReturn(probs, 1, [-0.01, 0, 0.02])).toBeCloseTo(-0.0025 + 0.01, 12);
  });

  it('builds symmetric conformal intervals around the expected return', () => {
    expect(conformalInterval(0.001, 0.003)).toEqual([0.001 - 0.003, 0.001 + 0.003]);
  });

  it('picks the top class and sends ties to flat', () => {
    expect(predictedClass(0.6, 0.3, 0.1)).toBe(DOWN);
    expect(predictedClass(0.1, 0.3, 0.6)).toBe(UP);
    expect(predictedClass(0.4, 0.2, 0.4)).toBe(FLAT);
    expect(predictedClass(0.4, 0.4, 0.2)).toBe(FLAT);
    expect(predictedClass(0.2, 0.4, 0.4)).toBe(FLAT);
  });

  it('targets +size on a confident up, -size on a confident down, 0 on flat', () => {
    expect(intentOf(UP, 0.7, 0.01, rule)).toEqual({ target: 2 });
    expect(intentOf(DOWN, 0.7, 0.01, rule)).toEqual({ target: -2 });
    expect(intentOf(FLAT, 0.7, 0.01, rule)).toEqual({ target: 0 });
    expect(intentOf(DOWN, 0.7, 0.01, { ...rule, allowShort: false })).toEqual({ target: 0 });
  });

  it('sizes in quote currency when asked: the target is positionSize / price', () => {
    const quote = { ...rule, positionSize: 1000, sizing: 'quote' as const };
    expect(intentOf(UP, 0.7, 0.01, quote, 250)).toEqual({ target: 4 });
    expect(intentOf(DOWN, 0.7, 0.01, quote, 50_000)).toEqual({ target: -0.02 });
    expect(intentOf(FLAT, 0.7, 0.01, quote, 250)).toEqual({ target: 0 });
  });

  it('gives no intent below the confidence threshold or above the interval width limit', () => {
    expect(intentOf(UP, 0.49, 0.01, rule)).toBeNull();
    expect(intentOf(UP, 0.5, 0.01, rule)).toEqual({ target: 2 });
    expect(intentOf(UP, 0.9, 0.0201, rule)).toBeNull();
    expect(intentOf(UP, 0.9, 0.02, rule)).toEqual({ target: 2 });
  });

  it('refuses bad rules and calibrations up front', () => {
    expect(() => checkIntentRule({ ...rule, minConfidence: 1.5 })).toThrow(/minConfidence/);
    expect(() => checkIntentRule({ ...rule, positionSize: 0 })).toThrow(/positionSize/);
    expect(() => checkCalibration({ ...CALIBRATION, conformal95: 0.001 })).toThrow(/conformal95/);
    expect(() => checkCalibration({ ...CALIBRATION, classMeanReturns: [0, Number.NaN, 0] })).toThrow(/classMeanReturns/);
    expect(() => checkCalibration(CALIBRATION)).not.toThrow();
  });
});
