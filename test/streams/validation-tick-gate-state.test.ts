import { describe, expect, it } from 'vitest';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import { RefusalReason } from '../../streams/messages/dlq-entry.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Quote } from '../../streams/messages/quote.js';
import { quoteId } from '../../streams/messages/quote.js';
import type { Trade } from '../../streams/messages/trade.js';
import { tradeId } from '../../streams/messages/trade.js';
import { createTickGate, tickGateFromState } from '../../streams/validation/tick-gate.js';

const t = (id: number, ts: number): Trade => ({ type: 'md.trade', v: 1, id: tradeId('binance', 'BTC/USDT', id), venue: 'binance', symbol: 'BTC/USDT', price: 1, qty: 1, side: 'buy', ts });
const q = (ts: number, seq = 0): Quote => ({ type: 'md.quote', v: 1, id: quoteId('binance', 'BTC/USDT', ts, seq), venue: 'binance', symbol: 'BTC/USDT', bid: 1, bidSize: 1, ask: 2, askSize: 1, ts });
const b = (ts: number, tf: Bar['tf'] = '1h'): Bar => ({ type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', tf, ts), venue: 'binance', symbol: 'BTC/USDT', tf, open: 1, high: 1, low: 1, close: 1, volume: 1, ts });
const opts = { dedupWindow: 4, outOfOrderToleranceMs: 100 };
const viaJson = <T>(x: T): unknown => JSON.parse(JSON.stringify(x));

/** A gate with trades, quotes and bars of two timeframes behind it, its window already wrapped. */
const busyGate = () => {
  const gate = createTickGate(opts);
  for (const m of [t(1, 1_000), q(1_010), b(0), t(2, 2_000), b(300_000, '5m'), q(2_500), t(3, 2_950), b(3_600_000)]) gate.admit(m);
  return gate;
};

describe('tick gate state', () => {
  it('round-trips exactly through JSON with tickGateFromState', () => {
    const gate = busyGate();
    const restored = tickGateFromState(viaJson(gate.toState()), opts);
    expect(restored.toState()).toEqual(gate.toState());
    expect(JSON.stringify(restored.toState())).toBe(JSON.stringify(gate.toState()));
  });

  it('gives the same verdicts after a restore, and keeps doing so as both admit more', () => {
    const gate = busyGate();
    const restored = tickGateFromState(viaJson(gate.toState()), opts);
    const probes: MarketData[] = [t(1, 3_000), t(2, 3_000), t(3, 3_000), t(9, 2_849), t(9, 2_850), q(2_399), q(2_400, 1), b(3_600_000), b(7_200_000), b(300_000, '5m'), b(0, '1d')];
    for (const p of probes) expect(restored.check(p)).toEqual(gate.check(p));
    for (const g of [gate, restored]) for (const m of [t(10, 3_100), q(3_200), b(7_200_000)]) g.admit(m);
    for (const p of probes) expect(restored.check(p)).toEqual(gate.check(p));
    expect(restored.toState()).toEqual(gate.toState());
  });

  it('refuses a corrupt snapshot loudly instead of restoring a gate that refuses oddly', () => {
    expect(() => tickGateFromState({ ids: 'abc', last: {} }, opts)).toThrow();
    expect(() => tickGateFromState({ ids: [], last: { trade: 'soon' } }, opts)).toThrow();
    expect(() => tickGateFromState(null, opts)).toThrow();
  });

  it('refuses options that cannot describe a window', () => {
    expect(() => createTickGate({ dedupWindow: 0, outOfOrderToleranceMs: 0 })).toThrow(RangeError);
    expect(() => createTickGate({ dedupWindow: 1.5, outOfOrderToleranceMs: 0 })).toThrow(RangeError);
    expect(() => createTickGate({ dedupWindow: 10, outOfOrderToleranceMs: -1 })).toThrow(RangeError);
    expect(() => createTickGate({ dedupWindow: 10, outOfOrderToleranceMs: Number.NaN })).toThrow(RangeError);
  });
});

describe('a refused message leaves the gate as it was', () => {
  it.each([
    ['DUPLICATE', t(3, 3_000), RefusalReason.DUPLICATE],
    ['DUPLICATE over OUT_OF_ORDER', t(3, 0), RefusalReason.DUPLICATE],
    ['OUT_OF_ORDER trade', t(20, 2_849), RefusalReason.OUT_OF_ORDER],
    ['OUT_OF_ORDER quote', q(2_399), RefusalReason.OUT_OF_ORDER],
    ['OUT_OF_ORDER bar with the same open time and another id', { ...b(3_600_000), id: 'b:revised' }, RefusalReason.OUT_OF_ORDER],
  ] as const)('%s: check() refuses and the state is unchanged', (_name, msg, reason) => {
    const gate = busyGate();
    const before = JSON.stringify(gate.toState());
    expect(gate.check(msg)?.reason).toBe(reason);
    expect(gate.check(msg)?.reason).toBe(reason);
    expect(JSON.stringify(gate.toState())).toBe(before);
  });

  it('accepts again what it refused once the refusal no longer applies, since nothing was remembered', () => {
    const gate = createTickGate({ dedupWindow: 2, outOfOrderToleranceMs: 0 });
    gate.admit(t(1, 1_000));
    gate.admit(t(2, 2_000));
    expect(gate.check(t(1, 3_000))?.reason).toBe(RefusalReason.DUPLICATE);
    gate.admit(t(3, 3_000)); // pushes id 1 out of the window
    expect(gate.check(t(1, 3_000))).toBeUndefined();
  });
});
