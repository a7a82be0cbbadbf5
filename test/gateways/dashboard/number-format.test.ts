import { describe, expect, it } from 'vitest';
import { fmt } from '../../../gateways/dashboard/src/number-format.js';

describe('dashboard number format', () => {
  it('keeps the integer part of large quantities whole (PEPE order of 12,583,892.6)', () => {
    expect(fmt.num(12_583_892.617449664)).toBe('12,583,893');
    expect(fmt.num(-4_122_254_368.51)).toBe('-4,122,254,369');
  });

  it('shows six significant digits below a million, tiny prices included', () => {
    expect(fmt.num(1447.3245)).toBe('1,447.32');
    expect(fmt.num(0.000014723319908999598)).toBe('0.0000147233');
    expect(fmt.num(62772.01)).toBe('62,772');
    expect(fmt.num(null)).toBe('–');
  });

  it('writes a loss under half a cent as an uncoloured 0.00, not a red -0.00', () => {
    expect(fmt.money(-0.004)).toBe('0.00');
    expect(fmt.tone(-0.004)).toBe('');
    expect(fmt.money(-0.005)).toBe('-0.01');
    expect(fmt.tone(-0.005)).toBe('neg');
    expect(fmt.money(-1234.5)).toBe('-1,234.50');
    expect(fmt.tone(0.01)).toBe('pos');
  });

  it('writes connection moments in UTC, as every event time on the page', () => {
    expect(fmt.clock(Date.UTC(2024, 0, 2, 15, 4, 5))).toBe('15:04:05 UTC');
    expect(fmt.clock(null)).toBe('?');
  });
});
