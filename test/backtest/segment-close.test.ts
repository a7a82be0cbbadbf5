import { describe, expect, it } from 'vitest';
import { closeSegment } from '../../models/backtest/segment-close.js';
import type { PaperVenueOptions } from '../../models/execution/paper-venue-core.js';
import { MIN_SELL_PRICE_SHARE } from '../../models/execution/taker-price.js';
import type { Bar } from '../../streams/messages/bar.js';

const H = 3_600_000;
const bar = (symbol: string, i: number, close: number, volume: number, high = close * 1.01, low = close * 0.99): Bar => ({
  type: 'md.bar', v: 1, id: `b:binance:${symbol}:1h:${i * H}`, venue: 'binance', symbol, tf: '1h', open: close, high, low, close, volume, ts: i * H,
});
const venue: PaperVenueOptions = { venue: 'binance', takerFeeBps: 10, makerFeeBps: 2, spreadBps: 4, slippage: { impactCoeff: 0.5 }, maxVolumeShare: 0.1 };

describe('closing a walk-forward segment\'s open positions', () => {
  const bars = [bar('X/USDT', 0, 100, 50), bar('Y/USDT', 0, 10, 1000), bar('X/USDT', 1, 110, 60), bar('Y/USDT', 1, 10, 1000), bar('X/USDT', 2, 99, 400), bar('Y/USDT', 2, 10, 4000)];

  it('charges half the spread, square-root impact on the last bar\'s volume with the EWMA σ of the closes, and the taker fee', () => {
    const { fills, cost } = closeSegment([{ symbol: 'X/USDT', qty: 2, avgEntryPrice: 100, lastPrice: 110 }], bars, venue, { strategy: 's1', ts: 3 * H });
    // σ² = 0.94·ln(1.1)² + 0.06·ln(0.9)² (RiskMetrics, seeded with the first return); V = 400.
    const sigma = Math.sqrt(0.94 * Math.log(1.1) ** 2 + 0.06 * Math.log(0.9) ** 2);
    const away = 0.0002 + (0.5 * sigma * Math.sqrt(2 / 400) * 1e4) / 1e4;
    const price = 99 * (1 - away);
    const fee = (2 * price * 10) / 1e4;
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ side: 'sell', qty: 2, symbol: 'X/USDT', strategy: 's1', ts: 3 * H, liquidity: 'taker', final: true });
    expect(fills[0]?.price).toBeCloseTo(price, 10);
    expect(fills[0]?.fee).toBeCloseTo(fee, 10);
    expect(fills[0]?.slippageBps).toBeCloseTo(away * 1e4, 8);
    // Against the position valued at the last close (2 × 99): the proceeds fall short by exactly the cost.
    expect(cost).toBeCloseTo(2 * 99 - (2 * price - fee), 10);
  });

  it('buys a short back above the close, pays the same kind of costs, and leaves nothing for a flat book', () => {
    const { fills, cost } = closeSegment([{ symbol: 'Y/USDT', qty: -100, avgEntryPrice: 10, lastPrice: 10 }], bars, venue, { strategy: 's1', ts: 3 * H });
    // Y never moved: σ = 0, no impact; half the 4 bps spread and the fee.
    expect(fills[0]).toMatchObject({ side: 'buy', qty: 100 });
    expect(fills[0]?.price).toBeCloseTo(10 * 1.0002, 12);
    expect(cost).toBeCloseTo(100 * 10 * 0.0002 + (100 * 10 * 1.0002 * 10) / 1e4, 10);
    expect(closeSegment([], bars, venue, { strategy: 's1', ts: 3 * H })).toEqual({ fills: [], cost: 0 });
  });

  it('uses the venue\'s spread model where it has one (range fraction of the segment\'s bars)', () => {
    const { fills } = closeSegment([{ symbol: 'Y/USDT', qty: 1, avgEntryPrice: 10, lastPrice: 10 }], bars, { ...venue, spreadModel: { kind: 'range-fraction', fraction: 0.5, window: 3 } }, { strategy: 's1', ts: 3 * H });
    // Each Y bar spans (10.1 − 9.9)/10 = 2 % of its close: a 1 % spread, half of it paid.
    expect(fills[0]?.price).toBeCloseTo(10 * (1 - 0.005), 9);
  });

  it('sells no lower than MIN_SELL_PRICE_SHARE of the close when impact passes 100 % (an absurd impactCoeff): a positive price, the rest of the position\'s value lost', () => {
    const { fills, cost } = closeSegment([{ symbol: 'X/USDT', qty: 2, avgEntryPrice: 100, lastPrice: 110 }], bars, { ...venue, slippage: { impactCoeff: 1e7 } }, { strategy: 's1', ts: 3 * H });
    expect(fills[0]?.price).toBeCloseTo(99 * MIN_SELL_PRICE_SHARE, 12);
    expect(fills[0]?.slippageBps).toBeCloseTo((1 - MIN_SELL_PRICE_SHARE) * 1e4, 8);
    expect(cost).toBeCloseTo(2 * 99 * (1 - MIN_SELL_PRICE_SHARE) + (2 * 99 * MIN_SELL_PRICE_SHARE * 10) / 1e4, 10);
  });

  it('refuses a position with no bar to close it at', () => {
    expect(() => closeSegment([{ symbol: 'Z/USDT', qty: 1, avgEntryPrice: 1, lastPrice: 1 }], bars, venue, { strategy: 's1', ts: 0 })).toThrow('no bar of Z/USDT');
  });
});
