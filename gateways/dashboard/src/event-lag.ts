import type { Bar } from '../../../streams/messages/bar.js';
import { TIMEFRAME_MS } from '../../../streams/messages/bar.js';
import type { Quote } from '../../../streams/messages/quote.js';
import type { Trade } from '../../../streams/messages/trade.js';
import { fmt } from './number-format.js';

/** On ticks (no bar seen), the page may be this far behind the engine before it says so. */
const TICK_TOLERANCE_MS = 60_000;

export type Behind = Readonly<{ page: number; engine: number; ms: number }>;

/**
 * How far the page is behind the engine, in event time (no DOM: unit-tested under Node): the
 * newest market data the page drew (a bar at its close) against the event time of the risk
 * book's newest mark, which the engine's status feed publishes apart from the market data (the
 * feed's `pnl.asOf`). In a fast replay the page drew BTC at 22.5k while the engine was at 99.5k,
 * and the header said `live`. It says the page is behind once the engine is more than two of the
 * finest bars drawn (a minute on ticks) past it. It measures what reached the page: frames queued
 * in front of both alike (a browser too slow to read its socket) delay the book's time as well.
 */
export class EventTimeLag {
  private page: number | null = null;
  private at: number | null = null;
  private finestBar: number | null = null;

  /** Market data the page drew. */
  md(m: Bar | Quote | Trade): void {
    let t = m.ts;
    if (m.type === 'md.bar') {
      const tf = TIMEFRAME_MS[m.tf];
      t += tf;
      this.finestBar = this.finestBar === null ? tf : Math.min(this.finestBar, tf);
    }
    if (this.page === null || t > this.page) this.page = t;
  }

  /** The engine's event time now (the book's newest mark): the latest said, so a restarted replay starts over. */
  engine(asOf: number | null | undefined): void {
    if (asOf !== null && asOf !== undefined) this.at = asOf;
  }

  behind(): Behind | null {
    if (this.page === null || this.at === null) return null;
    const ms = this.at - this.page;
    const tolerance = this.finestBar === null ? TICK_TOLERANCE_MS : 2 * this.finestBar;
    return ms > tolerance ? { page: this.page, engine: this.at, ms } : null;
  }
}

/** A span of event time, coarsely: minutes, hours from 2 h, days from 2 d. */
function span(ms: number): string {
  const min = Math.floor(ms / 60_000);
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h` : `${Math.floor(h / 24)} d`;
}

/** What the header says of it: the label in place of `live`, and the two times. */
export function lagText(b: Behind | null): Readonly<{ label: string; detail: string }> | null {
  if (b === null) return null;
  return { label: `live, but behind the engine by ${span(b.ms)}`, detail: `market data shown up to ${fmt.time(b.page)} UTC, the engine is at ${fmt.time(b.engine)} UTC (event time)` };
}
