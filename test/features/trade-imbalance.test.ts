import { describe, expect, it } from 'vitest';
import { FeatureEngine } from '../../models/features/feature-engine.js';
import { TradeImbalance } from '../../models/features/trade-imbalance.js';

describe('TradeImbalance', () => {
  it('uses the last 100 trades by default and is null until 100 arrived', () => {
    const t = new TradeImbalance();
    expect(t.trades).toBe(100);
    for (let i = 0; i < 99; i++) {
      t.update(10, 1, 'buy');
      expect(t.value).toBeNull();
    }
    t.update(10, 1, 'buy');
    expect(t.value).toBe(1);
  });

  it('hand-computed: Σ signed qty / Σ qty over a rolling window of 4', () => {
    const t = new TradeImbalance(4);
    t.update(10, 2, 'buy'); // +2
    t.update(10, 1, 'sell'); // −1
    t.update(10, 3, 'buy'); // +3
    t.update(10, 4, 'sell'); // −4 → (2−1+3−4)/10 = 0
    expect(t.value).toBe(0);
    t.update(10, 5, 'buy'); // drops +2: (−1+3−4+5)/13 = 3/13
    expect(t.value).toBeCloseTo(3 / 13, 15);
    t.update(10, 1, 'sell'); // drops −1: (3−4+5−1)/13 = 3/13
    expect(t.value).toBeCloseTo(3 / 13, 15);
  });

  it("signs 'unknown' trades by the tick rule against the previous trade's price", () => {
    const t = new TradeImbalance(4);
    t.update(100, 1, 'unknown'); // no previous price: 0
    t.update(101, 2, 'unknown'); // uptick: +2
    t.update(101, 3, 'unknown'); // zero tick after an uptick: +3
    t.update(100.5, 4, 'unknown'); // downtick: −4 → (0+2+3−4)/10
    expect(t.value).toBeCloseTo(0.1, 15);
    t.update(100.5, 5, 'unknown'); // zero tick after a downtick: −5 → (2+3−4−5)/14
    expect(t.value).toBeCloseTo(-4 / 14, 15);
  });

  it('uses the previous trade of any side for the tick rule', () => {
    const t = new TradeImbalance(2);
    t.update(100, 1, 'sell'); // −1
    t.update(99, 1, 'unknown'); // below the sell's price: −1
    expect(t.value).toBe(-1);
    t.update(99.5, 1, 'buy'); // +1 (and an uptick)
    t.update(99.5, 1, 'unknown'); // zero tick after the uptick: +1
    expect(t.value).toBe(1);
  });

  it('stays in [−1, 1] and equals ±1 exactly for one-sided flow', () => {
    const t = new TradeImbalance(100);
    for (let i = 0; i < 1000; i++) t.update(50 + (i % 7) * 0.01, 0.1 + (i % 13) * 0.37, 'sell');
    expect(t.value).toBe(-1);
  });

  it('drives trade_imbalance_100 in the engine', () => {
    const e = new FeatureEngine();
    for (let i = 0; i < 100; i++) e.onTrade({ ts: i, price: 10, qty: i % 2 === 0 ? 3 : 1, side: i % 2 === 0 ? 'buy' : 'sell' });
    expect(e.values().trade_imbalance_100).toBeCloseTo((150 - 50) / 200, 15);
  });
});
