import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Atr } from '../../models/features/atr.js';
import { Bollinger } from '../../models/features/bollinger.js';
import { Ema } from '../../models/features/ema.js';
import { Macd, MacdSeeding } from '../../models/features/macd.js';
import { Rsi } from '../../models/features/rsi.js';
import { Sma } from '../../models/features/sma.js';
import { Vwap } from '../../models/features/vwap.js';
import { dataFile } from './data-dir.js';

/**
 * The published unit-test vectors of npm `technicalindicators` (StockCharts examples and
 * friends). Some expected values are rounded by that library (RSI to 2 dp, VWAP to toFixed(2)):
 * those are compared at the fixture's own precision — half a unit in the last printed place —
 * and the others to 1e-9 relative.
 */
type Fixture = Readonly<{ indicator: string; input: Readonly<Record<string, unknown>>; expected: readonly unknown[] }>;

const fixtures = (JSON.parse(readFileSync(dataFile('oracle/technicalindicators_fixtures.json'), 'utf8')) as { fixtures: Fixture[] })
  .fixtures;

const numbers = (f: Fixture, key: string): number[] => {
  const v = f.input[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new Error(`${f.indicator}: input.${key} is not a number array`);
  return v as number[];
};
const int = (f: Fixture, key: string): number => {
  const v = f.input[key];
  if (typeof v !== 'number') throw new Error(`${f.indicator}: input.${key} is not a number`);
  return v;
};
const expectedNumbers = (f: Fixture): number[] => f.expected.map(Number);
const byIndicator = (name: string): Fixture[] => {
  const found = fixtures.filter((f) => f.indicator === name);
  if (found.length === 0) throw new Error(`no ${name} fixture`);
  return found;
};

/** Decimal places printed in a fixture value (2 for 70.46, 0 for 100). */
const decimals = (x: number): number => (String(x).split('.')[1] ?? '').length;

/** Equal at the precision the fixture was printed with (≤ 2 dp fixtures) or to 1e-9 relative. */
const expectClose = (got: readonly (number | null)[], want: readonly number[], rounded: boolean): void => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    expect(g, `output ${i}`).not.toBeNull();
    const tol = rounded ? 0.5 * 10 ** -2 + 1e-12 : 1e-9 * Math.max(Math.abs(w), 1e-300);
    expect(Math.abs(g! - w), `output ${i}: got ${g}, want ${w}`).toBeLessThanOrEqual(tol);
    if (rounded) expect(decimals(w)).toBeLessThanOrEqual(2);
  });
};

/** Runs `update` over n inputs and returns the outputs from the first non-null one on. */
const run = (n: number, step: (i: number) => number | null): (number | null)[] => {
  const out: (number | null)[] = [];
  for (let i = 0; i < n; i++) {
    const v = step(i);
    if (v !== null || out.length > 0) out.push(v);
  }
  return out;
};

