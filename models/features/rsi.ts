import { fromJsonNumber, orNull, toJsonNumber } from './json-number.js';

export type RsiState = Readonly<{
  period: number;
  /** Closes seen so far, capped at period+1 (only "warming or not" matters beyond that). */
  count: number;
  prev: number | null;
  gain: number;
  loss: number;
  rsi: number | null;
}>;

/**
 * Wilder's RSI: average gain and loss over the first `period` changes (a simple mean), then
 * Wilder smoothing avg = (avg·(n−1) + x)/n; RSI = 100·gain/(gain+loss). First value on bar
 * `period` (the 15th close for RSI-14). The operation order is TA-Lib's TA_RSI, so values match
 * it bit for bit.
 *
 * One deliberate difference: when gain+loss is exactly 0 (a perfectly flat market) TA-Lib
 * prints 0, i.e. "maximally oversold"; this returns the neutral 50. TA-Lib also treats any
 * |gain+loss| < 1e-14 as flat, which is wrong for assets quoted near 1e-8; here only an exact
 * zero is.
 */
export class Rsi {
  readonly period: number;
  private count = 0;
  private prev = Number.NaN;
  private gain = 0;
  private loss = 0;
  private rsi = Number.NaN;

  constructor(period = 14) {
    if (!Number.isInteger(period) || period < 1) throw new RangeError(`period must be a positive integer, got ${period}`);
    this.period = period;
  }

  update(close: number): void {
    if (this.count === 0) {
      this.prev = close;
      this.count = 1;
      return;
    }
    const d = close - this.prev;
    this.prev = close;
    const n = this.period;
    if (this.count > n) {
      this.loss *= n - 1;
      this.gain *= n - 1;
      if (d < 0) this.loss -= d;
      else this.gain += d;
      this.loss /= n;
      this.gain /= n;
    } else {
      if (d < 0) this.loss -= d;
      else this.gain += d;
      if (++this.count <= n) return;
      this.loss /= n;
      this.gain /= n;
    }
    const total = this.gain + this.loss;
    this.rsi = total === 0 ? 50 : 100 * (this.gain / total);
  }

  get value(): number | null {
    return orNull(this.rsi);
  }

  /** `value` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get valueOrNaN(): number {
    return this.rsi;
  }

  toState(): RsiState {
    return {
      period: this.period,
      count: this.count,
      prev: toJsonNumber(this.prev),
      gain: this.gain,
      loss: this.loss,
      rsi: toJsonNumber(this.rsi),
    };
  }

  static fromState(s: RsiState): Rsi {
    const r = new Rsi(s.period);
    r.count = s.count;
    r.prev = fromJsonNumber(s.prev);
    r.gain = s.gain;
    r.loss = s.loss;
    r.rsi = fromJsonNumber(s.rsi);
    return r;
  }
}
