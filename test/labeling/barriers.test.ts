import { describe, expect, it } from 'vitest';
import type { PathBar } from '../../models/labeling/excursions.js';
import { excursions } from '../../models/labeling/excursions.js';
import { DEFAULT_LABEL_SPEC, LabelSpecSchema } from '../../models/labeling/label-spec.js';
import { netReturnBps, outcomeClass } from '../../models/labeling/outcome-classes.js';
import { implementationShortfall } from '../../models/labeling/shortfall.js';
import { tripleBarrier } from '../../models/labeling/triple-barrier.js';

const H = 3_600_000;
/** Bars 1…n after a decision at t=0; prices chosen binary-exact (entry 64, ATR 4) so values compare with toBe. */
const path = (...hlc: [number, number, number][]): PathBar[] => hlc.map(([high, low, close], i) => ({ ts: (i + 1) * H, high, low, close }));
const base = { entry: 64, atr: 4, takeProfitAtr: 2, stopLossAtr: 1 } as const; // long: TP 72, SL 60; short: TP 56, SL 68

describe('triple barrier (TP 2·ATR, SL 1·ATR, vertical at the horizon)', () => {
  it('labels +1 when the take-profit is touched first, at the bar that touched it', () => {
    const r = tripleBarrier({ ...base, direction: 1, horizonEnd: 4 * H, path: path([66, 63, 65], [72, 64, 70], [71, 59, 60], [65, 62, 63]) });
    expect(r).toEqual({ label: 1, barrier: 'take_profit', hitTs: 2 * H, takeProfit: 72, stopLoss: 60 });
  });

  it('labels −1 when the stop-loss is touched first', () => {
    const r = tripleBarrier({ ...base, direction: 1, horizonEnd: 4 * H, path: path([66, 63, 65], [65, 60, 61], [80, 61, 79], [79, 70, 75]) });
    expect(r).toEqual({ label: -1, barrier: 'stop_loss', hitTs: 2 * H, takeProfit: 72, stopLoss: 60 });
  });

  it('labels 0 at the vertical barrier when neither is touched, hit time = the horizon', () => {
    const r = tripleBarrier({ ...base, direction: 1, horizonEnd: 4 * H, path: path([71.9, 60.1, 70], [71, 61, 62], [70, 62, 68], [69, 63, 67]) });
    expect(r).toEqual({ label: 0, barrier: 'vertical', hitTs: 4 * H, takeProfit: 72, stopLoss: 60 });
  });

  it('mirrors the barriers for a short: take-profit below, stop-loss above', () => {
    expect(tripleBarrier({ ...base, direction: -1, horizonEnd: 2 * H, path: path([67, 60, 61], [62, 56, 57]) })).toMatchObject({ label: 1, barrier: 'take_profit', hitTs: 2 * H, takeProfit: 56, stopLoss: 68 });
    expect(tripleBarrier({ ...base, direction: -1, horizonEnd: 2 * H, path: path([68, 57, 66], [62, 50, 57]) })).toMatchObject({ label: -1, barrier: 'stop_loss', hitTs: H });
  });

  it('decides a bar that touches both barriers as the stop-loss (conservative), long and short', () => {
    expect(tripleBarrier({ ...base, direction: 1, horizonEnd: 2 * H, path: path([65, 63, 64], [73, 59, 70]) })).toMatchObject({ label: -1, barrier: 'stop_loss', hitTs: 2 * H });
    expect(tripleBarrier({ ...base, direction: -1, horizonEnd: 2 * H, path: path([69, 55, 60]) })).toMatchObject({ label: -1, barrier: 'stop_loss', hitTs: H });
  });

  it('counts a price exactly on a barrier as a touch, whatever the rounding of entry ± k·ATR', () => {
    const dec = { entry: 100.1, atr: 0.7, takeProfitAtr: 2, stopLossAtr: 1, horizonEnd: 2 * H } as const; // long: SL 100.1 − 0.7 = 99.4, TP 101.5; short: SL 100.8, TP 98.7
    expect(tripleBarrier({ ...dec, direction: 1, path: path([100.5, 99.4, 100]) })).toMatchObject({ label: -1, barrier: 'stop_loss', hitTs: H });
    expect(tripleBarrier({ ...dec, direction: 1, path: path([101.5, 100, 101]) })).toMatchObject({ label: 1, barrier: 'take_profit', hitTs: H });
    expect(tripleBarrier({ ...dec, direction: -1, path: path([100.8, 100, 100.5]) })).toMatchObject({ label: -1, barrier: 'stop_loss', hitTs: H });
    expect(tripleBarrier({ ...dec, direction: -1, path: path([100.5, 98.7, 99]) })).toMatchObject({ label: 1, barrier: 'take_profit', hitTs: H });
    // A tick short of it is not.
    expect(tripleBarrier({ ...dec, direction: 1, path: path([101.49, 99.41, 100]) })).toMatchObject({ label: 0, barrier: 'vertical' });
  });

  it('counts a bar that gaps through a barrier as a touch', () => {
    expect(tripleBarrier({ ...base, direction: 1, horizonEnd: 2 * H, path: path([58, 50, 52]) })).toMatchObject({ label: -1, hitTs: H });
  });

  it('refuses a non-positive ATR', () => {
    expect(() => tripleBarrier({ ...base, atr: 0, direction: 1, horizonEnd: H, path: [] })).toThrow(RangeError);
  });
});

