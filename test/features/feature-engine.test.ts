import { describe, expect, it } from 'vitest';
import { FeatureEngine } from '../../models/features/feature-engine.js';
import { ORACLE_COLUMNS, readOracle } from './oracle.js';

describe('FeatureEngine', () => {
  it('names every column once, oracle names first, then the documented order', () => {
    expect(FeatureEngine.names).toEqual([
      ...ORACLE_COLUMNS,
      'log_ret_1',
      'log_ret_5',
      'log_ret_20',
      'ewma_vol',
      'volume_z_20',
      'mid',
      'spread',
      'spread_bps',
      'trade_imbalance_100',
    ]);
    expect(new Set(FeatureEngine.names).size).toBe(FeatureEngine.names.length);
  });

  it('starts empty: every value null, fill writes NaN, not warm', () => {
    const e = new FeatureEngine();
    expect(e.barsSeen).toBe(0);
    expect(Object.values(e.values()).every((v) => v === null)).toBe(true);
    const row = new Float64Array(FeatureEngine.names.length).fill(7);
    e.fill(row);
    expect(row.every((x) => Number.isNaN(x))).toBe(true);
    expect(e.warm()).toBe(false);
  });

  it('values() and fill() agree, key for key, in names order', () => {
    const e = new FeatureEngine();
    for (const bar of readOracle('ETH_USDT_1h_2024', 250).bars) e.onBar(bar);
    e.onQuote({ ts: 1, bid: 2000, ask: 2000.5, bidSize: 1, askSize: 1 });
    const v = e.values();
    const row = new Float64Array(FeatureEngine.names.length);
    e.fill(row);
    expect(Object.keys(v)).toEqual(FeatureEngine.names);
    FeatureEngine.names.forEach((name, i) => expect(v[name] ?? NaN).toBe(row[i]));
    expect(v).not.toBe(e.values()); // a fresh object each call
  });

  it('becomes warm on the 200th bar, when SMA-200 and EMA-200 first exist', () => {
    const e = new FeatureEngine();
    const { bars } = readOracle('BTC_USDT_5m_2024-08-01_10', 201);
    bars.forEach((bar, i) => {
      e.onBar(bar);
      expect(e.barsSeen).toBe(i + 1);
      expect(e.warm()).toBe(i + 1 >= 200);
    });
    const v = e.values();
    expect(v.mid).toBeNull(); // tick features are not part of warm-up
    expect(v.trade_imbalance_100).toBeNull();
  });

  it('feeds ewma_vol from 1-bar log returns and volume_z_20 from volumes', () => {
    const e = new FeatureEngine();
    const closes = [100, 101, 99];
    closes.forEach((c, i) => e.onBar({ ts: i * 3_600_000, open: c, high: c, low: c, close: c, volume: 10 + i }));
    const r1 = Math.log(101 / 100);
    const r2 = Math.log(99 / 101);
    const v = e.values();
    expect(v.log_ret_1).toBe(r2);
    expect(v.ewma_vol).toBeCloseTo(Math.sqrt(0.94 * r1 * r1 + 0.06 * r2 * r2), 15);
    expect(v.volume_z_20).toBeNull();
    expect(v.log_ret_5).toBeNull();
  });

  it('restarts VWAP at 00:00 UTC from bar timestamps', () => {
    const e = new FeatureEngine();
    const day = 86_400_000;
    e.onBar({ ts: 10 * day - 3_600_000, open: 1, high: 12, low: 9, close: 9, volume: 2 }); // tp 10
    e.onBar({ ts: 10 * day - 1, open: 1, high: 21, low: 19, close: 20, volume: 2 }); // tp 20
    expect(e.values().vwap_daily_utc_tp).toBe(15);
    e.onBar({ ts: 10 * day, open: 1, high: 31, low: 29, close: 30, volume: 1 }); // new day: tp 30
    expect(e.values().vwap_daily_utc_tp).toBe(30);
  });

  it('fill refuses a too-short array instead of writing past it', () => {
    expect(() => new FeatureEngine().fill(new Float64Array(3))).toThrow(RangeError);
  });
});
