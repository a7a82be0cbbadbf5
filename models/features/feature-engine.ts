import { Atr } from './atr.js';
import type { AtrState } from './atr.js';
import { Bollinger } from './bollinger.js';
import type { BollingerState } from './bollinger.js';
import { Ema } from './ema.js';
import type { EmaState } from './ema.js';
import { EwmaVol } from './ewma-vol.js';
import type { EwmaVolState } from './ewma-vol.js';
import { BAR_FEATURE_COUNT, FEATURE_NAMES } from './feature-names.js';
import type { FeatureName } from './feature-names.js';
import type { BarInput, QuoteInput, TradeInput } from './inputs.js';
import { LogReturn } from './log-return.js';
import type { LogReturnState } from './log-return.js';
import { Macd } from './macd.js';
import type { MacdState } from './macd.js';
import { Rsi } from './rsi.js';
import type { RsiState } from './rsi.js';
import { Sma } from './sma.js';
import type { SmaState } from './sma.js';
import { Spread } from './spread.js';
import type { SpreadState } from './spread.js';
import { TradeImbalance } from './trade-imbalance.js';
import type { TradeImbalanceState } from './trade-imbalance.js';
import { VolumeZScore } from './volume-zscore.js';
import type { VolumeZScoreState } from './volume-zscore.js';
import { Vwap } from './vwap.js';
import type { VwapState } from './vwap.js';

export type { BarInput, QuoteInput, TradeInput } from './inputs.js';
export type { FeatureName } from './feature-names.js';

/** Published vectors carry finite numbers or null (the feature-vector schema refuses NaN). */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Bumped whenever the layout below changes; {@link FeatureEngine.fromState} refuses others. */
export const FEATURE_ENGINE_STATE_VERSION = 1;

/** Everything a FeatureEngine knows, as plain JSON: restoring it continues bit-identically. */
export type FeatureEngineState = Readonly<{
  v: typeof FEATURE_ENGINE_STATE_VERSION;
  barsSeen: number;
  ret1: LogReturnState;
  ret5: LogReturnState;
  ret20: LogReturnState;
  ewmaVol: EwmaVolState;
  sma50: SmaState;
  sma200: SmaState;
  bb20: BollingerState;
  ema12: EmaState;
  ema26: EmaState;
  ema50: EmaState;
  ema200: EmaState;
  macd: MacdState;
  rsi14: RsiState;
  atr14: AtrState;
  vwap: VwapState;
  volumeZ20: VolumeZScoreState;
  spread: SpreadState;
  flow: TradeImbalanceState;
}>;

/**
 * The rolling features of one asset, updated in O(1) per bar, trade or quote. The asset actor
 * owns one per venue × symbol and feeds it in stream order; a backtest and `sextant features`
 * run the very same class, so live, replay and research see identical numbers.
 *
 * State is a pure function of the ordered inputs (no clock, no randomness): bars carry their own
 * timestamps, and {@link toState}/{@link fromState} round-trip through JSON so a restarted actor
 * continues bit-identically from a snapshot.
 *
 * The update methods create no objects: state lives in plain double fields and Float64Array
 * rings (NaN = "no value yet"). On trades and quotes nothing is allocated at all; on bars V8
 * may still box a double passed to a call it chose not to inline (measured: about one young-gen
 * scavenge per 120k bars). {@link fill} is the allocation-free read path and {@link values} the
 * convenient one (a fresh object per call).
 */
/** Bars the slowest bar feature (SMA and EMA over 200) needs before the engine is warm. */
export const FEATURE_WARMUP_BARS = 200;

export class FeatureEngine {
  /** Every feature column, in a stable order (see {@link FEATURE_NAMES}). */
  static readonly names: readonly FeatureName[] = FEATURE_NAMES;

