import { describe, expect, it } from 'vitest';
import { drawdown } from '../../models/backtest/equity-curve.js';
import { drawdownOf } from '../../gateways/report/report-parts.js';

describe("the report's drawdown chart", () => {
  it('measures from the starting capital, as max_drawdown does: a run that only loses is under water from its first point', () => {
    const points = [
      { ts: 1, equity: 9_900 },
      { ts: 2, equity: 9_000 },
      { ts: 3, equity: 9_500 },
      { ts: 4, equity: 10_500 },
      { ts: 5, equity: 9_450 },
    ];
    const dd = drawdownOf(points, 10_000);
    expect(dd.map(([ts]) => ts)).toEqual([1, 2, 3, 4, 5]);
    expect(dd.map(([, d]) => d)).toEqual([-0.01, -0.1, -0.05, 0, -0.1].map((x) => expect.closeTo(x, 12)));
    // The chart's deepest point is the metric.
    expect(-Math.min(...dd.map(([, d]) => d))).toBeCloseTo(drawdown({ startingCapital: 10_000, startTs: 0, points }).maxDrawdown, 12);
  });
});
