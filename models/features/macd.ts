import { Ema } from './ema.js';
import type { EmaState } from './ema.js';
import { fromJsonNumber, orNull, toJsonNumber } from './json-number.js';

/**
 * Where the MACD's fast EMA is seeded and when the line is published — libraries disagree:
 * - `talib`: TA-Lib's TA_MACD. The fast EMA is seeded with the SMA of the `fast` closes that end
 *   on the slow EMA's seed bar (so both start on the same bar), and MACD, signal and histogram
 *   all appear together once the signal is seeded: bar (slow−1)+(signal−1), 33 for (12,26,9).
 * - `classic`: technicalindicators / trading-signals. The fast EMA is seeded on its own first
 *   `fast` closes; the MACD line appears at bar slow−1 and signal/histogram signal−1 bars later.
 * Both converge (the seeds decay as (1−α)^n) but differ by tens of percent for the first bars.
 */
export const MacdSeeding = { talib: 'talib', classic: 'classic' } as const;
export type MacdSeeding = (typeof MacdSeeding)[keyof typeof MacdSeeding];

export type MacdState = Readonly<{
  seeding: MacdSeeding;
  /** Closes not fed to the fast EMA yet (TA-Lib seeding skips slow−fast of them). */
  skipped: number;
  fast: EmaState;
  slow: EmaState;
  signal: EmaState;
  /** The published outputs, kept so a restore needs no re-derivation. */
  line: number | null;
  sig: number | null;
  hist: number | null;
}>;

/**
 * MACD(fast, slow, signal): line = EMA_fast − EMA_slow, signal = EMA_signal(line) seeded with the
 * SMA of its first `signal` values, histogram = line − signal. Default seeding is TA-Lib's,
 * which is what the project's oracle files hold.
 */
export class Macd {
  readonly seeding: MacdSeeding;
  private fast: Ema;
  private slow: Ema;
  private signalEma: Ema;
  private skipped = 0;
  /** Closes the fast EMA skips before its first: slow−fast for TA-Lib seeding, 0 for classic. */
  private readonly fastStart: number;
  private line = Number.NaN;
  private sig = Number.NaN;
  private hist = Number.NaN;

  constructor(fast = 12, slow = 26, signal = 9, seeding: MacdSeeding = MacdSeeding.talib) {
    if (!(fast < slow)) throw new RangeError(`MACD needs fast < slow, got ${fast} and ${slow}`);
    this.fast = new Ema(fast);
    this.slow = new Ema(slow);
    this.signalEma = new Ema(signal);
    this.seeding = seeding;
    this.fastStart = seeding === MacdSeeding.talib ? slow - fast : 0;
  }

  update(close: number): void {
    if (this.skipped < this.fastStart) this.skipped++;
    else this.fast.update(close);
    this.slow.update(close);
    const slow = this.slow.valueOrNaN;
    const fast = this.fast.valueOrNaN;
    if (slow !== slow || fast !== fast) return; // NaN: still warming
    const line = fast - slow;
    this.signalEma.update(line);
    const sig = this.signalEma.valueOrNaN;
    if (sig === sig) {
      this.line = line;
      this.sig = sig;
      this.hist = line - sig;
    } else if (this.seeding === MacdSeeding.classic) {
      this.line = line;
    }
  }

  /** The MACD line; null while warming. */
  get value(): number | null {
    return orNull(this.line);
  }

  /** `value` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get valueOrNaN(): number {
    return this.line;
  }

  get signal(): number | null {
    return orNull(this.sig);
  }

  /** `signal` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get signalOrNaN(): number {
    return this.sig;
  }

  get histogram(): number | null {
    return orNull(this.hist);
  }

  /** `histogram` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get histogramOrNaN(): number {
    return this.hist;
  }

  toState(): MacdState {
    return {
      seeding: this.seeding,
      skipped: this.skipped,
      fast: this.fast.toState(),
      slow: this.slow.toState(),
      signal: this.signalEma.toState(),
      line: toJsonNumber(this.line),
      sig: toJsonNumber(this.sig),
      hist: toJsonNumber(this.hist),
    };
  }

  static fromState(s: MacdState): Macd {
    const m = new Macd(s.fast.period, s.slow.period, s.signal.period, s.seeding);
    m.skipped = s.skipped;
    m.fast = Ema.fromState(s.fast);
    m.slow = Ema.fromState(s.slow);
    m.signalEma = Ema.fromState(s.signal);
    m.line = fromJsonNumber(s.line);
    m.sig = fromJsonNumber(s.sig);
    m.hist = fromJsonNumber(s.hist);
    return m;
  }
}
