import { fromJsonNumber, orNull, toJsonNumber } from './json-number.js';

export type AtrState = Readonly<{
  period: number;
  /** Bars seen so far, capped at period+1. */
  count: number;
  prevClose: number | null;
  trSum: number;
  atr: number | null;
}>;

/**
 * True range of a bar against the previous close: max(h−l, |h−c₋₁|, |l−c₋₁|) — the gap-aware
 * range, so an overnight jump counts as volatility.
 */
export const trueRange = (high: number, low: number, prevClose: number): number => {
  let tr = high - low;
  const up = Math.abs(high - prevClose);
  if (up > tr) tr = up;
  const down = Math.abs(low - prevClose);
  return down > tr ? down : tr;
};

/**
 * Wilder's Average True Range, TA-Lib convention: the first bar has no previous close and so no
 * true range; the first ATR, on bar `period`, is the mean of TR[1..period]; then
 * atr = (atr·(n−1) + TR)/n. (tulind and trading-signals seed differently and differ by up to
 * 3 % for the first few hundred bars.)
 */
export class Atr {
  readonly period: number;
  private count = 0;
  private prevClose = Number.NaN;
  private trSum = 0;
  private atr = Number.NaN;

  constructor(period = 14) {
    if (!Number.isInteger(period) || period < 1) throw new RangeError(`period must be a positive integer, got ${period}`);
    this.period = period;
  }

  update(high: number, low: number, close: number): void {
    if (this.count === 0) {
      this.prevClose = close;
      this.count = 1;
      return;
    }
    const tr = trueRange(high, low, this.prevClose);
    this.prevClose = close;
    const n = this.period;
    if (this.count > n) {
      this.atr = ((this.atr * (n - 1)) + tr) / n;
      return;
    }
    this.trSum += tr;
    if (++this.count > n) this.atr = this.trSum / n;
  }

  get value(): number | null {
    return orNull(this.atr);
  }

  /** `value` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get valueOrNaN(): number {
    return this.atr;
  }

  toState(): AtrState {
    return {
      period: this.period,
      count: this.count,
      prevClose: toJsonNumber(this.prevClose),
      trSum: this.trSum,
      atr: toJsonNumber(this.atr),
    };
  }

  static fromState(s: AtrState): Atr {
    const a = new Atr(s.period);
    a.count = s.count;
    a.prevClose = fromJsonNumber(s.prevClose);
    a.trSum = s.trSum;
    a.atr = fromJsonNumber(s.atr);
    return a;
  }
}
