import { fromJsonNumber, orNull, toJsonNumber } from './json-number.js';

/** RiskMetrics' decay for daily data (J.P. Morgan, 1996), used here for every bar size. */
export const RISKMETRICS_LAMBDA = 0.94;

export type EwmaVolState = Readonly<{ lambda: number; variance: number | null }>;

/**
 * RiskMetrics EWMA volatility of 1-bar log returns: σ²_t = λ·σ²_{t−1} + (1−λ)·r_t², zero mean
 * assumed (at bar horizons the mean is noise next to σ). The first return seeds σ² = r₁², so the
 * value exists from the second bar on; the seed's weight decays as λ^n (under 1 % after ~75
 * bars). The value is σ per bar, not annualised — scaling depends on the bar size, which the
 * consumer knows.
 */
export class EwmaVol {
  readonly lambda: number;
  private readonly oneMinusLambda: number;
  private variance = Number.NaN;

  constructor(lambda = RISKMETRICS_LAMBDA) {
    if (!(lambda > 0 && lambda < 1)) throw new RangeError(`lambda must be in (0, 1), got ${lambda}`);
    this.lambda = lambda;
    this.oneMinusLambda = 1 - lambda;
  }

  /** `r` is the latest 1-bar log return. */
  update(r: number): void {
    const r2 = r * r;
    this.variance = this.variance === this.variance ? this.lambda * this.variance + this.oneMinusLambda * r2 : r2;
  }

  get value(): number | null {
    return orNull(Math.sqrt(this.variance));
  }

  /** `value` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get valueOrNaN(): number {
    return Math.sqrt(this.variance);
  }

  toState(): EwmaVolState {
    return { lambda: this.lambda, variance: toJsonNumber(this.variance) };
  }

  static fromState(s: EwmaVolState): EwmaVol {
    const v = new EwmaVol(s.lambda);
    v.variance = fromJsonNumber(s.variance);
    return v;
  }
}
