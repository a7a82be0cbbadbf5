import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBacktestReport } from '../../gateways/report/backtest-report.js';
import type { BacktestReport, BacktestReportCurves } from '../../gateways/report/backtest-report.js';
import { curveJson } from '../../gateways/report/curve-json.js';
import type { CurveJson } from '../../gateways/report/curve-json.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';
import type { PerformanceMetrics } from '../../models/backtest/performance-metrics.js';
import { reportFixture } from './report-fixture.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** What a reader of report.json computes from a curve: equity[-1] / equity[0] − 1, and the deepest fall from the running maximum. */
function recompute(c: CurveJson): { total_return: number; max_drawdown: number } {
  let peak = -Infinity;
  let mdd = 0;
  for (const e of c.equity) {
    peak = Math.max(peak, e);
    mdd = Math.max(mdd, 1 - e / peak);
  }
  return { total_return: (c.equity.at(-1) as number) / (c.equity[0] as number) - 1, max_drawdown: mdd };
}

const metricsOf = (equity: readonly { ts: number; equity: number }[]): PerformanceMetrics =>
  performanceMetrics({ startTs: T0, startingCapital: 10_000, equity, grossExposure: equity.map(() => 0), trades: [], feesPaid: 0, tradedNotional: 0, periodsPerYear: 8760 });

// report.json held the metrics but not the curves they came from (only report.html's SVG drew
// them), so nobody could check total return or max drawdown against the equity.
describe("report.json's equity curves", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-report-curves-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the strategy and both baselines from the capital at window.from, and their metrics come back out of them', () => {
    // The strategy's first bar already lost: its drawdown is measured from the capital, which the curve must start with.
    const strategy = [9_800, 10_100, 9_090, 9_500].map((equity, i) => ({ ts: T0 + (i + 1) * H, equity }));
    const hold = [10_050, 10_300, 10_200, 10_400].map((equity, i) => ({ ts: T0 + (i + 1) * H, equity }));
    const grid = [10_000, 9_990, 9_995, 10_010].map((equity, i) => ({ ts: T0 + (i + 1) * H, equity }));
    const report: BacktestReport = { ...reportFixture(metricsOf(strategy), { from: T0, to: T0 + 4 * H }), baselines: { buy_and_hold: metricsOf(hold), grid: metricsOf(grid) } };
    const out = writeBacktestReport(join(dir, 'three'), report, [
      { name: 'strategy', equity: strategy },
      { name: 'buy and hold', equity: hold },
      { name: 'grid', equity: grid },
    ], []);
    const json = JSON.parse(readFileSync(out.json, 'utf8')) as BacktestReport & BacktestReportCurves;
    expect(Object.keys(json.curves)).toEqual(['strategy', 'buy_and_hold', 'grid']);
    const s = json.curves['strategy'] as CurveJson;
    expect(s).toEqual({ sampled: false, ts: [T0, T0 + H, T0 + 2 * H, T0 + 3 * H, T0 + 4 * H], equity: [10_000, 9_800, 10_100, 9_090, 9_500] });
    expect(s.ts.length).toBe(json.metrics.periods + 1);
    for (const [key, m] of [['strategy', json.metrics], ['buy_and_hold', json.baselines.buy_and_hold], ['grid', json.baselines.grid]] as const) {
      const r = recompute(json.curves[key] as CurveJson);
      expect(r.total_return, key).toBeCloseTo(m.total_return, 12);
      expect(r.max_drawdown, key).toBeCloseTo(m.max_drawdown, 12);
    }
    // The rest of the file is as before: the report's own fields, unchanged.
    const { curves: _curves, ...rest } = json;
    expect(rest).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('keeps each curve on one line, not a line per number', () => {
    const equity = Array.from({ length: 2_000 }, (_, i) => ({ ts: T0 + (i + 1) * H, equity: 10_000 + Math.sin(i) * 100 }));
    const out = writeBacktestReport(join(dir, 'long'), reportFixture(metricsOf(equity), { from: T0, to: T0 + 2_000 * H }), [{ name: 'strategy', equity }], []);
    const text = readFileSync(out.json, 'utf8');
    expect((JSON.parse(text) as BacktestReportCurves).curves['strategy']?.ts.length).toBe(2_001);
    expect(text.split('\n').length).toBeLessThan(200);
  });
});

describe('curveJson past its row limit', () => {
  // A seeded walk (no Math.random): 20,000 hourly rows with drawdowns at every scale.
  let seed = 7;
  const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  let e = 10_000;
  const points = Array.from({ length: 20_000 }, (_, i) => ({ ts: T0 + (i + 1) * H, equity: (e *= 1 + (rand() - 0.5) * 0.02) }));
  const m = metricsOf(points);

  it('thins the curve under the limit, says so, and keeps total return and max drawdown exact', () => {
    const c = curveJson(T0, 10_000, points, 1_000);
    expect(c.sampled).toBe(true);
    expect(c.ts.length).toBeLessThanOrEqual(1_000);
    expect(c.ts.length).toBeGreaterThan(900);
    expect([c.ts[0], c.equity[0]]).toEqual([T0, 10_000]);
    expect(c.ts.at(-1)).toBe(points.at(-1)?.ts);
    expect([...c.ts].sort((a, b) => a - b)).toEqual(c.ts);
    const r = recompute(c);
    expect(r.total_return).toBeCloseTo(m.total_return, 12);
    expect(r.max_drawdown).toBeCloseTo(m.max_drawdown, 12);
  });

  it('keeps the deepest drawdown even when it lies inside one run of rows', () => {
    // 90, then 100 → 50 → 200 inside one run: its low and high alone (50, 240) keep only the fall from 90.
    const pts = [100, 50, 200, 150, 210, 220, 230, 240].map((equity, i) => ({ ts: T0 + (i + 1) * H, equity }));
    const c = curveJson(T0, 90, pts, 6);
    expect(c.sampled).toBe(true);
    expect(recompute(c).max_drawdown).toBeCloseTo(0.5, 12);
  });

  it('keeps every row of a curve within the limit', () => {
    expect(curveJson(T0, 10_000, points).sampled).toBe(false);
    expect(curveJson(T0, 10_000, points).ts.length).toBe(20_001);
  });
});
