import { fromJsonNumber, orNull, toJsonNumber } from './json-number.js';
import { RollingWindow } from './rolling-window.js';
import type { RollingWindowState } from './rolling-window.js';

export type BollingerState = Readonly<{
  k: number;
  window: RollingWindowState;
  middle: number | null;
  upper: number | null;
  lower: number | null;
}>;

/**
 * Bollinger bands: middle = SMA(period), upper/lower = middle ± k·σ with the POPULATION standard
 * deviation (divide by n), as Bollinger, StockCharts, TA-Lib and technicalindicators define it.
 *
 * σ comes from {@link RollingWindow}'s shifted sums, not Σx² − (Σx)²/n: TA-Lib's BBANDS uses the
 * latter with a 1e-14 floor and collapses the bands onto the middle for tiny-priced assets
 * (PEPE at 1e-6: 2,007 of 5,981 bars off by up to 13 %).
 */
export class Bollinger {
  readonly k: number;
  private window: RollingWindow;
  private mid = Number.NaN;
  private up = Number.NaN;
  private low = Number.NaN;

  constructor(period = 20, k = 2) {
    this.window = new RollingWindow(period);
    this.k = k;
  }

  get period(): number {
    return this.window.period;
  }

  update(close: number): void {
    const w = this.window;
    w.push(close);
    if (!w.full) return;
    const mid = w.mean();
    const band = this.k * Math.sqrt(w.variance());
    this.mid = mid;
    this.up = mid + band;
    this.low = mid - band;
  }

  /** The middle band (the SMA); null while warming. */
  get value(): number | null {
    return orNull(this.mid);
  }

  /** `value` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get valueOrNaN(): number {
    return this.mid;
  }

  get middle(): number | null {
    return orNull(this.mid);
  }

  /** `middle` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get middleOrNaN(): number {
    return this.mid;
  }

  get upper(): number | null {
    return orNull(this.up);
  }

  /** `upper` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get upperOrNaN(): number {
    return this.up;
  }

  get lower(): number | null {
    return orNull(this.low);
  }

  /** `lower` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get lowerOrNaN(): number {
    return this.low;
  }

  toState(): BollingerState {
    return {
      k: this.k,
      window: this.window.toState(),
      middle: toJsonNumber(this.mid),
      upper: toJsonNumber(this.up),
      lower: toJsonNumber(this.low),
    };
  }

  static fromState(s: BollingerState): Bollinger {
    const b = new Bollinger(s.window.period, s.k);
    b.window = RollingWindow.fromState(s.window);
    b.mid = fromJsonNumber(s.middle);
    b.up = fromJsonNumber(s.upper);
    b.low = fromJsonNumber(s.lower);
    return b;
  }
}