  private barCount = 0;
  private ret1 = new LogReturn(1);
  private ret5 = new LogReturn(5);
  private ret20 = new LogReturn(20);
  private ewmaVol = new EwmaVol();
  private sma50 = new Sma(50);
  private sma200 = new Sma(200);
  /** Also the source of sma_20: the Bollinger middle band is that SMA. */
  private bb20 = new Bollinger(20, 2);
  private ema12 = new Ema(12);
  private ema26 = new Ema(26);
  private ema50 = new Ema(50);
  private ema200 = new Ema(200);
  private macd = new Macd(12, 26, 9);
  private rsi14 = new Rsi(14);
  private atr14 = new Atr(14);
  private vwap = new Vwap();
  private volumeZ20 = new VolumeZScore(20);
  private spread = new Spread();
  private flow = new TradeImbalance(100);
  /** Scratch row for values() and warm(); never handed out. */
  private readonly row = new Float64Array(FEATURE_NAMES.length);

  /** Bars applied so far (warm-up tracking: the slowest feature needs 200). */
  get barsSeen(): number {
    return this.barCount;
  }

  onBar(bar: BarInput): void {
    const { ts, high, low, close, volume } = bar;
    this.barCount++;
    this.ret1.update(close);
    this.ret5.update(close);
    this.ret20.update(close);
    const r1 = this.ret1.valueOrNaN;
    if (r1 === r1) this.ewmaVol.update(r1); // not NaN: from the second bar on
    this.bb20.update(close);
    this.sma50.update(close);
    this.sma200.update(close);
    this.ema12.update(close);
    this.ema26.update(close);
    this.ema50.update(close);
    this.ema200.update(close);
    this.macd.update(close);
    this.rsi14.update(close);
    this.atr14.update(high, low, close);
    this.vwap.update(ts, high, low, close, volume);
    this.volumeZ20.update(volume);
  }

  /**
   * A fresh engine, no bars seen, holding this one's tick features (spread, trade flow): for
   * bars of another timeframe of the same asset, whose ticks this engine has had since the start.
   */
  withTicksOnly(): FeatureEngine {
    const e = new FeatureEngine();
    e.spread = Spread.fromState(this.spread.toState());
    e.flow = TradeImbalance.fromState(this.flow.toState());
    return e;
  }

  onTrade(t: TradeInput): void {
    this.flow.update(t.price, t.qty, t.side);
  }

  onQuote(q: QuoteInput): void {
    this.spread.update(q.bid, q.ask);
  }

  /** True once every bar-driven feature has a value (tick features are not required). */
  warm(): boolean {
    const row = this.row;
    this.fill(row);
    for (let i = 0; i < BAR_FEATURE_COUNT; i++) if (!Number.isFinite(row[i]!)) return false;
    return true;
  }

  /**
   * Writes every feature into `out` in {@link FeatureEngine.names} order, NaN where a feature
   * has no value yet. Allocation-free: the path for benches and batch model input.
   */
  fill(out: Float64Array): void {
    if (out.length < FEATURE_NAMES.length) throw new RangeError(`fill needs ${FEATURE_NAMES.length} slots, got ${out.length}`);
    const bb = this.bb20;
    const macd = this.macd;
    const spread = this.spread;
    out[0] = bb.middleOrNaN;
    out[1] = this.sma50.valueOrNaN;
    out[2] = this.sma200.valueOrNaN;
    out[3] = this.ema12.valueOrNaN;
    out[4] = this.ema26.valueOrNaN;
    out[5] = this.ema50.valueOrNaN;
    out[6] = this.ema200.valueOrNaN;
    out[7] = this.rsi14.valueOrNaN;
    out[8] = this.atr14.valueOrNaN;
    out[9] = bb.upperOrNaN;
    out[10] = bb.middleOrNaN;
    out[11] = bb.lowerOrNaN;
    out[12] = macd.valueOrNaN;
    out[13] = macd.signalOrNaN;
    out[14] = macd.histogramOrNaN;
    out[15] = this.vwap.valueOrNaN;
    out[16] = this.ret1.valueOrNaN;
    out[17] = this.ret5.valueOrNaN;
    out[18] = this.ret20.valueOrNaN;
    out[19] = this.ewmaVol.valueOrNaN;
    out[20] = this.volumeZ20.valueOrNaN;
    out[21] = spread.midPriceOrNaN;
    out[22] = spread.valueOrNaN;
    out[23] = spread.spreadBpsOrNaN;
    out[24] = this.flow.valueOrNaN;
  }

