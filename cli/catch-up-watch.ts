import type { Clock } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import { TIMEFRAME_MS } from '../streams/messages/bar.js';
import type { Timeframe } from '../streams/messages/bar.js';

/** What `ctl status` says of it (`catchUp`). */
export type CatchUpStatus = Readonly<{
  /** The engine is deciding events far behind its clock: a backlog after an outage. */
  catchingUp: boolean;
  /**
   * How far the newest decided event was behind the engine's clock when it was last seen to move
   * forward (ms; null before it moved). Not the time since then: a quiet market is not a lag.
   */
  behindMs: number | null;
  /** The event time of the newest decided event (the risk book's newest mark); null before the first. */
  asOf: number | null;
}>;

export type CatchUpWatch = Readonly<{
  /** Hands in the newest decided event time now (`risk.status().asOf`). */
  observe(asOf: number | null): void;
  status(): CatchUpStatus;
}>;

/** How many bars of the decision timeframe behind the clock counts as catching up. */
export const CATCH_UP_BARS = 3;

/**
 * The lag past which the engine is catching up: {@link CATCH_UP_BARS} bars of the timeframe it
 * decides on. A bar marks the book at its close, so a live engine's newest mark is up to one bar
 * (plus the feed's delay) behind the clock just before the next bar closes; three leave room for it.
 */
export const catchUpThresholdMs = (timeframe: Timeframe): number => CATCH_UP_BARS * TIMEFRAME_MS[timeframe];

const minutes = (ms: number): string => `${Math.round(ms / 60_000)} min`;

/**
 * Watches how far behind the engine's clock the events it decides are, for operators: after an
 * outage the engine works through the backlog in event time and publishes orders decided on
 * old bars, already expired for a live consumer (sextant/client skips them). Observability only:
 * nothing here changes what is decided.
 *
 * Its state changes only when `asOf` moves forward: no new data (a quiet market, a feed down) is
 * not read as a lag. The first `observe` is the starting point (a book restored from its store is
 * not something decided now). One warning on entering catch-up, one info line on leaving it.
 *
 * @example
 * const watch = createCatchUpWatch({ clock, thresholdMs: catchUpThresholdMs('1h'), log });
 * watch.observe(risk.status().asOf); // at start, then on a timer
 */
export function createCatchUpWatch(o: Readonly<{ clock: Pick<Clock, 'now'>; thresholdMs: number; log: Logger }>): CatchUpWatch {
  if (!(Number.isFinite(o.thresholdMs) && o.thresholdMs > 0)) throw new RangeError(`catch-up threshold must be a positive number of ms, got ${o.thresholdMs}`);
  let started = false;
  let asOf: number | null = null;
  let behindMs: number | null = null;
  let catchingUp = false;
  return {
    observe: (next) => {
      if (!started) {
        started = true;
        asOf = next;
        return;
      }
      if (next === null || (asOf !== null && next <= asOf)) return;
      asOf = next;
      behindMs = o.clock.now() - next;
      const behind = behindMs > o.thresholdMs;
      if (behind === catchingUp) return;
      catchingUp = behind;
      const fields = { asOf: new Date(next).toISOString(), behindMs, thresholdMs: o.thresholdMs };
      if (behind) o.log.warn(fields, `deciding data from ${minutes(behindMs)} ago: catching up on a backlog; orders published now may be expired for live consumers`);
      else o.log.info(fields, `caught up: deciding data from ${Math.round(behindMs / 1_000)} s ago`);
    },
    status: () => ({ catchingUp, behindMs, asOf }),
  };
}
