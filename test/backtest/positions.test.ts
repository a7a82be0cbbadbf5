import { describe, expect, it } from 'vitest';
import { positionsOf } from '../../models/backtest/positions.js';
import type { Fill } from '../../streams/messages/fill.js';

const fill = (n: number, symbol: string, side: 'buy' | 'sell', qty: number, price: number): Fill => ({
  type: 'exec.fill', v: 1, id: `x:${n}`, ts: n * 1000, orderId: `o:${n}`, strategy: 's', venue: 'paper', symbol, side, qty, price, fee: 0, liquidity: 'taker', slippageBps: 0, final: true,
});

describe('positionsOf (the report\'s positions)', () => {
  it('nets buys and sells per symbol, with the average entry of what is open, through a close and a flip', () => {
    const p = positionsOf([
      fill(1, 'BTC/USDT', 'buy', 1, 100),
      fill(2, 'BTC/USDT', 'buy', 3, 120), // avg (100 + 360) / 4 = 115
      fill(3, 'ETH/USDT', 'sell', 2, 10), // short 2 at 10
      fill(4, 'BTC/USDT', 'sell', 1, 130), // reduce: avg stays 115
      fill(5, 'ETH/USDT', 'buy', 2, 9), // closed
      fill(6, 'ETH/USDT', 'buy', 0.5, 11), // long 0.5 at 11
      fill(7, 'BTC/USDT', 'sell', 5, 125), // flip to −2 at 125
    ]);
    expect(p.history.get('BTC/USDT')).toEqual([
      { ts: 1000, qty: 1, value: 100 },
      { ts: 2000, qty: 4, value: 480 },
      { ts: 4000, qty: 3, value: 390 },
      { ts: 7000, qty: -2, value: -250 },
    ]);
    expect(p.history.get('ETH/USDT')?.map((x) => x.qty)).toEqual([-2, 0, 0.5]);
    expect(p.open).toEqual([
      { symbol: 'BTC/USDT', qty: -2, avgEntryPrice: 125, lastPrice: 125 },
      { symbol: 'ETH/USDT', qty: 0.5, avgEntryPrice: 11, lastPrice: 11 },
    ]);
    const before = positionsOf([fill(1, 'BTC/USDT', 'buy', 1, 100), fill(2, 'BTC/USDT', 'buy', 3, 120), fill(3, 'BTC/USDT', 'sell', 1, 130)]);
    expect(before.open[0]?.avgEntryPrice).toBeCloseTo(115, 12);
  });

  it('counts a position closed to within rounding as closed', () => {
    const p = positionsOf([fill(1, 'BTC/USDT', 'buy', 0.1 + 0.2, 100), fill(2, 'BTC/USDT', 'sell', 0.3, 101)]);
    expect(p.open).toEqual([]);
    expect(p.history.get('BTC/USDT')?.at(-1)?.qty).toBe(0);
  });
});
