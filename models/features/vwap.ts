import { fromJsonNumber, orNull, toJsonNumber } from './json-number.js';

/** Milliseconds in a UTC day; epoch milliseconds have no leap seconds, so days are exact. */
export const MS_PER_DAY = 86_400_000;

export type VwapState = Readonly<{ day: number | null; pv: number; vol: number; vwap: number | null }>;

/**
 * Session VWAP that restarts at 00:00 UTC: Σ(typical·volume)/Σvolume over the day's bars so far,
 * typical = (high+low+close)/3. The day is read from the bar's own timestamp
 * (⌊ts / 86 400 000⌋), never from a clock, so replays reproduce it. Null until some volume has
 * traded in the current day: a VWAP of nothing traded is undefined, not the typical price.
 */
export class Vwap {
  private day = Number.NaN;
  private pv = 0;
  private vol = 0;
  private vwap = Number.NaN;

  /** `ts` is the bar's open time (ms since epoch, UTC). */
  update(ts: number, high: number, low: number, close: number, volume: number): void {
    const day = Math.floor(ts / MS_PER_DAY);
    if (day !== this.day) {
      this.day = day;
      this.pv = 0;
      this.vol = 0;
      this.vwap = Number.NaN;
    }
    this.pv += ((high + low + close) / 3) * volume;
    this.vol += volume;
    if (this.vol > 0) this.vwap = this.pv / this.vol;
  }

  get value(): number | null {
    return orNull(this.vwap);
  }

  /** `value` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get valueOrNaN(): number {
    return this.vwap;
  }

  toState(): VwapState {
    return { day: toJsonNumber(this.day), pv: this.pv, vol: this.vol, vwap: toJsonNumber(this.vwap) };
  }

  static fromState(s: VwapState): Vwap {
    const v = new Vwap();
    v.day = fromJsonNumber(s.day);
    v.pv = s.pv;
    v.vol = s.vol;
    v.vwap = fromJsonNumber(s.vwap);
    return v;
  }
}
