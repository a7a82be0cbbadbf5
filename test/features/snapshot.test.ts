import { describe, expect, it } from 'vitest';
import { FeatureEngine } from '../../models/features/feature-engine.js';
import type { FeatureEngineState } from '../../models/features/feature-engine.js';
import { Macd, MacdSeeding } from '../../models/features/macd.js';
import { readOracle } from './oracle.js';
import { ticksFor } from './ticks.js';

/** === on every slot, NaN (a null feature) equal to NaN. */
const sameRow = (a: Float64Array, b: Float64Array): boolean => a.every((x, i) => x === b[i] || (x !== x && b[i] !== b[i]));

const roundTrip = (e: FeatureEngine): FeatureEngine =>
  FeatureEngine.fromState(JSON.parse(JSON.stringify(e.toState())) as FeatureEngineState);

describe('FeatureEngine snapshot → restore', () => {
  const { bars } = readOracle('PEPE_USDT_1h_2024-01_2024-09', 1500);
  const width = FeatureEngine.names.length;

  /** Feeds bar i with its ticks and returns the feature row after it. */
  const step = (e: FeatureEngine, i: number): Float64Array => {
    const bar = bars[i]!;
    const { quote, trades } = ticksFor(bar, i);
    e.onQuote(quote);
    for (const t of trades) e.onTrade(t);
    e.onBar(bar);
    const row = new Float64Array(width);
    e.fill(row);
    return row;
  };

  const reference = (() => {
    const e = new FeatureEngine();
    return bars.map((_, i) => step(e, i));
  })();

  // Cuts during every warm-up (first bars, MACD at 33, RSI/ATR at 14, trade window at ~34 bars,
  // SMA-200 at 199), right at window recomputes (multiples of 20, 50, 100, 200), and later.
  const cuts = [0, 1, 2, 5, 13, 14, 19, 20, 25, 32, 33, 34, 49, 50, 99, 100, 198, 199, 200, 399, 400, 777, 1200];

  it.each(cuts)('restored after bar %i continues bit-identically', (cut) => {
    let e = new FeatureEngine();
    for (let i = 0; i <= cut; i++) step(e, i);
    e = roundTrip(e);
    expect(e.barsSeen).toBe(cut + 1);
    for (let i = cut + 1; i < bars.length; i++) {
      const row = step(e, i);
      if (!sameRow(row, reference[i]!)) {
        expect.fail(`bar ${i} after restore at ${cut}: ${Array.from(row).join(',')} vs ${Array.from(reference[i]!).join(',')}`);
      }
    }
  });

  it('restoring at every bar (a snapshot per batch of one) still matches', () => {
    let e = new FeatureEngine();
    for (let i = 0; i < 600; i++) {
      const row = step(e, i);
      expect(sameRow(row, reference[i]!)).toBe(true);
      e = roundTrip(e);
    }
  });

  it('the snapshot is plain JSON: identical state serialises identically after a restore', () => {
    const e = new FeatureEngine();
    for (let i = 0; i < 900; i++) step(e, i);
    const json = JSON.stringify(e.toState());
    expect(JSON.stringify(roundTrip(e).toState())).toBe(json);
    expect(json).not.toMatch(/NaN|Infinity/);
  });

  it('refuses a state of another layout version', () => {
    const s = { ...new FeatureEngine().toState(), v: 2 } as unknown as FeatureEngineState;
    expect(() => FeatureEngine.fromState(s)).toThrow(/v2/);
  });

  it('classic-seeded MACD restores bit-identically too', () => {
    const closes = bars.slice(0, 200).map((b) => b.close);
    const ref = new Macd(12, 26, 9, MacdSeeding.classic);
    const want = closes.map((c) => (ref.update(c), [ref.value, ref.signal, ref.histogram]));
    for (const cut of [0, 11, 25, 26, 30, 33, 34, 100]) {
      const m0 = new Macd(12, 26, 9, MacdSeeding.classic);
      for (let i = 0; i <= cut; i++) m0.update(closes[i]!);
      const m = Macd.fromState(JSON.parse(JSON.stringify(m0.toState())) as ReturnType<Macd['toState']>);
      for (let i = cut + 1; i < closes.length; i++) {
        m.update(closes[i]!);
        expect([m.value, m.signal, m.histogram]).toEqual(want[i]);
      }
    }
  });
});
