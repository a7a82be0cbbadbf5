import { describe, expect, it } from 'vitest';
import { labelOutcome } from '../../models/labeling/label-outcome.js';
import type { Labeled } from '../../models/labeling/label-outcome.js';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createPendingHorizons } from '../../models/labeling/pending-horizons.js';
import type { PendingItem } from '../../models/labeling/pending-horizons.js';
import { LabelSchema } from '../../streams/messages/label.js';
import type { Order } from '../../streams/messages/order.js';
import { OutcomeSchema } from '../../streams/messages/outcome.js';
import { bar, fill, H, order, prediction, T0 } from './fixtures.js';

const spec = { ...DEFAULT_LABEL_SPEC, costBps: 10 };
const d = bar(0, 64, 64, 64);
/** The pending item the actor would hold for one prediction or order (made due by a far later bar and SIGNALS message). */
const itemOf = (add: (s: ReturnType<typeof createPendingHorizons>) => void): PendingItem => {
  const s = createPendingHorizons(H, spec);
  add(s);
  s.addBar('binance', 'BTC/USDT', { ts: T0 + 1_000 * H, high: 1, low: 1, close: 1 });
  s.advanceExec(T0 + 1_000 * H);
  const [item] = s.due();
  if (item === undefined) throw new Error('nothing due');
  return item;
};
const ok = (r: ReturnType<typeof labelOutcome>): Labeled => {
  if ('refused' in r) throw new Error(r.refused);
  return r;
};