describe('technicalindicators fixtures', () => {
  it.each(byIndicator('RSI').map((f, i) => [i, f] as const))('RSI #%i (rounded to 2 dp)', (_i, f) => {
    const values = numbers(f, 'values');
    const rsi = new Rsi(int(f, 'period'));
    const got = run(values.length, (i) => (rsi.update(values[i]!), rsi.value));
    expectClose(got, expectedNumbers(f), true);
  });

  it('SMA', () => {
    const [f] = byIndicator('SMA') as [Fixture];
    const values = numbers(f, 'values');
    const sma = new Sma(int(f, 'period'));
    expectClose(run(values.length, (i) => (sma.update(values[i]!), sma.value)), expectedNumbers(f), false);
  });

  it('EMA (SMA-seeded)', () => {
    const [f] = byIndicator('EMA') as [Fixture];
    const values = numbers(f, 'values');
    const ema = new Ema(int(f, 'period'));
    expectClose(run(values.length, (i) => (ema.update(values[i]!), ema.value)), expectedNumbers(f), false);
  });

  it('MACD(5,8,3) with the classic seeding technicalindicators uses', () => {
    const [f] = byIndicator('MACD') as [Fixture];
    const values = numbers(f, 'values');
    const macd = new Macd(int(f, 'fastPeriod'), int(f, 'slowPeriod'), int(f, 'signalPeriod'), MacdSeeding.classic);
    const rows: { MACD: number | null; signal: number | null; histogram: number | null }[] = [];
    for (const v of values) {
      macd.update(v);
      if (macd.value !== null) rows.push({ MACD: macd.value, signal: macd.signal, histogram: macd.histogram });
    }
    const want = f.expected as readonly { MACD: number; signal?: number; histogram?: number }[];
    expect(rows.length).toBe(want.length);
    expectClose(rows.map((r) => r.MACD), want.map((w) => w.MACD), false);
    rows.forEach((r, i) => {
      const w = want[i]!;
      if (w.signal === undefined) {
        expect(r.signal).toBeNull();
        expect(r.histogram).toBeNull();
      } else {
        expectClose([r.signal, r.histogram], [w.signal, w.histogram!], false);
      }
    });
  });

  it('MACD(5,8,3) with TA-Lib seeding publishes all three lines together', () => {
    const [f] = byIndicator('MACD') as [Fixture];
    const values = numbers(f, 'values');
    const macd = new Macd(5, 8, 3);
    values.forEach((v, i) => {
      macd.update(v);
      const ready = i >= 7 + 2;
      expect([macd.value !== null, macd.signal !== null, macd.histogram !== null]).toEqual([ready, ready, ready]);
    });
  });

  it('Wilder smoothing: ATR is the smoothed sum divided by n', () => {
    // The fixture is Wilder's running SUM, S = S − S/n + x, seeded with the sum of the first n.
    // Our ATR keeps the average A = S/n; feeding the values as true ranges (high − low with
    // close at mid-range, so no gap) must give S/n.
    const [f] = byIndicator('WilderSmoothing') as [Fixture];
    const values = numbers(f, 'values');
    const n = int(f, 'period');
    const atr = new Atr(n);
    atr.update(1, 1, 1); // the first bar has no previous close and no true range
    const got = run(values.length, (i) => {
      const tr = values[i]!;
      atr.update(1 + tr / 2, 1 - tr / 2, 1);
      return atr.value;
    });
    const want = expectedNumbers(f).map((s) => s / n);
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => expect(Math.abs(g! - want[i]!)).toBeLessThanOrEqual(1e-9 * want[i]!));
  });

  it('ATR (StockCharts example)', () => {
    const [f] = byIndicator('ATR') as [Fixture];
    const [high, low, close] = [numbers(f, 'high'), numbers(f, 'low'), numbers(f, 'close')];
    const atr = new Atr(int(f, 'period'));
    const got = run(close.length, (i) => (atr.update(high[i]!, low[i]!, close[i]!), atr.value));
    expectClose(got, expectedNumbers(f), false);
  });

  it('Bollinger bands (population σ)', () => {
    const [f] = byIndicator('BollingerBands') as [Fixture];
    const values = numbers(f, 'values');
    const bb = new Bollinger(int(f, 'period'), int(f, 'stdDev'));
    const rows: [number | null, number | null, number | null][] = [];
    for (const v of values) {
      bb.update(v);
      if (bb.value !== null) rows.push([bb.upper, bb.middle, bb.lower]);
    }
    const want = f.expected as readonly { upper: number; middle: number; lower: number }[];
    expect(rows.length).toBe(want.length);
    rows.forEach((r, i) => expectClose(r, [want[i]!.upper, want[i]!.middle, want[i]!.lower], false));
  });

  it('VWAP (StockCharts intraday, toFixed(2))', () => {
    const [f] = byIndicator('VWAP') as [Fixture];
    const [high, low, close, volume] = [numbers(f, 'high'), numbers(f, 'low'), numbers(f, 'close'), numbers(f, 'volume')];
    const vwap = new Vwap();
    // One session: every bar within the same UTC day.
    const got = run(close.length, (i) => (vwap.update(i * 60_000, high[i]!, low[i]!, close[i]!, volume[i]!), vwap.value));
    expectClose(got, expectedNumbers(f), true);
  });
});
