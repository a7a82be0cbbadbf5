import { describe, expect, it } from 'vitest';
import { createInputBuilder } from '../../models/inference/input-builder.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { SPEC } from './fixtures.js';

const vec = (values: Record<string, number | null>): FeatureVector => ({
  type: 'feat.vector',
  v: 1,
  id: 'f:x',
  venue: 'binance',
  symbol: 'BTC/USDT',
  ts: 1,
  source: 'x',
  values,
});

const full = { close: 200, mid: 201, sma_20: 202, rsi_14: 65, log_ret_1: 0.002, ewma_vol: 0.02, atr_14: 1 };

describe('input builder', () => {
  it('writes transformed, standardised columns in spec order at the offset', () => {
    const b = createInputBuilder(SPEC);
    const out = new Float32Array(2 * b.width).fill(-9);
    expect(b.build(vec(full), out, b.width)).toBe(200);
    expect(Array.from(out.subarray(0, 5))).toEqual([-9, -9, -9, -9, -9]);
    const expected = [(202 / 200 - 1) / 0.01, (65 - 50) / 15, (0.002 - 0) / 0.004, (0.02 - 0.01) / 0.005, (1 / 200 - 0.005) / 0.002];
    expected.forEach((x, j) => expect(out[5 + j]).toBeCloseTo(x, 5));
  });

  it('divides rel_price features by the close, and by the mid when no close is carried', () => {
    const b = createInputBuilder(SPEC, { normalize: false });
    const out = new Float32Array(b.width);
    expect(b.build(vec({ ...full, close: null }), out, 0)).toBe(201);
    expect(out[0]).toBeCloseTo(202 / 201, 6);
    expect(out[1]).toBeCloseTo(65, 6);
    expect(out[4]).toBeCloseTo(1 / 201, 8);
  });

  it('refuses a vector with a null or absent feature, or without a price', () => {
    const b = createInputBuilder(SPEC);
    const out = new Float32Array(b.width);
    expect(b.build(vec({ ...full, rsi_14: null }), out, 0)).toBe('MISSING_FEATURE');
    const { ewma_vol: _drop, ...noVol } = full;
    expect(b.build(vec(noVol), out, 0)).toBe('MISSING_FEATURE');
    expect(b.build(vec({ ...full, close: null, mid: null }), out, 0)).toBe('NO_PRICE');
    expect(b.build(vec({ ...full, close: 0, mid: null }), out, 0)).toBe('NO_PRICE');
  });

  it('gives the reason of the first feature in spec order that fails (an overflow before a missing feature)', () => {
    const b = createInputBuilder(SPEC, { normalize: false });
    const out = new Float32Array(b.width);
    // sma_20 is rel_price: 1e308 / 1e-300 overflows; ewma_vol, later in the spec, is missing.
    const { ewma_vol: _drop, ...noVol } = full;
    expect(b.build(vec({ ...noVol, close: 1e-300, sma_20: 1e308 }), out, 0)).toBe('NON_FINITE');
    expect(b.build(vec(noVol), out, 0)).toBe('MISSING_FEATURE');
  });

  it('takes price keys from options (e.g. a vwap when neither close nor mid is carried)', () => {
    const b = createInputBuilder(SPEC, { priceKeys: ['vwap_daily_utc_tp'] });
    expect(b.priceOf(vec({ ...full, vwap_daily_utc_tp: 199 }))).toBe(199);
    expect(b.priceOf(vec(full))).toBeUndefined();
    expect(() => createInputBuilder(SPEC, { priceKeys: [] })).toThrow(/priceKeys/);
  });
});
