import { describe, expect, it } from 'vitest';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createPendingHorizons } from '../../models/labeling/pending-horizons.js';
import type { PendingItem } from '../../models/labeling/pending-horizons.js';
import { marketMid } from '../../models/risk/market-mid.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { decodeText, encode } from '../../streams/codec.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { OrderSchema } from '../../streams/messages/order.js';
import type { Order } from '../../streams/messages/order.js';
import { predictionId } from '../../streams/messages/prediction.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import { baseLimits } from '../risk/risk-fixtures.js';
import { H, order, T0, VENUE, bar } from './fixtures.js';

const SYMBOL = 'BTC/USDT';
const M = 60_000;
const spec = DEFAULT_LABEL_SPEC;

/** The decision bar the labeler (1h strategy bars) takes for `o`, through the wire as the labeling actor reads it. */
const decisionOf = (o: Order): Pick<PendingItem, 'decisionTs' | 'featureId' | 'horizonEnd'> => {
  const s = createPendingHorizons(H, spec);
  const read = OrderSchema.parse(JSON.parse(decodeText(encode(o))));
  s.addOrder(read, (t) => `f:${barId(VENUE, SYMBOL, '1h', t)}`);
  s.addBar(VENUE, SYMBOL, { ts: T0 + 1_000 * H, high: 1, low: 1, close: 1 });
  s.advanceExec(T0 + 1_000 * H);
  const [item] = s.due();
  if (item === undefined) throw new Error('nothing due');
  return { decisionTs: item.decisionTs, featureId: item.featureId, horizonEnd: item.horizonEnd };
};

const minute = (ts: number, close = 100): Bar => ({ type: 'md.bar', v: 1, id: barId(VENUE, SYMBOL, '1m', ts), venue: VENUE, symbol: SYMBOL, tf: '1m', open: close, high: close, low: close, close, volume: 5, ts });
const trade = (ts: number, price = 100): MarketData => ({ type: 'md.trade', v: 1, id: `t:${VENUE}:${SYMBOL}:${ts}`, venue: VENUE, symbol: SYMBOL, price, qty: 1, side: 'buy', ts });
const predictionOn = (b: Bar, target: number): Prediction => ({
  type: 'pred', v: 1, id: predictionId('s1', `f:${b.id}`), ts: b.ts, strategy: 's1', venue: VENUE, symbol: SYMBOL, source: `f:${b.id}`,
  model: { name: 'direction', version: 1 }, featureSpecHash: 'h', horizonMs: 2 * H, probs: { down: 0.2, flat: 0.3, up: 0.5 }, expectedReturn: 0.001,
  interval80: [-0.001, 0.003], interval95: [-0.002, 0.004], attributions: [], confidence: 0.5, price: b.close, intent: { target },
});

/**
 * The engine's own order path (decision-path.ts): each event goes to risk and execution, then
 * execution's due children, then the bar's prediction; every suggestion goes to risk at the
 * event's time. Returns the approved orders.
 */
function engine(events: readonly (Readonly<{ md: MarketData; prediction?: Prediction }>)[]): Order[] {
  const execution = createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 2, limitOffsetBps: 0 }), minQty: 0.001, barMs: H });
  const risk = createRiskCore({ account: 'acc', limits: { ...baseLimits, allowlist: [SYMBOL], maxOrderQty: { default: 10, perSymbol: {} }, collarBps: 10_000, staleAfterMs: 10 * H } });
  const orders: Order[] = [];
  const decide = (s: Suggestion, now: number): void => {
    const d = risk.onSuggestion(s, now);
    if (d.kind !== 'order') throw new Error(`refused: ${d.reject.detail}`);
    orders.push(d.order);
  };
  for (const e of events) {
    const now = e.md.ts;
    risk.onMarket(marketMid(e.md));
    execution.onMarket(e.md);
    for (const s of execution.onTime(now)) decide(s, now);
    if (e.prediction !== undefined) for (const s of execution.onPrediction(e.prediction, now)) decide(s, now);
  }
  return orders;
}

