import { fromJsonNumber, orNull, toJsonNumber } from './json-number.js';

export type SpreadState = Readonly<{ mid: number | null; spread: number | null; bps: number | null }>;

/**
 * Top-of-book features from the latest quote: mid = (bid+ask)/2, spread = ask − bid (price
 * units) and spread in basis points of the mid (comparable across assets and price levels). All
 * null until the first quote. A crossed book (ask < bid) gives a negative spread on purpose: it
 * is information (a stale or racing feed), and quote validation belongs to the edge.
 */
export class Spread {
  private mid = Number.NaN;
  private spread = Number.NaN;
  private bps = Number.NaN;

  update(bid: number, ask: number): void {
    const mid = (bid + ask) / 2;
    const spread = ask - bid;
    this.mid = mid;
    this.spread = spread;
    this.bps = mid > 0 ? (spread / mid) * 10_000 : Number.NaN;
  }

  /** The absolute spread; null before the first quote. */
  get value(): number | null {
    return orNull(this.spread);
  }

  /** `value` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get valueOrNaN(): number {
    return this.spread;
  }

  get midPrice(): number | null {
    return orNull(this.mid);
  }

  /** `midPrice` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get midPriceOrNaN(): number {
    return this.mid;
  }

  get spreadBps(): number | null {
    return orNull(this.bps);
  }

  /** `spreadBps` with NaN instead of null: the unboxed read for hot loops (`number | null` boxes). */
  get spreadBpsOrNaN(): number {
    return this.bps;
  }

  toState(): SpreadState {
    return { mid: toJsonNumber(this.mid), spread: toJsonNumber(this.spread), bps: toJsonNumber(this.bps) };
  }

  static fromState(s: SpreadState): Spread {
    const q = new Spread();
    q.mid = fromJsonNumber(s.mid);
    q.spread = fromJsonNumber(s.spread);
    q.bps = fromJsonNumber(s.bps);
    return q;
  }
}
