import { describe, expect, it } from 'vitest';
import { labelOutcome } from '../../models/labeling/label-outcome.js';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createPendingHorizons } from '../../models/labeling/pending-horizons.js';
import { classOfSample, classRuleOf } from '../../models/retraining/sample-class.js';
import { sampleDataset } from '../../models/retraining/sample-dataset.js';
import type { TrainingSample } from '../../state/training-sample-store.js';
import { bar, H, prediction, T0 } from '../labeling/fixtures.js';
import { samplesOf } from './fixtures.js';

const rule = { kAtr: 0.75, source: 'config' } as const;

/** The label and forward return the labeling actor gives one prediction of direction `expectedReturn`'s sign on `path`. */
function labeled(expectedReturn: number, path: readonly ReturnType<typeof bar>[]) {
  const d = bar(0, 64, 64, 64);
  const s = createPendingHorizons(H, DEFAULT_LABEL_SPEC);
  s.addPrediction(prediction('s1', d, expectedReturn, 2));
  s.addBar('binance', 'BTC/USDT', { ts: T0 + 1_000 * H, high: 1, low: 1, close: 1 });
  const [item] = s.due();
  if (item === undefined) throw new Error('nothing due');
  const r = labelOutcome({ item, bars: [d, ...path], atr: 4, fills: [], spec: DEFAULT_LABEL_SPEC });
  if ('refused' in r) throw new Error(r.refused);
  return r.label;
}

describe('the class a labeled prediction is scored and trained on', () => {
  it('is what the price did, not the barrier label: a short whose take-profit was hit (price fell) is "down"', () => {
    const falling = [bar(1, 64, 55, 56), bar(2, 57, 54, 55)];
    const short = labeled(-0.01, falling);
    const long = labeled(0.01, falling);
    // The barrier labels are relative to each prediction's direction…
    expect(short).toMatchObject({ label: 1, barrier: 'take_profit' });
    expect(long).toMatchObject({ label: -1, barrier: 'stop_loss' });
    // …the class of the move is the same for both: down (ln(55/64) ≈ −15 % against a ±4.7 % band).
    const features = { close: 64, atr_14: 4 };
    expect(classOfSample({ features, forwardReturn: short.forwardReturn }, rule)).toBe(0);
    expect(classOfSample({ features, forwardReturn: long.forwardReturn }, rule)).toBe(0);
    const rising = [bar(1, 70, 63, 69), bar(2, 72, 68, 71)];
    expect(labeled(-0.01, rising)).toMatchObject({ label: -1 });
    expect(classOfSample({ features, forwardReturn: labeled(-0.01, rising).forwardReturn }, rule)).toBe(2);
  });

  it('uses the band ±kAtr·ATR14/close of the decision-time vector, as the champion was trained (direction-labels.ts)', () => {
    const features = { close: 100, atr_14: 2 }; // band ±1.5 % at kAtr 0.75
    expect(classOfSample({ features, forwardReturn: 0.0149 }, rule)).toBe(1);
    expect(classOfSample({ features, forwardReturn: 0.0151 }, rule)).toBe(2);
    expect(classOfSample({ features, forwardReturn: -0.0151 }, rule)).toBe(0);
    expect(classOfSample({ features, forwardReturn: 0.0151 }, { kAtr: 1, source: 'model' })).toBe(1);
    expect(classOfSample({ features: { close: 100 }, forwardReturn: 0.1 }, rule)).toBeUndefined();
    expect(classOfSample({ features: { close: 100, atr_14: null }, forwardReturn: 0.1 }, rule)).toBeUndefined();
  });

  it("takes kAtr from the model's registry entry, the config's only when the entry records none", () => {
    expect(classRuleOf({ details: { labels: { horizonBars: 4, kAtr: 0.5 } } }, 0.75)).toEqual({ kAtr: 0.5, source: 'model' });
    expect(classRuleOf({ details: { labels: { source: 'x' } } }, 0.75)).toEqual({ kAtr: 0.75, source: 'config' });
    expect(classRuleOf({ details: { labels: { kAtr: -1 } } }, 0.6)).toEqual({ kAtr: 0.6, source: 'config' });
    expect(classRuleOf({ details: {} }, 0.6)).toEqual({ kAtr: 0.6, source: 'config' });
  });

  it("sampleDataset's classes follow the forward return whatever the barrier label says, and skip samples without ATR", () => {
    const [a, b, c] = samplesOf(0, 3, 1, 1);
    const flipped: TrainingSample[] = [
      // a short's take-profit: label +1, price down 2 %
      { ...(a as TrainingSample), label: 1, barrier: 'take_profit', forwardReturn: -0.02 },
      // a short's stop-loss: label −1, price up 2 %
      { ...(b as TrainingSample), label: -1, barrier: 'stop_loss', forwardReturn: 0.02 },
      { ...(c as TrainingSample), features: { ...(c as TrainingSample).features, atr_14: null } },
    ];
    const ds = sampleDataset(flipped, { features: ['f1', 'f2', 'f3'], transforms: ['raw', 'raw', 'raw'] }, rule);
    expect(Array.from(ds.y)).toEqual([0, 2]);
    expect(ds.skipped).toBe(1);
  });
});
