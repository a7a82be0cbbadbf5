import { describe, expect, it } from 'vitest';
import { MS_PER_DAY, MS_PER_YEAR, periodsPerYear } from '../../models/backtest/annualisation.js';
import { performanceMetrics, PerformanceMetricsSchema } from '../../models/backtest/performance-metrics.js';
import type { PerformanceInput, PerformanceMetrics } from '../../models/backtest/performance-metrics.js';
import type { ClosedTrade } from '../../models/backtest/trade-stats.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';

const H = 3_600_000;

/** A round trip whose only field that matters to the metrics is its net pnl. */
const trade = (pnl: number, i = 0): ClosedTrade => ({
  entryTs: i * H,
  exitTs: (i + 1) * H,
  symbol: 'BTC/USDT',
  side: i % 2 === 0 ? 'long' : 'short',
  qty: 1,
  entryPrice: 100,
  exitPrice: 100 + pnl,
  pnl,
  fees: 0.1,
});

/** Hourly points after `startTs` = 0 with the given equities; flat, no trades, unless overridden. */
const run = (equities: readonly number[], over: Partial<PerformanceInput> = {}): PerformanceMetrics =>
  performanceMetrics({
    startTs: 0,
    startingCapital: 100,
    equity: equities.map((equity, i) => ({ ts: (i + 1) * H, equity })),
    grossExposure: equities.map(() => 0),
    trades: [],
    feesPaid: 0,
    tradedNotional: 0,
    ...over,
  });

describe('annualisation', () => {
  it('uses a 365-day year of 24-hour days', () => {
    expect(periodsPerYear(H)).toBe(24 * 365);
    expect(periodsPerYear(60_000)).toBe(525_600);
    expect(periodsPerYear(MS_PER_DAY)).toBe(365);
    expect(() => periodsPerYear(0)).toThrow(RangeError);
  });
});

describe('performance metrics on a hand-computed curve', () => {
  // Capital 100 at t = 0; hourly equity 110, 99, 99, 108.9.
  // Returns r = +0.10, −0.10, 0, +0.10; mean = 0.1 / 4 = 0.025.
  // Deviations 0.075, −0.125, −0.025, 0.075 → squares 0.005625 + 0.015625 + 0.000625 + 0.005625
  //   = 0.0275; sample variance 0.0275 / 3 = 0.0091667; stdev = 0.0957427.
  // periodsPerYear = 100 (√ = 10) to keep the arithmetic readable.
  const m = run([110, 99, 99, 108.9], {
    periodsPerYear: 100,
    grossExposure: [1, 0.5, 0, 2],
    trades: [trade(30, 0), trade(-10, 1), trade(0, 2), trade(-20, 3), trade(50, 4)],
    feesPaid: 1.25,
    tradedNotional: 400,
  });

  it('total return = 108.9 / 100 − 1 = 0.089', () => {
    expect(m.total_return).toBeCloseTo(0.089, 12);
    expect(m.periods).toBe(4);
    expect(m.elapsed_ms).toBe(4 * H);
  });

  it('volatility = 0.0957427 × 10 = 0.957427 (sample stdev, n − 1)', () => {
    expect(m.volatility).toBeCloseTo(Math.sqrt(0.0275 / 3) * 10, 12);
    expect(m.volatility).toBeCloseTo(0.957427, 6);
  });

  it('sharpe = 0.025 / 0.0957427 × 10 = 2.611165', () => {
    expect(m.sharpe).toBeCloseTo((0.025 / Math.sqrt(0.0275 / 3)) * 10, 12);
    expect(m.sharpe).toBeCloseTo(2.611165, 6);
  });

  it('sortino: downside deviation √(0.1² / 4) = 0.05 over all 4 periods → 0.025 / 0.05 × 10 = 5', () => {
    expect(m.sortino).toBeCloseTo(5, 12);
  });

  it('max drawdown (110 − 99) / 110 = 0.1, unrecovered from the 1 h peak to the 4 h end = 3 h', () => {
    expect(m.max_drawdown).toBeCloseTo(0.1, 12);
    expect(m.max_drawdown_duration_ms).toBe(3 * H);
  });

  it('trades 30, −10, 0, −20, 50: win rate 2/5, profit factor 80/30, average 50/5 = 10', () => {
    expect(m.trades).toBe(5);
    expect(m.win_rate).toBe(0.4);
    expect(m.gross_profit).toBe(80);
    expect(m.gross_loss).toBe(30);
    expect(m.profit_factor).toBeCloseTo(8 / 3, 12);
    expect(m.average_trade).toBe(10);
  });

  it('turnover = 400 / mean(110, 99, 99, 108.9) = 400 / 104.225; annualised × (8760 h / 4 h)', () => {
    expect(m.turnover).toBeCloseTo(400 / 104.225, 12);
    expect(m.annualised_turnover).toBeCloseTo((400 / 104.225) * 2190, 8);
  });

  it('exposure: 3 of 4 periods held a position; mean gross exposure (1 + 0.5 + 0 + 2) / 4 = 0.875', () => {
    expect(m.exposure).toBe(0.75);
    expect(m.average_gross_exposure).toBe(0.875);
    expect(m.fees_paid).toBe(1.25);
  });

  it('defaults periodsPerYear to the mean sampling interval (hourly → 8760)', () => {
    const byDefault = run([110, 99, 99, 108.9]);
    const explicit = run([110, 99, 99, 108.9], { periodsPerYear: 8760 });
    expect(byDefault.sharpe).toBe(explicit.sharpe);
    expect(byDefault.sharpe).toBeCloseTo(2.611165 * Math.sqrt(87.6), 5);
  });

  it('is a finite-or-null record that survives JSON and the schema', () => {
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
    expect(PerformanceMetricsSchema.parse(m)).toEqual(m);
    for (const v of Object.values(m)) expect(v === null || Number.isFinite(v)).toBe(true);
  });
});

