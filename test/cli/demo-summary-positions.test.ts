import { describe, expect, it } from 'vitest';
import { positionsLine } from '../../cli/commands/demo-summary.js';

describe('the demo summary positions', () => {
  it('prints a flat position as 0 and a residual as the book holds it', () => {
    // toPrecision(4) printed a flat position as ETH/USDT=0.000, as if a quantity had been rounded away.
    expect(positionsLine([{ symbol: 'BTC/USDT', qty: -0.008119 }, { symbol: 'ETH/USDT', qty: 0 }, { symbol: 'SOL/USDT', qty: -0 }, { symbol: 'X/USDT', qty: 12.34567 }])).toBe('BTC/USDT=-0.008119 ETH/USDT=0 SOL/USDT=0 X/USDT=12.35');
    expect(positionsLine([])).toBe('none');
  });
});