describe('an approved order\'s decision time, as the labeler reads it', () => {
  const hour0: Bar = bar(0, 100, 100, 100); // the 1h strategy bar T0 → T0 + 1h, known at T0 + 1h

  it('a TWAP child released by a trade stamped exactly on the hour is measured from the hour that closed then, not the one that opens (no one-bar look-ahead)', () => {
    // Decided on hour 0 at its close (T0 + 1h): two children over 2 h, at T0 + 1h and T0 + 2h. The
    // second is released by a trade at exactly T0 + 2h: stamped on the grid, but no strategy bar.
    const orders = engine([{ md: hour0, prediction: predictionOn(hour0, 2) }, { md: trade(T0 + H + 30 * M) }, { md: trade(T0 + 2 * H) }]);
    expect(orders.map((o) => o.ts)).toEqual([T0, T0 + 2 * H]);
    const [first, second] = orders as [Order, Order];
    // The first is the bar's decision, as before.
    expect(decisionOf(first)).toMatchObject({ decisionTs: T0, featureId: `f:${hour0.id}` });
    // The second knew hour 1 (closed at T0 + 2h), not hour 2 (closing at T0 + 3h, after the order).
    expect(decisionOf(second)).toEqual({ decisionTs: T0 + H, featureId: `f:${barId(VENUE, SYMBOL, '1h', T0 + H)}`, horizonEnd: T0 + H + spec.horizonBars * H });
  });

  it('a TWAP child released by a 1m bar of hh:00 (known at hh:01) is measured from the hour that closed at hh:00', () => {
    // The minutes after 1:30 are missing (a feed gap): the 2:00 minute releases the child due at 2:00.
    const orders = engine([{ md: hour0, prediction: predictionOn(hour0, 2) }, { md: minute(T0 + H + 30 * M) }, { md: minute(T0 + 2 * H) }]);
    expect(orders.map((o) => o.ts)).toEqual([T0, T0 + 2 * H]);
    expect(decisionOf(orders[1] as Order).decisionTs).toBe(T0 + H);
    // Released by the 1:59 minute (known at 2:00) it was measured from hour 0 (the last bar closed
    // before 1:59); known at 2:00, hour 1 had closed too: the newest bar known, never a later one.
    const full = engine([{ md: hour0, prediction: predictionOn(hour0, 2) }, ...Array.from({ length: 61 }, (_, i) => ({ md: minute(T0 + H + i * M) }))]);
    expect(full.map((o) => o.ts)).toEqual([T0, T0 + 2 * H - M]);
    expect(decisionOf(full[1] as Order).decisionTs).toBe(T0 + H);
  });

  it('the order carries the time it was decided at (when the data it was decided on was known), as its suggestion does', () => {
    const orders = engine([{ md: hour0, prediction: predictionOn(hour0, 2) }, { md: trade(T0 + 2 * H) }]);
    expect(orders.map((o) => [o.ts, o.decidedAt])).toEqual([
      [T0, T0 + H], // a bar's decision: at its close
      [T0 + 2 * H, T0 + 2 * H],
    ]);
  });

  it('decidedAt picks the last strategy bar closed by then; an order without it (published before it existed) keeps the rule of its ts', () => {
    const o = order('s1', bar(0, 100, 100, 100), 'buy');
    // On the grid without decidedAt: that bar's decision (as before).
    expect(decisionOf({ ...o, ts: T0 + 2 * H }).decisionTs).toBe(T0 + 2 * H);
    // Inside a bar without decidedAt: the last bar closed before it (as before).
    expect(decisionOf({ ...o, ts: T0 + 2 * H + 1 }).decisionTs).toBe(T0 + H);
    // With it: a trade at hh:00, a 1m bar of hh:00 (known at hh:01), a bar's decision (at its close).
    expect(decisionOf({ ...o, ts: T0 + 2 * H, decidedAt: T0 + 2 * H }).decisionTs).toBe(T0 + H);
    expect(decisionOf({ ...o, ts: T0 + 2 * H, decidedAt: T0 + 2 * H + M }).decisionTs).toBe(T0 + H);
    expect(decisionOf({ ...o, ts: T0 + H, decidedAt: T0 + 2 * H }).decisionTs).toBe(T0 + H);
  });
});
