import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBacktestReport } from '../../gateways/report/backtest-report.js';
import type { BacktestReport } from '../../gateways/report/backtest-report.js';
import { reportFixture } from './report-fixture.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** The y-axis labels (text-anchor="end" at the plot's left) of the chart captioned `title`. */
const yLabels = (html: string, title: string): string[] => {
  const fig = html.split('<figure>').find((f) => f.startsWith(`<figcaption>${title}</figcaption>`)) ?? '';
  return [...fig.matchAll(/<text x="64" y="[\d.]+" text-anchor="end">([^<]*)<\/text>/g)].map((m) => m[1] as string);
};

const reportOf = (equity: readonly { ts: number; equity: number }[]): BacktestReport => {
  const metrics = performanceMetrics({ startTs: T0, startingCapital: 10_000, equity, grossExposure: equity.map(() => 0), trades: [], feesPaid: 0, tradedNotional: 0, periodsPerYear: 8760 });
  return reportFixture(metrics, { from: T0, to: T0 + 4 * H });
};

// With no drawdown the chart's axis spanned 0 % to +100 % (a flat line got one unit above it): a
// drawdown is never above 0, so the axis tops out at 0 and reaches at least 1 % below it.
describe("the report's drawdown chart axis", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-report-dd-axis-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, equity: readonly { ts: number; equity: number }[]): string =>
    readFileSync(writeBacktestReport(join(dir, name), reportOf(equity), [{ name: 'strategy', equity }], []).html, 'utf8');

  it('spans 0 % down to −1 % when equity never fell (not 0 % to +100 %)', () => {
    const html = write('flat', [1, 2, 3, 4].map((i) => ({ ts: T0 + i * H, equity: 10_000 + i })));
    expect(yLabels(html, 'Drawdown of the strategy')).toEqual(['0.0%', '-1.0%']);
    expect(html).not.toContain('100.0%');
  });

  it('spans 0 % down to the deepest drawdown otherwise', () => {
    const html = write('down', [{ ts: T0 + H, equity: 10_000 }, { ts: T0 + 2 * H, equity: 9_500 }, { ts: T0 + 3 * H, equity: 9_800 }]);
    expect(yLabels(html, 'Drawdown of the strategy')).toEqual(['0.0%', '-5.0%']);
  });
});
