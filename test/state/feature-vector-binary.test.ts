import { describe, expect, it } from 'vitest';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { decodeFeatureVector, encodeFeatureVector, FeatureVectorBinaryError, isBinaryFeatureVector } from '../../state/feature-vector-binary.js';

const vector = (values: Record<string, number | null>, id = 'f:b:binance:BTC/USDT:1h:1700000000000'): FeatureVector => ({
  type: 'feat.vector',
  v: 1,
  id,
  venue: 'binance',
  symbol: 'BTC/USDT',
  ts: 1_700_000_000_000,
  source: id.slice(2),
  values,
});

describe('binary feature vectors (Redis history)', () => {
  it('round-trips every double bit-exactly, nulls, names in order and the header fields', () => {
    const v = vector({ sma_20: 0.1 + 0.2, rsi_14: null, atr_14: 1e-300, vwap: 123456789.123456789, z: -5e-324, big: Number.MAX_VALUE, close: 42_000.5 });
    const back = decodeFeatureVector(encodeFeatureVector(v), 'binance', 'BTC/USDT');
    expect(back).toEqual(v);
    expect(Object.keys(back.values)).toEqual(Object.keys(v.values));
    expect(back.values['sma_20']).toBe(0.30000000000000004);
  });

  it('is smaller than the JSON text of a realistic vector', () => {
    const values: Record<string, number | null> = {};
    for (let i = 0; i < 25; i++) values[`feature_${i}`] = Math.PI * (i + 1) * 1.000000000001;
    const v = vector(values);
    expect(encodeFeatureVector(v).length).toBeLessThan(Buffer.byteLength(JSON.stringify(v)));
  });

  it('handles non-ASCII ids and an empty value set', () => {
    const v = vector({}, 'f:ü€');
    expect(decodeFeatureVector(encodeFeatureVector(v), 'binance', 'BTC/USDT')).toEqual(v);
  });

  it('tells binary entries from JSON ones and refuses truncated or foreign bytes', () => {
    const bin = encodeFeatureVector(vector({ a: 1, b: 2 }));
    expect(isBinaryFeatureVector(bin)).toBe(true);
    expect(isBinaryFeatureVector(Buffer.from('{"type":"feat.vector"}'))).toBe(false);
    expect(() => decodeFeatureVector(bin.subarray(0, bin.length - 3), 'binance', 'BTC/USDT')).toThrow(FeatureVectorBinaryError);
    expect(() => decodeFeatureVector(Buffer.from([0xfe, 0x02, 0, 0]), 'binance', 'BTC/USDT')).toThrow(/version 1/);
    expect(() => decodeFeatureVector(Buffer.from([0xfe, 0x01, 9]), 'binance', 'BTC/USDT')).toThrow(FeatureVectorBinaryError);
  });
});
