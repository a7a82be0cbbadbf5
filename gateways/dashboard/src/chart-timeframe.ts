import type { Timeframe } from '../../../streams/messages/bar.js';
import { TIMEFRAME_MS } from '../../../streams/messages/bar.js';

/** Why a chart draws the timeframe it draws (its label's title says it). */
export type TimeframeReason = 'strategy' | 'finest';

/**
 * Which timeframe a symbol's chart draws when the feed carries bars of several (no DOM:
 * unit-tested under Node). The chart drew the first timeframe it saw, so with 1m and 1h bars live
 * a freshly opened page drew whichever came first in the snapshot. Now: the strategy's timeframe
 * (the bars it decides on, where its predictions and orders sit) once the feed has said it and a
 * bar of it was seen; until then the finest timeframe seen. The choice only moves towards the
 * strategy's or a finer one, so it settles after a few switches whatever the order bars come in.
 */
export class TimeframeChoice {
  private seen = new Set<Timeframe>();
  private strategy: Timeframe | null = null;
  private current: Timeframe | null = null;

  /** The timeframe drawn now (null before any bar). */
  get drawn(): Timeframe | null {
    return this.current;
  }

  get reason(): TimeframeReason {
    return this.current !== null && this.current === this.strategy ? 'strategy' : 'finest';
  }

  /** A bar of `tf` arrived: true when the timeframe drawn changed (the chart redraws from that timeframe's bars). */
  bar(tf: Timeframe): boolean {
    this.seen.add(tf);
    return this.choose();
  }

  /** The strategy's timeframe as the feed says it (the decision actor's status), null when it says none: true when the timeframe drawn changed. */
  prefer(tf: Timeframe | null): boolean {
    this.strategy = tf;
    return this.choose();
  }

  private choose(): boolean {
    let next: Timeframe | null = null;
    if (this.strategy !== null && this.seen.has(this.strategy)) next = this.strategy;
    else for (const tf of this.seen) if (next === null || TIMEFRAME_MS[tf] < TIMEFRAME_MS[next]) next = tf;
    if (next === this.current) return false;
    this.current = next;
    return true;
  }
}

/** A chart's label for it: the timeframe, and why that one. */
export function timeframeLabel(tf: Timeframe | null, reason: TimeframeReason): Readonly<{ text: string; title: string }> {
  if (tf === null) return { text: '', title: '' };
  return { text: tf, title: reason === 'strategy' ? `${tf} candles: the strategy's timeframe` : `${tf} candles: the finest timeframe the feed has sent` };
}

/** A candle as the chart keeps it: its open time in seconds and its prices. */
export type Candle = Readonly<{ time: number; open: number; high: number; low: number; close: number }>;

/**
 * Puts a candle in its place in `list` (oldest first), keeping at most `max`: `appended` (the
 * newest), `replaced` (the newest corrected), `inserted` (an older one put in place or corrected),
 * `same` (held already as it is: nothing to redraw).
 */
export function placeCandle<C extends Candle>(list: C[], c: C, max: number): 'appended' | 'replaced' | 'inserted' | 'same' {
  const last = list.at(-1);
  let how: 'appended' | 'replaced' | 'inserted';
  if (last === undefined || last.time < c.time) {
    list.push(c);
    how = 'appended';
  } else if (last.time === c.time) {
    list[list.length - 1] = c;
    how = 'replaced';
  } else {
    const i = list.findIndex((x) => x.time >= c.time);
    const held = list[i];
    if (held?.time === c.time && held.open === c.open && held.high === c.high && held.low === c.low && held.close === c.close) return 'same';
    if (held?.time === c.time) list[i] = c;
    else list.splice(i, 0, c);
    how = 'inserted';
  }
  if (list.length > max) list.splice(0, list.length - max);
  return how;
}
