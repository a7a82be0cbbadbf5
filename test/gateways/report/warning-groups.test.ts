import { describe, expect, it } from 'vitest';
import { groupWarnings, numberedWarningLines } from '../../../gateways/report/warning-groups.js';

const unfilled = (orders: number): string => `none of the ${orders} orders filled (${orders} expired unfilled): costs.latencyMs (7200000 ms) is at or past the orders' time-to-live`;

describe('groupWarnings', () => {
  it('says the same warning given by several backtests once, naming each', () => {
    expect(numberedWarningLines('segment', [1, 2, 3].map((n) => ({ n, warnings: ['venue kraken is not the data\'s'] })))).toEqual(["segments 1, 2, 3: venue kraken is not the data's"]);
  });

  it('says one kind of warning with other counts per backtest once, listing each backtest\'s figures in order', () => {
    const lines = numberedWarningLines('segment', [
      { n: 1, warnings: [unfilled(12)] },
      { n: 2, warnings: ['capital 10,000 is hardly used'] },
      { n: 3, warnings: [unfilled(30), 'capital 10,250.5 is hardly used'] },
      { n: 4, warnings: [unfilled(7)] },
    ]);
    expect(lines).toEqual([
      "segments 1, 3, 4: none of the {12, 30, 7} orders filled ({12, 30, 7} expired unfilled): costs.latencyMs (7200000 ms) is at or past the orders' time-to-live",
      'segments 2, 3: capital {10,000, 10,250.5} is hardly used',
    ]);
  });

  it('takes a date or time as one figure, and keeps warnings of other words apart', () => {
    const ends = (at: string): string => `BTC/USDT: its 1h data ends inside the window: last bar ${at}`;
    const groups = groupWarnings([
      { where: 'a', warnings: [ends('2026-06-20T09:00:00.000Z'), 'ETH/USDT: its 1h data ends inside the window: last bar 2026-06-01T00:00:00.000Z'] },
      { where: 'b', warnings: [ends('2026-06-27T10:00:00.000Z')] },
    ]);
    expect(groups).toEqual([
      { warning: 'BTC/USDT: its 1h data ends inside the window: last bar {2026-06-20T09:00:00.000Z, 2026-06-27T10:00:00.000Z}', where: ['a', 'b'] },
      { warning: 'ETH/USDT: its 1h data ends inside the window: last bar 2026-06-01T00:00:00.000Z', where: ['a'] },
    ]);
  });

  it('counts a text a backtest gives twice once, and two texts of one kind it gives as two', () => {
    expect(groupWarnings([{ where: 1, warnings: ['x 1', 'x 1', 'x 2'] }, { where: 2, warnings: ['x 3'] }])).toEqual([
      { warning: 'x {1, 3}', where: [1, 2] },
      { warning: 'x 2', where: [1] },
    ]);
  });
});
