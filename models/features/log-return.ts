import { fromJsonNumber, orNull, toJsonNumber } from './json-number.js';
import { packRing, unpackDoubles } from './packed-doubles.js';
import type { PackedDoubles } from './packed-doubles.js';

export type LogReturnState = Readonly<{
  horizon: number;
  /** The last `horizon` closes (fewer while warming), oldest first: packed, or a JSON array in older snapshots. */
  closes: PackedDoubles | readonly number[];
  value: number | null;
}>;

/**
 * Log return over `horizon` bars: ln(close_t / close_{t−horizon}); null for the first `horizon`
 * bars. Log returns add across bars and are symmetric for ups and downs, which is what volatility
 * estimates and return models want. Computed as the log of the ratio (one rounding) rather than
 * a difference of logs (cancellation for small moves).
 */
export class LogReturn {
  readonly horizon: number;
  private readonly ring: Float64Array;
  /** Index of the oldest close once full; of the next free slot before. */
  private head = 0;
  private n = 0;
  private ret = Number.NaN;

  constructor(horizon: number) {
    if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`horizon must be a positive integer, got ${horizon}`);
    this.horizon = horizon;
    this.ring = new Float64Array(horizon);
  }

  update(close: number): void {
    if (this.n < this.horizon) {
      this.ring[this.n++] = close;
      return;
    }
    this.ret = Math.log(close / this.ring[this.head]!);
    this.ring[this.head] = close;
    this.head = this.head + 1 === this.horizon ? 0 : this.head + 1;
  }

  get value(): number | null {
    return orNull(this.ret);
  }

  /** `value` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get valueOrNaN(): number {
    return this.ret;
  }

  toState(): LogReturnState {
    return { horizon: this.horizon, closes: packRing(this.ring, this.head, this.n), value: toJsonNumber(this.ret) };
  }

  static fromState(s: LogReturnState): LogReturn {
    const r = new LogReturn(s.horizon);
    const closes = unpackDoubles(s.closes, 'log-return state');
    if (closes.length > s.horizon) throw new RangeError(`log-return state holds ${closes.length} closes for horizon ${s.horizon}`);
    r.ring.set(closes);
    r.n = closes.length;
    r.ret = fromJsonNumber(s.value);
    return r;
  }
}
