import { FEATURE_NAMES } from '../features/feature-names.js';
import type { FeatureName } from '../features/feature-names.js';
import type { FeatureSpec } from '../registry/feature-spec.js';

export type FeatureTransform = FeatureSpec['transforms'][number];

/**
 * The scale-free inputs of the baseline direction model: returns, volatility, volume z-score and
 * RSI as they are; price-level indicators (moving averages, bands, VWAP, MACD, ATR) divided by
 * the bar's close (`rel_price`), so one model serves BTC at 60 000 and SOL at 150 and a model
 * trained in 2021 still reads 2025 prices. Tick features (spread, trade flow) are left out:
 * historical bar files have none.
 */
export const BASELINE_FEATURES: readonly Readonly<{ name: FeatureName; transform: FeatureTransform }>[] = [
  { name: 'log_ret_1', transform: 'raw' },
  { name: 'log_ret_5', transform: 'raw' },
  { name: 'log_ret_20', transform: 'raw' },
  { name: 'ewma_vol', transform: 'raw' },
  { name: 'volume_z_20', transform: 'raw' },
  { name: 'rsi_14', transform: 'raw' },
  { name: 'atr_14', transform: 'rel_price' },
  { name: 'sma_20', transform: 'rel_price' },
  { name: 'sma_50', transform: 'rel_price' },
  { name: 'sma_200', transform: 'rel_price' },
  { name: 'ema_12', transform: 'rel_price' },
  { name: 'ema_50', transform: 'rel_price' },
  { name: 'ema_200', transform: 'rel_price' },
  { name: 'bb_upper_20_2', transform: 'rel_price' },
  { name: 'bb_lower_20_2', transform: 'rel_price' },
  { name: 'macd_12_26_9', transform: 'rel_price' },
  { name: 'macd_signal_12_26_9', transform: 'rel_price' },
  { name: 'macd_hist_12_26_9', transform: 'rel_price' },
  { name: 'vwap_daily_utc_tp', transform: 'rel_price' },
];

/** Where each named feature sits in a `FeatureEngine.fill()` row; refuses names the engine lacks. */
export function engineColumns(features: readonly string[]): Int32Array {
  return Int32Array.from(features, (f) => {
    const i = (FEATURE_NAMES as readonly string[]).indexOf(f);
    if (i < 0) throw new RangeError(`feature ${JSON.stringify(f)} is not produced by the FeatureEngine (${FEATURE_NAMES.join(', ')})`);
    return i;
  });
}

/**
 * Applies the transforms of a spec to one engine row: `raw` copies, `rel_price` divides by the
 * close. Writes into `out` and returns false when any input is missing or non-finite (the row is
 * then unusable). The same function builds training rows and serving rows, so the two agree.
 */
export function transformRow(engineRow: Float64Array, close: number, columns: Int32Array, transforms: readonly FeatureTransform[], out: Float64Array): boolean {
  for (let j = 0; j < columns.length; j++) {
    const v = engineRow[columns[j] as number] as number;
    const x = transforms[j] === 'rel_price' ? v / close : v;
    if (!Number.isFinite(x)) return false;
    out[j] = x;
  }
  return true;
}
