import { fromJsonNumber, toJsonNumber } from './json-number.js';
import { packRing, unpackDoubles } from './packed-doubles.js';
import type { PackedDoubles } from './packed-doubles.js';

/**
 * Re-anchor early once the shift sits more than √1e4 = 100 σ from the window mean: the variance
 * then still keeps all but ~4 of its 16 digits. Happens when an outlier that pulled the last
 * anchor leaves the window (a 1000× volume spike), never on smooth data.
 */
const MAX_SHIFT_TO_VARIANCE = 1e4;
/** …unless the offset is mere rounding of the level (a flat window), which re-anchoring cannot fix. */
const SHIFT_ROUNDING = 1e-12;

export type RollingWindowState = Readonly<{
  period: number;
  /** The window's values, oldest first (at most `period`): packed, or a JSON array in older snapshots. */
  values: PackedDoubles | readonly number[];
  shift: number | null;
  s1: number;
  s2: number;
  sinceRecompute: number;
}>;

/**
 * A fixed-size window of the last `period` values with O(1) mean and population variance.
 *
 * Why not a plain running sum: adding and subtracting for months drifts, and Σx² − (Σx)²/n
 * cancels catastrophically when σ is tiny next to the level (PEPE at 1e-6, BTC volume spikes).
 * So the window accumulates deviations from a shift value K — s1 = Σ(x−K), s2 = Σ(x−K)² — and
 * every `period` pushes recomputes both from the ring with K re-anchored at the exact mean.
 * That costs O(period) once per `period` updates: amortised O(1), and errors never accumulate
 * beyond one window's worth of updates. It also re-anchors early when the shift has strayed far
 * from the mean relative to σ (an outlier left the window), where s2/n − m² would cancel.
 *
 * Every loop runs over the values oldest-first, so the arithmetic depends only on the logical
 * contents, never on where the ring's head sits: a window restored from {@link toState} (which
 * stores the values oldest-first) continues bit-identically.
 */
export class RollingWindow {
  readonly period: number;
  private readonly buf: Float64Array;
  /** Index of the oldest value once full; of the next free slot before. */
  private head = 0;
  private n = 0;
  private shift = Number.NaN;
  private s1 = 0;
  private s2 = 0;
  private sinceRecompute = 0;

  constructor(period: number) {
    if (!Number.isInteger(period) || period < 1) throw new RangeError(`period must be a positive integer, got ${period}`);
    this.period = period;
    this.buf = new Float64Array(period);
  }

  /** Number of values held (≤ period). */
  get count(): number {
    return this.n;
  }

  get full(): boolean {
    return this.n === this.period;
  }

  /** Appends `x`, evicting the oldest value once the window is full. */
  push(x: number): void {
    if (this.n === 0) this.shift = x; // anchor at the first value: no cancellation from the start
    const d = x - this.shift;
    if (this.n < this.period) {
      this.buf[(this.head + this.n) % this.period] = x;
      this.n++;
      this.s1 += d;
      this.s2 += d * d;
    } else {
      const old = this.buf[this.head]! - this.shift;
      this.buf[this.head] = x;
      this.head = this.head + 1 === this.period ? 0 : this.head + 1;
      this.s1 += d - old;
      this.s2 += d * d - old * old;
    }
    if (++this.sinceRecompute >= this.period) {
      this.recompute();
      return;
    }
    const m = this.s1 / this.n;
    const m2 = m * m;
    if (m2 > MAX_SHIFT_TO_VARIANCE * (this.s2 / this.n - m2) && Math.abs(m) > SHIFT_ROUNDING * Math.abs(this.shift)) {
      this.recompute();
    }
  }

  /** Arithmetic mean of the values held; NaN when empty. */
  mean(): number {
    return this.n === 0 ? Number.NaN : this.shift + this.s1 / this.n;
  }

  /** Sum of the values held (0 when empty). */
  sum(): number {
    return this.n === 0 ? 0 : this.shift * this.n + this.s1;
  }

  /** Population variance (divide by n) of the values held; never negative; NaN when empty. */
  variance(): number {
    if (this.n === 0) return Number.NaN;
    const m = this.s1 / this.n;
    const v = this.s2 / this.n - m * m;
    return v > 0 ? v : 0;
  }

  /** Exact re-anchoring: K = mean by a direct pass, then s1, s2 by a second pass. */
  private recompute(): void {
    const { buf, period, n } = this;
    let i = this.head;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      sum += buf[i]!;
      if (++i === period) i = 0;
    }
    const k = sum / n;
    let s1 = 0;
    let s2 = 0;
    i = this.head;
    for (let j = 0; j < n; j++) {
      const d = buf[i]! - k;
      s1 += d;
      s2 += d * d;
      if (++i === period) i = 0;
    }
    this.shift = k;
    this.s1 = s1;
    this.s2 = s2;
    this.sinceRecompute = 0;
  }

  toState(): RollingWindowState {
    return {
      period: this.period,
      values: packRing(this.buf, this.head, this.n),
      shift: toJsonNumber(this.shift),
      s1: this.s1,
      s2: this.s2,
      sinceRecompute: this.sinceRecompute,
    };
  }

  static fromState(s: RollingWindowState): RollingWindow {
    const w = new RollingWindow(s.period);
    const values = unpackDoubles(s.values, 'window state');
    if (values.length > s.period) throw new RangeError(`window state holds ${values.length} values for period ${s.period}`);
    w.buf.set(values);
    w.n = values.length;
    w.head = 0;
    w.shift = fromJsonNumber(s.shift);
    w.s1 = s.s1;
    w.s2 = s.s2;
    w.sinceRecompute = s.sinceRecompute;
    return w;
  }
}