describe('excursions (simple returns from highs and lows, signed by direction)', () => {
  const p = path([72, 60, 66], [80, 62, 70], [68, 56, 58]);
  it('long: MFE from the highest high, MAE from the lowest low, exact', () => {
    expect(excursions(64, 1, p)).toEqual({ mfe: 0.25, mae: -0.125 }); // 80/64 − 1, 56/64 − 1
  });
  it('short: MFE from the lowest low, MAE from the highest high, exact', () => {
    expect(excursions(64, -1, p)).toEqual({ mfe: 0.125, mae: -0.25 });
  });
  it('an empty path has no excursion', () => {
    expect(excursions(64, 1, [])).toEqual({ mfe: 0, mae: 0 });
  });
});

describe('five outcome classes on the return net of costs', () => {
  const t = DEFAULT_LABEL_SPEC.classThresholds; // 100 / 20 / −20 / −100 bps
  it('puts each net return in its class, thresholds inclusive upward and exclusive downward', () => {
    expect(outcomeClass(150, t)).toBe('excellent');
    expect(outcomeClass(100, t)).toBe('excellent');
    expect(outcomeClass(99.9, t)).toBe('good');
    expect(outcomeClass(20, t)).toBe('good');
    expect(outcomeClass(0, t)).toBe('neutral');
    expect(outcomeClass(-20, t)).toBe('poor');
    expect(outcomeClass(-99.9, t)).toBe('poor');
    expect(outcomeClass(-100, t)).toBe('bad');
    expect(outcomeClass(-500, t)).toBe('bad');
  });
  it('nets costs from the direction-signed log return in bps', () => {
    expect(netReturnBps(0.01, 20)).toBeCloseTo(80, 10);
    expect(netReturnBps(-0.01, 0)).toBeCloseTo(-100, 10);
  });
  it('the config schema refuses thresholds that do not strictly decrease', () => {
    expect(LabelSpecSchema.safeParse(DEFAULT_LABEL_SPEC).success).toBe(true);
    const bad = { ...DEFAULT_LABEL_SPEC, classThresholds: { excellentBps: 10, goodBps: 20, poorBps: -20, badBps: -100 } };
    expect(LabelSpecSchema.safeParse(bad).success).toBe(false);
    expect(LabelSpecSchema.safeParse({ ...DEFAULT_LABEL_SPEC, stopLossAtr: 0 }).success).toBe(false);
  });
});

describe('implementation shortfall', () => {
  it('charges the filled part against the decision price plus fees, the unfilled part the move it missed', () => {
    const s = implementationShortfall({
      direction: 1, orderQty: 2, decisionPrice: 100, exitPrice: 104,
      fills: [{ ts: 1, qty: 0.5, price: 100.5, fee: 0.05 }, { ts: 2, qty: 0.5, price: 101.5, fee: 0.05 }],
    });
    expect(s.filledQty).toBe(1);
    expect(s.avgFillPrice).toBe(101);
    expect(s.executionBps).toBeCloseTo(100 + 10, 9); // 1% worse + 0.1 fee on 100 notional
    expect(s.opportunityBps).toBeCloseTo(400, 9);
    expect(s.totalBps).toBeCloseTo(0.5 * 110 + 0.5 * 400, 9);
  });
  it('a sell filled above the decision price is a gain (negative cost); nothing filled is all opportunity', () => {
    expect(implementationShortfall({ direction: -1, orderQty: 1, decisionPrice: 100, exitPrice: 90, fills: [{ ts: 1, qty: 1, price: 101, fee: 0 }] }).totalBps).toBeCloseTo(-100, 9);
    const none = implementationShortfall({ direction: -1, orderQty: 1, decisionPrice: 100, exitPrice: 90, fills: [] });
    expect(none).toMatchObject({ filledQty: 0, avgFillPrice: null, executionBps: null });
    expect(none.totalBps).toBeCloseTo(1000, 9);
  });
});