describe('annualised return and calmar', () => {
  it('CAGR over two 365-day years: 121 / 100 → √1.21 − 1 = 0.1', () => {
    const m = performanceMetrics({
      startTs: 1_700_000_000_000,
      startingCapital: 100,
      equity: [{ ts: 1_700_000_000_000 + 2 * MS_PER_YEAR, equity: 121 }],
      grossExposure: [1],
      trades: [],
      feesPaid: 0,
      tradedNotional: 0,
    });
    expect(m.annualised_return).toBeCloseTo(0.1, 12);
    expect(m.calmar).toBeNull(); // no drawdown
  });

  it('calmar = CAGR 0.2 / max drawdown 0.2 = 1 (100 → 80 after a year → 144 after two)', () => {
    // CAGR = √1.44 − 1 = 0.2; drawdown (100 − 80) / 100 = 0.2 from the deposit, recovered at 2 y.
    const m = performanceMetrics({
      startTs: 0,
      startingCapital: 100,
      equity: [
        { ts: MS_PER_YEAR, equity: 80 },
        { ts: 2 * MS_PER_YEAR, equity: 144 },
      ],
      grossExposure: [1, 1],
      trades: [],
      feesPaid: 0,
      tradedNotional: 0,
    });
    expect(m.annualised_return).toBeCloseTo(0.2, 12);
    expect(m.max_drawdown).toBeCloseTo(0.2, 12);
    expect(m.max_drawdown_duration_ms).toBe(2 * MS_PER_YEAR);
    expect(m.calmar).toBeCloseTo(1, 12);
  });

  it('is null when compounding a short run overflows (+100 % in 1 ms), and −1 after ruin', () => {
    const fast = performanceMetrics({ startTs: 0, startingCapital: 100, equity: [{ ts: 1, equity: 200 }], grossExposure: [1], trades: [], feesPaid: 0, tradedNotional: 0 });
    expect(fast.annualised_return).toBeNull();
    expect(fast.total_return).toBe(1);
    expect(run([50, 0]).annualised_return).toBe(-1);
  });
});

describe('drawdown duration', () => {
  it('takes the longest of several recovered drawdowns', () => {
    // 100 (t0) → 90 → 100 at 2 s: 2 s; peak 120 at 3 s → 110, 115 → 125 at 10 s: 7 s.
    // Depths 10 / 100 = 0.1 and 10 / 120 = 0.083: max 0.1.
    const pts = [
      [1, 90],
      [2, 100],
      [3, 120],
      [4, 110],
      [5, 115],
      [10, 125],
    ] as const;
    const m = performanceMetrics({
      startTs: 0,
      startingCapital: 100,
      equity: pts.map(([s, equity]) => ({ ts: s * 1000, equity })),
      grossExposure: pts.map(() => 1),
      trades: [],
      feesPaid: 0,
      tradedNotional: 0,
    });
    expect(m.max_drawdown).toBeCloseTo(0.1, 12);
    expect(m.max_drawdown_duration_ms).toBe(7000);
  });

  it('counts from the last time equity stood at its high-water mark', () => {
    // 100 (0 h) → 100 (1 h) → 90 (2 h) → 100 (3 h): the drawdown starts at 1 h and lasts 2 h.
    expect(run([100, 90, 100]).max_drawdown_duration_ms).toBe(2 * H);
  });

  it('runs an unrecovered drawdown to the end of the curve', () => {
    // Peak 105 at 1 h; 104, 103, 104.9 never recover: 4 h − 1 h = 3 h.
    const m = run([105, 104, 103, 104.9]);
    expect(m.max_drawdown_duration_ms).toBe(3 * H);
    expect(m.max_drawdown).toBeCloseTo(2 / 105, 12);
  });
});

