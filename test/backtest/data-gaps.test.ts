import { describe, expect, it } from 'vitest';
import { findGaps } from '../../models/backtest/data-gaps.js';

describe('data gaps', () => {
  it('finds holes per symbol, with the number of missing bars, and nothing in complete data', () => {
    const H = 3_600_000;
    const bars = [
      { symbol: 'A', ts: 0 },
      { symbol: 'B', ts: 0 },
      { symbol: 'A', ts: H },
      { symbol: 'B', ts: 4 * H },
      { symbol: 'A', ts: 2 * H },
      { symbol: 'A', ts: 5 * H },
    ];
    expect(findGaps(bars, H)).toEqual([
      { symbol: 'B', from: 0, to: 4 * H, missingBars: 3 },
      { symbol: 'A', from: 2 * H, to: 5 * H, missingBars: 2 },
    ]);
    expect(findGaps(bars.slice(0, 3), H)).toEqual([]);
    // In a window [0, 8h): B stops after 4h (3 bars missing at the end), A after 5h (2 missing).
    expect(findGaps(bars, H, { from: 0, to: 8 * H }).slice(2)).toEqual([
      { symbol: 'A', from: 5 * H, to: 8 * H, missingBars: 2 },
      { symbol: 'B', from: 4 * H, to: 8 * H, missingBars: 3 },
    ]);
    // A symbol starting late: bars 0 and 1 missing before its first bar at 2h.
    expect(findGaps([{ symbol: 'C', ts: 2 * H }, { symbol: 'C', ts: 3 * H }], H, { from: 0, to: 4 * H })).toEqual([{ symbol: 'C', from: 0, to: 2 * H, missingBars: 2 }]);
  });
});
