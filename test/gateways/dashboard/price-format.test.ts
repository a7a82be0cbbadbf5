import { describe, expect, it } from 'vitest';
import { priceFormatFor } from '../../../gateways/dashboard/src/price-format.js';

describe('dashboard chart price scale format', () => {
  it('keeps about five significant digits of tiny prices (PEPE, DOGE) instead of 0.00', () => {
    expect(priceFormatFor(0.00001193)).toEqual({ type: 'price', precision: 9, minMove: 1e-9 });
    expect(priceFormatFor(0.12448)).toEqual({ type: 'price', precision: 5, minMove: 0.00001 });
    expect((0.00001193).toFixed(priceFormatFor(0.00001193).precision)).toBe('0.000011930');
  });

  it('shows cents for large prices and stays within 2..12 decimals', () => {
    expect(priceFormatFor(62772.01)).toEqual({ type: 'price', precision: 2, minMove: 0.01 });
    expect(priceFormatFor(1.5).precision).toBe(4);
    expect(priceFormatFor(1e-15).precision).toBe(12);
    expect(priceFormatFor(0).precision).toBe(4);
    expect(priceFormatFor(Number.NaN).precision).toBe(4);
  });
});