describe('edge cases', () => {
  it('flat equity: volatility 0, sharpe, sortino and calmar null, no drawdown', () => {
    const m = run([100, 100, 100]);
    expect(m.volatility).toBe(0);
    expect(m.sharpe).toBeNull();
    expect(m.sortino).toBeNull();
    expect(m.max_drawdown).toBe(0);
    expect(m.max_drawdown_duration_ms).toBe(0);
    expect(m.calmar).toBeNull();
    expect(m.total_return).toBe(0);
    expect(m.annualised_return).toBe(0);
  });

  it('a constant nonzero return has volatility 0, not float noise', () => {
    // 100 → 125 → 156.25 → 195.3125: a +25 % return every period, 1.25³ − 1 = 0.953125.
    const m = run([125, 156.25, 195.3125], { startingCapital: 100 });
    expect(m.total_return).toBeCloseTo(0.953125, 12);
    // 125/100, 156.25/125, 195.3125/156.25 are each exactly 1.25.
    expect(m.volatility).toBe(0);
    expect(m.sharpe).toBeNull();
  });

  it('one period: volatility and sharpe undefined; sortino defined only if it lost', () => {
    const up = run([101], { periodsPerYear: 100 });
    expect(up.volatility).toBeNull();
    expect(up.sharpe).toBeNull();
    expect(up.sortino).toBeNull();
    expect(up.total_return).toBeCloseTo(0.01, 12);
    // r = −0.02: downside deviation √(0.02² / 1) = 0.02 → −0.02 / 0.02 × 10 = −10.
    const down = run([98], { periodsPerYear: 100 });
    expect(down.sortino).toBeCloseTo(-10, 12);
    expect(down.max_drawdown).toBeCloseTo(0.02, 12);
    expect(down.max_drawdown_duration_ms).toBe(H);
  });

  it('no trades: win rate, profit factor and average trade null', () => {
    const m = run([101, 102]);
    expect(m.trades).toBe(0);
    expect(m.win_rate).toBeNull();
    expect(m.profit_factor).toBeNull();
    expect(m.average_trade).toBeNull();
    expect(m.turnover).toBe(0);
    expect(m.exposure).toBe(0);
  });

  it('all-winning trades: win rate 1, profit factor null (no gross loss)', () => {
    const m = run([101, 102], { trades: [trade(1, 0), trade(2, 1)] });
    expect(m.win_rate).toBe(1);
    expect(m.profit_factor).toBeNull();
    expect(m.average_trade).toBe(1.5);
  });

  it('all-losing trades: win rate 0, profit factor 0', () => {
    const m = run([99], { trades: [trade(-1)] });
    expect(m.win_rate).toBe(0);
    expect(m.profit_factor).toBe(0);
  });

  it('stops the return series at ruin: 100 → 50 → −10 → 20 uses r = −0.5, −1.2 only', () => {
    const m = run([50, -10, 20], { periodsPerYear: 100 });
    // r = 50/100 − 1 = −0.5, −10/50 − 1 = −1.2, then no return out of a negative equity.
    // mean −0.85; sample stdev |−0.5 − (−1.2)| / √2 = 0.7 / √2 = 0.494975 → × 10 = 4.94975.
    expect(m.volatility).toBeCloseTo((0.7 / Math.SQRT2) * 10, 12);
    expect(m.sharpe).toBeCloseTo((-0.85 / (0.7 / Math.SQRT2)) * 10, 12);
    expect(m.max_drawdown).toBeCloseTo(1.1, 12); // (100 − (−10)) / 100
    expect(m.total_return).toBeCloseTo(-0.8, 12);
  });
});

