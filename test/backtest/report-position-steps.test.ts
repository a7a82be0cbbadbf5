import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBacktestReport } from '../../gateways/report/backtest-report.js';
import { performanceMetrics } from '../../models/backtest/performance-metrics.js';
import { positionsOf } from '../../models/backtest/positions.js';
import type { Fill } from '../../streams/messages/fill.js';
import { reportFixture } from './report-fixture.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 4, 7);

const fill = (n: number, ts: number, side: 'buy' | 'sell', qty: number, price: number): Fill => ({
  type: 'exec.fill', v: 1, id: `x:${n}`, ts, orderId: `o:${n}`, strategy: 's', venue: 'paper', symbol: 'BTC/USDT', side, qty, price, fee: 0, liquidity: 'taker', slippageBps: 0, final: true,
});

// A position opened 40 hours into a 72-hour window was drawn as a line from 0 at the window's
// start, so the chart showed it growing through hours it was flat.
describe("the report's position chart", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-report-steps-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds each position value until the next fill (a step), from the window start to its end', () => {
    const positions = positionsOf([fill(1, T0 + 40 * H, 'buy', 0.01, 60_000), fill(2, T0 + 50 * H, 'sell', 0.01, 61_000)]);
    const equity = [
      { ts: T0 + H, equity: 10_000 },
      { ts: T0 + 72 * H, equity: 10_010 },
    ];
    const metrics = performanceMetrics({ startTs: T0, startingCapital: 10_000, equity, grossExposure: [0, 0], trades: [], feesPaid: 0, tradedNotional: 1210, periodsPerYear: 8760 });
    const { html } = writeBacktestReport(dir, reportFixture(metrics, { from: T0, to: T0 + 72 * H }), [{ name: 'strategy', equity }], [], positions);
    const line = /<polyline class="series" data-series="BTC\/USDT"[^>]* points="([^"]*)"/.exec(readFileSync(html, 'utf8'));
    const pts = (line?.[1] ?? '').split(' ').map((p) => p.split(',').map(Number) as [number, number]);
    // Start, (fill 1: before, after), (fill 2: before, after), end.
    expect(pts).toHaveLength(6);
    // Every segment is horizontal (held) or vertical (a fill): never a slope between two times.
    for (let i = 1; i < pts.length; i++) {
      const [[xa, ya], [xb, yb]] = [pts[i - 1] as [number, number], pts[i] as [number, number]];
      expect(xa === xb || ya === yb, `segment ${i}: ${xa},${ya} → ${xb},${yb}`).toBe(true);
    }
    // Flat (0) from the start until the first fill, 600 held until the second, flat after.
    const zero = pts[0]?.[1];
    expect(pts[1]?.[1]).toBe(zero);
    expect(pts[2]?.[1]).toBeLessThan(zero as number);
    expect(pts[3]?.[1]).toBe(pts[2]?.[1]);
    expect(pts[5]?.[1]).toBe(zero);
  });
});
