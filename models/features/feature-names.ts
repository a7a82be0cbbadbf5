/**
 * Every feature column, in the one stable order used by feature vectors, `fill()` arrays and CSV
 * files. The first sixteen are the oracle files' column names (TA-Lib conventions); then the
 * return/volatility/volume features, which also come from bars; then the tick features.
 * Appending is compatible; reordering or renaming is a new feature-spec version for every model
 * trained on these columns.
 */
export const FEATURE_NAMES = [
  'sma_20',
  'sma_50',
  'sma_200',
  'ema_12',
  'ema_26',
  'ema_50',
  'ema_200',
  'rsi_14',
  'atr_14',
  'bb_upper_20_2',
  'bb_middle_20_2',
  'bb_lower_20_2',
  'macd_12_26_9',
  'macd_signal_12_26_9',
  'macd_hist_12_26_9',
  'vwap_daily_utc_tp',
  'log_ret_1',
  'log_ret_5',
  'log_ret_20',
  'ewma_vol',
  'volume_z_20',
  'mid',
  'spread',
  'spread_bps',
  'trade_imbalance_100',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Features driven by bars: the prefix of {@link FEATURE_NAMES} that `warm()` checks. */
export const BAR_FEATURE_COUNT = FEATURE_NAMES.indexOf('volume_z_20') + 1;
