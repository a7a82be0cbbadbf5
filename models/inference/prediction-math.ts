import type { PositionIntent } from '../../streams/messages/prediction.js';
import type { ModelCalibration } from '../registry/model-registry.js';

/** Class order of the model's probability output (the training pipeline's label order). */
export const CLASS_ORDER = ['down', 'flat', 'up'] as const;
export const DOWN = 0;
export const FLAT = 1;
export const UP = 2;

/** When a prediction becomes a position intent, and how large. */
export type IntentRule = Readonly<{
  /** Below this top-class probability the prediction carries no intent. */
  minConfidence: number;
  /** Above this 95% interval width (in log return) the prediction carries no intent. */
  maxIntervalWidth: number;
  /**
   * Size of the target position (always positive): base units, quote currency when `sizing` is
   * `quote`, a fraction of the account's equity in (0, 1] when it is `equity`.
   */
  positionSize: number;
  /**
   * `quote`: the target is `positionSize / price` base units, so one setting serves BTC and SOL
   * alike (default `base`). `equity`: the target is left as the signed fraction (±positionSize or
   * 0); the decision path turns it into base units with the equity at the event that decides it
   * (models/inference/equity-sizing.ts), which the core, scoring a whole slice at once, does not know.
   */
  sizing?: 'base' | 'quote' | 'equity';
  /** Whether a confident `down` targets −positionSize (else 0: flat). */
  allowShort: boolean;
}>;

/** Checks a rule and a calibration up front, so a bad config fails at start, not per prediction. */
export function checkIntentRule(rule: IntentRule): void {
  if (!(rule.minConfidence >= 0 && rule.minConfidence <= 1)) throw new RangeError(`minConfidence must be in [0, 1], got ${rule.minConfidence}`);
  if (!(rule.maxIntervalWidth >= 0)) throw new RangeError(`maxIntervalWidth must be >= 0, got ${rule.maxIntervalWidth}`);
  if (!(rule.positionSize > 0 && Number.isFinite(rule.positionSize))) throw new RangeError(`positionSize must be a positive number, got ${rule.positionSize}`);
  if (rule.sizing === 'equity' && !(rule.positionSize <= 1)) throw new RangeError(`under sizing: equity, positionSize is a fraction of the equity in (0, 1], got ${rule.positionSize}`);
}

export function checkCalibration(c: ModelCalibration): void {
  if (c.classMeanReturns.length !== 3 || !c.classMeanReturns.every(Number.isFinite)) throw new RangeError('calibration.classMeanReturns must be 3 finite numbers (down, flat, up)');
  if (!(c.conformal80 >= 0 && Number.isFinite(c.conformal80))) throw new RangeError(`calibration.conformal80 must be a finite number >= 0, got ${c.conformal80}`);
  if (!(c.conformal95 >= c.conformal80 && Number.isFinite(c.conformal95))) throw new RangeError(`calibration.conformal95 must be finite and >= conformal80, got ${c.conformal95}`);
  if (!(Number.isInteger(c.horizonMs) && c.horizonMs > 0)) throw new RangeError(`calibration.horizonMs must be a positive integer, got ${c.horizonMs}`);
}

/** Σ p_k μ_k: the class-mean returns weighted by the class probabilities (row `i` of `probs`). */
export function expectedReturn(probs: Float32Array, i: number, means: readonly [number, number, number]): number {
  const o = i * 3;
  return (probs[o] as number) * means[0] + (probs[o + 1] as number) * means[1] + (probs[o + 2] as number) * means[2];
}

/**
 * The predicted class. A tie goes to `flat`, and a down/up tie too: an undecided model should not
 * open a position.
 */
export function predictedClass(pDown: number, pFlat: number, pUp: number): number {
  if (pUp > pDown && pUp > pFlat) return UP;
  if (pDown > pUp && pDown > pFlat) return DOWN;
  return FLAT;
}

/**
 * The intent of a prediction: null (no opinion) when the model is not confident enough or its
 * 95% interval is too wide; otherwise the target position of the predicted class.
 */
export function intentOf(cls: number, confidence: number, interval95Width: number, rule: IntentRule, price = 1): PositionIntent | null {
  if (confidence < rule.minConfidence || interval95Width > rule.maxIntervalWidth) return null;
  const size = rule.sizing === 'quote' ? rule.positionSize / price : rule.positionSize;
  if (cls === UP) return { target: size };
  if (cls === DOWN && rule.allowShort) return { target: -size };
  return { target: 0 };
}

/**
 * Split-conformal interval around a point prediction: `q` is the calibration-set quantile of
 * |realised − expected| at the wanted coverage, so `[e − q, e + q]` covers that share of
 * exchangeable future outcomes.
 */
export const conformalInterval = (expected: number, q: number): [number, number] => [expected - q, expected + q];

/**
 * What a prediction's conformal quantiles are multiplied by to give its intervals' half-widths:
 * the vector's ATR14/close when the calibration is normalised by it, else 1. Undefined when that
 * scale is needed and the vector does not give one. (A number, not a pair: this runs per prediction.)
 */
export function intervalScale(c: ModelCalibration, values: Readonly<Record<string, number | null>>, price: number): number | undefined {
  if (c.conformalScale === undefined) return 1;
  const atr = values['atr_14'];
  const s = atr === null || atr === undefined ? Number.NaN : conformalScaleOf(atr, price);
  return Number.isNaN(s) ? undefined : s;
}

/** Smallest scale: a market with no range at all (ATR 0) still gets an interval, a narrow one. */
const MIN_SCALE = 1e-8;

/** The conformal scale of a row: ATR14 / close, at least {@link MIN_SCALE}; NaN when either is unusable. The same in training and inference. */
export function conformalScaleOf(atr: number, close: number): number {
  if (!(Number.isFinite(atr) && atr >= 0 && Number.isFinite(close) && close > 0)) return Number.NaN;
  return Math.max(atr / close, MIN_SCALE);
}