describe('input validation', () => {
  const good: PerformanceInput = {
    startTs: 0,
    startingCapital: 100,
    equity: [
      { ts: H, equity: 101 },
      { ts: 2 * H, equity: 102 },
    ],
    grossExposure: [1, 1],
    trades: [trade(1)],
    feesPaid: 0.1,
    tradedNotional: 200,
  };

  it('accepts the good input', () => {
    expect(performanceMetrics(good).trades).toBe(1);
  });

  it('accepts fees net of maker rebates that exceeded them (negative), in the total and a trade', () => {
    const m = performanceMetrics({ ...good, feesPaid: -1, trades: [{ ...trade(1), fees: -0.5 }] });
    expect(m.fees_paid).toBe(-1);
    expect(m.trades).toBe(1);
  });

  it.each([
    ['no points', { equity: [], grossExposure: [] }, /no points/],
    ['a point at startTs', { startTs: H }, /point 0/],
    ['time going backwards', { equity: [{ ts: 2 * H, equity: 1 }, { ts: H, equity: 1 }] }, /point 1/],
    ['NaN equity', { equity: [{ ts: H, equity: Number.NaN }, { ts: 2 * H, equity: 1 }] }, /not finite/],
    ['zero capital', { startingCapital: 0 }, /startingCapital/],
    ['misaligned exposure', { grossExposure: [1] }, /grossExposure has 1/],
    ['negative exposure', { grossExposure: [1, -0.5] }, /grossExposure\[1\]/],
    ['non-finite fees', { feesPaid: Number.NaN }, /feesPaid|finite/],
    ['a trade closed before it opened', { trades: [{ ...trade(1), exitTs: -1 }] }, /exitTs/],
    ['zero periods per year', { periodsPerYear: 0 }, /periodsPerYear|> 0/],
  ] as const)('refuses %s', (_name, patch, message) => {
    expect(() => performanceMetrics({ ...good, ...patch } as PerformanceInput)).toThrow(message);
  });
});

describe('scale invariance', () => {
  const RATIO_KEYS = [
    'periods',
    'elapsed_ms',
    'total_return',
    'annualised_return',
    'volatility',
    'sharpe',
    'sortino',
    'max_drawdown',
    'max_drawdown_duration_ms',
    'calmar',
    'trades',
    'win_rate',
    'profit_factor',
    'turnover',
    'annualised_turnover',
    'exposure',
    'average_gross_exposure',
  ] as const satisfies readonly (keyof PerformanceMetrics)[];
  const AMOUNT_KEYS = ['average_trade', 'gross_profit', 'gross_loss', 'fees_paid'] as const satisfies readonly (keyof PerformanceMetrics)[];

  /** A seeded random daily-ish curve with trades; every amount multiplied by `k`. */
  function randomInput(seed: number, k: number): PerformanceInput {
    const rng = mulberry32(seed);
    const n = 20 + Math.floor(rng() * 200);
    const capital = 1000 + rng() * 9000;
    let e = capital;
    const equity = [];
    const grossExposure = [];
    for (let i = 0; i < n; i++) {
      e *= 1 + (rng() - 0.48) * 0.05;
      equity.push({ ts: 1_600_000_000_000 + (i + 1) * H, equity: e * k });
      grossExposure.push(rng() < 0.3 ? 0 : rng() * 3);
    }
    const trades = Array.from({ length: Math.floor(rng() * 30) }, (_, i) => {
      const t = trade((rng() - 0.45) * 50, i);
      return { ...t, qty: t.qty * k, pnl: t.pnl * k, fees: t.fees * k };
    });
    return {
      startTs: 1_600_000_000_000,
      startingCapital: capital * k,
      equity,
      grossExposure,
      trades,
      feesPaid: rng() * 20 * k,
      tradedNotional: rng() * 1e5 * k,
    };
  }

  // Keys defined on every sampled curve must not all be null, or the property tests nothing.
  it('leaves every ratio bit-identical under a power-of-two scale, over 50 seeded curves', () => {
    let sharpes = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const base = performanceMetrics(randomInput(seed, 1));
      if (base.sharpe !== null) sharpes++;
      for (const k of [0.125, 1024]) {
        const scaled = performanceMetrics(randomInput(seed, k));
        for (const key of RATIO_KEYS) expect(scaled[key], `${key} seed ${seed} k ${k}`).toBe(base[key]);
        for (const key of AMOUNT_KEYS) expect(scaled[key], `${key} seed ${seed} k ${k}`).toBe(base[key] === null ? null : (base[key] as number) * k);
      }
    }
    expect(sharpes).toBe(50);
  });

  it('leaves every ratio equal to 1e-9 relative under an arbitrary scale (3.7)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const base = performanceMetrics(randomInput(seed, 1));
      const scaled = performanceMetrics(randomInput(seed, 3.7));
      for (const key of RATIO_KEYS) {
        const a = base[key];
        const b = scaled[key];
        if (a === null) expect(b, `${key} seed ${seed}`).toBeNull();
        else expect(Math.abs((b as number) - a), `${key} seed ${seed}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a)));
      }
    }
  });

  it('is deterministic: the same input gives bit-identical output', () => {
    expect(performanceMetrics(randomInput(7, 1))).toEqual(performanceMetrics(randomInput(7, 1)));
  });
});