describe('labelOutcome', () => {
  it('a long prediction: log forward return to the horizon close, exact MFE/MAE, TP first, class from the net return', () => {
    const item = itemOf((s) => s.addPrediction(prediction('s1', d, 0.01, 3)));
    const bars = [d, bar(1, 66, 63, 65), bar(2, 72, 64, 70), bar(3, 71, 62, 68), bar(4, 90, 40, 50)]; // bar 4 is past the horizon
    const { outcome, label } = ok(labelOutcome({ item, bars, atr: 4, fills: [], spec }));
    expect(OutcomeSchema.parse(outcome)).toEqual(outcome);
    expect(LabelSchema.parse(label)).toEqual(label);
    expect(outcome).toMatchObject({ id: `out:${item.id}`, ts: T0 + 3 * H, decisionTs: T0, horizonBars: 3, bars: 3, direction: 1, entryPrice: 64, exitPrice: 68, mfe: 0.125, mae: -0.03125, shortfall: null });
    expect(outcome.forwardReturn).toBe(Math.log(68 / 64));
    expect(outcome.netReturnBps).toBeCloseTo(Math.log(68 / 64) * 1e4 - 10, 9);
    expect(outcome.outcomeClass).toBe('excellent'); // ≈ 596 bps
    expect(label).toMatchObject({ id: `lbl:${item.id}`, label: 1, barrier: 'take_profit', hitTs: T0 + 2 * H, featureId: `f:${d.id}`, model: { name: 'direction-mlp', version: 2 }, featureSpecHash: 'spec-hash-1' });
  });

  it('a short prediction on a rising path: stop-loss, negative net, class bad; signed excursions', () => {
    const item = itemOf((s) => s.addPrediction(prediction('s1', d, -0.01, 2)));
    const { outcome, label } = ok(labelOutcome({ item, bars: [d, bar(1, 66, 63, 65), bar(2, 69, 64, 68)], atr: 4, fills: [], spec }));
    expect(outcome.direction).toBe(-1);
    expect(outcome.mfe).toBe(1 - 63 / 64);
    expect(outcome.mae).toBe(1 - 69 / 64);
    expect(label).toMatchObject({ label: -1, barrier: 'stop_loss', hitTs: T0 + 2 * H, outcomeClass: 'bad' });
  });

  it('gaps: a path missing a bar up to the horizon gets no label (not an earlier close for the exit, not the entry)', () => {
    const item = itemOf((s) => s.addPrediction(prediction('s1', d, 0.01, 4)));
    // Bars 2 and 4 (the horizon bar) missing: the exit was bar 3's close, a 3-bar return labeled as a 4-bar one.
    expect(labelOutcome({ item, bars: [bar(1, 65, 63, 64.5), bar(3, 65, 63, 64)], atr: 4, fills: [], spec })).toEqual({ refused: expect.stringContaining('data gap: 2 of the 4 bars') });
    // Nothing after the decision bar: the exit was the entry (a 0 return, labeled flat, trained on).
    expect(labelOutcome({ item, bars: [d], atr: 4, fills: [], spec })).toEqual({ refused: expect.stringContaining('data gap: 4 of the 4 bars') });
    // Only the horizon bar missing: the stop-loss path below was labeled from bar 3's close.
    expect('refused' in labelOutcome({ item, bars: [d, bar(1, 65, 63, 64), bar(2, 65, 63, 64), bar(3, 65, 63, 64)], atr: 4, fills: [], spec })).toBe(true);
    const { outcome } = ok(labelOutcome({ item, bars: [d, bar(1, 65, 63, 64), bar(2, 65, 63, 64), bar(3, 65, 63, 64), bar(4, 66, 63, 65)], atr: 4, fills: [], spec }));
    expect(outcome).toMatchObject({ bars: 4, exitPrice: 65, ts: T0 + 4 * H });
  });

  it('an order: entry = its average fill price, shortfall from the decision bar close to its fills, horizon from the config', () => {
    const o = order('s1', d, 'buy', 2);
    const item = itemOf((s) => s.addOrder(o, () => `f:${d.id}`));
    const bars = [d, bar(1, 66, 63, 65), bar(2, 67, 64, 66), bar(3, 67, 64, 66), bar(4, 67, 65, 66)];
    const fills = [fill(o, 1, T0 + H, 1, 64.64, false, 0.0646), fill(o, 2, T0 + H, 1, 64.64, true, 0.0646)];
    const { outcome } = ok(labelOutcome({ item, bars, atr: 4, fills, spec }));
    expect(outcome).toMatchObject({ subject: { kind: 'order', id: o.id }, horizonBars: spec.horizonBars, entryPrice: 64.64, exitPrice: 66, model: null });
    expect(outcome.shortfall?.decisionPrice).toBe(64);
    expect(outcome.shortfall?.filledQty).toBe(2);
    expect(outcome.shortfall?.executionBps).toBeCloseTo(100 + 10.09375, 6); // 1% above decision + fees 0.1292 on 128 notional
    expect(outcome.shortfall?.totalBps).toBeCloseTo(outcome.shortfall?.executionBps ?? NaN, 12);
  });

  it("measures an order from what it traded at: its average fill price, else its refPrice (the mid it was approved against), else (published before orders carried one) its decision bar's close; a prediction from its bar's close", () => {
    // Decided on bar 0's close (64); approved against a later mid (70: ticks moved on); filled at 72 and 74.
    const o: Order = { ...order('s1', d, 'buy', 2), refPrice: 70 };
    const item = itemOf((s) => s.addOrder(o, () => `f:${d.id}`));
    const bars = [d, bar(1, 75, 70, 74), bar(2, 76, 72, 73), bar(3, 75, 72, 73.5), bar(4, 76, 73, 73)];
    const fills = [fill(o, 1, T0 + H + 60_000, 1, 72, false), fill(o, 2, T0 + H + 120_000, 1, 74, true)];
    const filled = ok(labelOutcome({ item, bars, atr: 4, fills, spec }));
    const unfilled = ok(labelOutcome({ item, bars, atr: 4, fills: [], spec }));
    const { refPrice: _, ...before } = o;
    const oldItem = itemOf((s) => s.addOrder(before, () => `f:${d.id}`));
    const old = ok(labelOutcome({ item: oldItem, bars, atr: 4, fills: [], spec }));
    const exit = 73;
    expect([filled.outcome.entryPrice, unfilled.outcome.entryPrice, old.outcome.entryPrice]).toEqual([73, 70, 64]);
    expect(filled.outcome.forwardReturn).toBe(0); // bought at 73 on average, out at 73
    expect(unfilled.outcome.forwardReturn).toBe(Math.log(exit / 70));
    expect(old.outcome.forwardReturn).toBe(Math.log(exit / 64));
    // The labels follow: from the bar close it looked a 13 % win (take profit at 64 + 2·4 on bar 1);
    // at what it paid it went nowhere (neither barrier, out flat).
    expect([old.label.label, old.label.barrier, old.label.outcomeClass]).toEqual([1, 'take_profit', 'excellent']);
    expect(filled.label.barrier).toBe('vertical');
    expect(filled.label.outcomeClass).not.toBe(old.label.outcomeClass);
    expect(filled.label.netReturnBps).toBeCloseTo(-spec.costBps, 9);
    // The shortfall still runs from the decision price, the decision bar's close, to what it paid.
    expect(filled.outcome.shortfall).toMatchObject({ decisionPrice: 64, avgFillPrice: 73 });
    expect(filled.outcome.shortfall?.executionBps).toBeCloseTo(((73 - 64) / 64) * 1e4, 9);
    // The same inputs, the same messages (fills in any order: the average is volume-weighted).
    expect(ok(labelOutcome({ item, bars, atr: 4, fills: [...fills].reverse(), spec }))).toEqual(filled);
    // A pending state stored before this (no held fills; its orders without refPrice) restores and labels from the bar close.
    const stored = createPendingHorizons(H, spec);
    stored.addOrder(before, () => `f:${d.id}`);
    const { heldFills: _held, ...earlier } = stored.snapshot();
    const restarted = createPendingHorizons(H, spec);
    restarted.restore(JSON.parse(JSON.stringify(earlier)), () => `f:${d.id}`);
    restarted.addBar('binance', 'BTC/USDT', { ts: T0 + 1_000 * H, high: 1, low: 1, close: 1 });
    restarted.advanceExec(T0 + 1_000 * H);
    expect(ok(labelOutcome({ item: restarted.due()[0] as PendingItem, bars, atr: 4, fills: [], spec }))).toEqual(old);
    // A prediction on the same bar is measured from the bar's close, as before.
    expect(ok(labelOutcome({ item: itemOf((s) => s.addPrediction(prediction('s1', d, 0.01, spec.horizonBars))), bars, atr: 4, fills, spec })).outcome.entryPrice).toBe(64);
  });

  it('an order filled with a maker rebate (a negative fee, as fills may carry): its outcome passes the v1 schema, the rebate netted', () => {
    const o = order('s1', d, 'buy', 1);
    const item = itemOf((s) => s.addOrder(o, () => `f:${d.id}`));
    const bars = [d, bar(1, 66, 63, 65), bar(2, 67, 64, 66), bar(3, 67, 64, 66), bar(4, 67, 65, 66)];
    const { outcome } = ok(labelOutcome({ item, bars, atr: 4, fills: [fill(o, 0, T0 + H, 1, 64, true, -0.0064)], spec }));
    expect(outcome.shortfall).toMatchObject({ filledQty: 1, fees: -0.0064 });
    expect(outcome.shortfall?.executionBps).toBeCloseTo(-1, 9); // filled at the decision price, 1 bp rebate
    expect(OutcomeSchema.parse(outcome)).toEqual(outcome);
  });

  it('an order stamped inside a bar (a tick decided it) is measured from the last bar closed before it, with that bar\'s vector: never the bar still open', () => {
    // Stamped 30 min into bar 1 (a TWAP child released by a trade tick): bar 1 closes after the order,
    // so its close and its vector are the future. The last bar known at the order is bar 0.
    const o = { ...order('s1', d, 'sell', 1), ts: T0 + H + 30 * 60_000 };
    const item = itemOf((s) => s.addOrder(o, (t) => `f:${t}`));
    expect(item).toMatchObject({ decisionTs: T0, horizonEnd: T0 + spec.horizonBars * H, featureId: `f:${T0}` });
    const bars = [d, bar(1, 70, 60, 68), bar(2, 69, 63, 66), bar(3, 67, 62, 65), bar(4, 66, 61, 63), bar(5, 64, 60, 62)];
    const { outcome } = ok(labelOutcome({ item, bars, atr: 4, fills: [], spec }));
    expect(outcome).toMatchObject({ decisionTs: T0, entryPrice: 64, exitPrice: 63, bars: spec.horizonBars });
    // An order stamped on the grid is a bar's decision (the bar of that open time, known at its close), as before.
    expect(itemOf((s) => s.addOrder({ ...o, ts: T0 + H }, (t) => `f:${t}`))).toMatchObject({ decisionTs: T0 + H, featureId: `f:${T0 + H}` });
  });

  it('an order whose decision bar is missing gets no label: its limit price is no close anybody saw, no entry', () => {
    const o = { ...order('s1', d, 'buy', 2), orderType: 'limit' as const, limitPrice: 60 };
    const item = itemOf((s) => s.addOrder(o, () => `f:${d.id}`));
    const path = [bar(1, 66, 63, 65), bar(2, 67, 64, 66), bar(3, 67, 64, 66), bar(4, 67, 65, 66)];
    expect(labelOutcome({ item, bars: path, atr: 4, fills: [], spec })).toEqual({ refused: `no decision price: the order's decision bar ${T0} (its close is the decision price) is missing` });
    // With it, its close is the entry (the limit price is not).
    expect(ok(labelOutcome({ item, bars: [d, ...path], atr: 4, fills: [], spec })).outcome.entryPrice).toBe(64);
    // A prediction carries its price: its decision bar is not needed.
    expect('refused' in labelOutcome({ item: itemOf((s) => s.addPrediction(prediction('s1', d, 0.01, 4))), bars: path, atr: 4, fills: [], spec })).toBe(false);
  });

  it('refuses when ATR is missing at decision time', () => {
    const item = itemOf((s) => s.addPrediction(prediction('s1', d, 0.01, 1)));
    expect(labelOutcome({ item, bars: [d, bar(1, 65, 63, 64)], atr: Number.NaN, fills: [], spec })).toMatchObject({ refused: expect.stringContaining('atr_14') });
  });
});