  /**
   * Every feature by name, null while warming (and for any non-finite value). A fresh object per
   * call, built as one literal so every vector shares a single hidden class (cheap to create and
   * to JSON-encode); the test suite checks its key order against {@link FeatureEngine.names}.
   */
  values(): Record<FeatureName, number | null> {
    const r = this.row;
    this.fill(r);
    return {
      sma_20: finite(r[0]!),
      sma_50: finite(r[1]!),
      sma_200: finite(r[2]!),
      ema_12: finite(r[3]!),
      ema_26: finite(r[4]!),
      ema_50: finite(r[5]!),
      ema_200: finite(r[6]!),
      rsi_14: finite(r[7]!),
      atr_14: finite(r[8]!),
      bb_upper_20_2: finite(r[9]!),
      bb_middle_20_2: finite(r[10]!),
      bb_lower_20_2: finite(r[11]!),
      macd_12_26_9: finite(r[12]!),
      macd_signal_12_26_9: finite(r[13]!),
      macd_hist_12_26_9: finite(r[14]!),
      vwap_daily_utc_tp: finite(r[15]!),
      log_ret_1: finite(r[16]!),
      log_ret_5: finite(r[17]!),
      log_ret_20: finite(r[18]!),
      ewma_vol: finite(r[19]!),
      volume_z_20: finite(r[20]!),
      mid: finite(r[21]!),
      spread: finite(r[22]!),
      spread_bps: finite(r[23]!),
      trade_imbalance_100: finite(r[24]!),
    };
  }

  toState(): FeatureEngineState {
    return {
      v: FEATURE_ENGINE_STATE_VERSION,
      barsSeen: this.barCount,
      ret1: this.ret1.toState(),
      ret5: this.ret5.toState(),
      ret20: this.ret20.toState(),
      ewmaVol: this.ewmaVol.toState(),
      sma50: this.sma50.toState(),
      sma200: this.sma200.toState(),
      bb20: this.bb20.toState(),
      ema12: this.ema12.toState(),
      ema26: this.ema26.toState(),
      ema50: this.ema50.toState(),
      ema200: this.ema200.toState(),
      macd: this.macd.toState(),
      rsi14: this.rsi14.toState(),
      atr14: this.atr14.toState(),
      vwap: this.vwap.toState(),
      volumeZ20: this.volumeZ20.toState(),
      spread: this.spread.toState(),
      flow: this.flow.toState(),
    };
  }

  static fromState(s: FeatureEngineState): FeatureEngine {
    if (s.v !== FEATURE_ENGINE_STATE_VERSION) {
      throw new RangeError(`feature engine state v${String(s.v)} is not v${FEATURE_ENGINE_STATE_VERSION}`);
    }
    const e = new FeatureEngine();
    e.barCount = s.barsSeen;
    e.ret1 = LogReturn.fromState(s.ret1);
    e.ret5 = LogReturn.fromState(s.ret5);
    e.ret20 = LogReturn.fromState(s.ret20);
    e.ewmaVol = EwmaVol.fromState(s.ewmaVol);
    e.sma50 = Sma.fromState(s.sma50);
    e.sma200 = Sma.fromState(s.sma200);
    e.bb20 = Bollinger.fromState(s.bb20);
    e.ema12 = Ema.fromState(s.ema12);
    e.ema26 = Ema.fromState(s.ema26);
    e.ema50 = Ema.fromState(s.ema50);
    e.ema200 = Ema.fromState(s.ema200);
    e.macd = Macd.fromState(s.macd);
    e.rsi14 = Rsi.fromState(s.rsi14);
    e.atr14 = Atr.fromState(s.atr14);
    e.vwap = Vwap.fromState(s.vwap);
    e.volumeZ20 = VolumeZScore.fromState(s.volumeZ20);
    e.spread = Spread.fromState(s.spread);
    e.flow = TradeImbalance.fromState(s.flow);
    return e;
  }
}
