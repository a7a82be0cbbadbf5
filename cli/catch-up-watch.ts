import type { Clock } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import { TIMEFRAME_MS } from '../streams/messages/bar.js';
import type { Timeframe } from '../streams/messages/bar.js';

/** What `ctl status` says of it (`catchUp`). */
export type CatchUpStatus = Readonly<{
  /**
   * The engine is deciding events far behind its clock (a backlog after an outage), and its
   * market-data consumers have not yet been seen with nothing pending.
   */
  catchingUp: boolean;
  /**
   * How far the newest decided event was behind the engine's clock when it was decided (ms; null
   * before one was decided since the start). Not the time since then: a quiet market is not a lag.
   */
  behindMs: number | null;
  /** The event time of the newest decided event (the risk book's newest mark); null before the first. */
  asOf: number | null;
  /**
   * The engine replays a past window on its live clock (`sextant demo`): being far behind is the
   * replay, not a backlog, and its orders are for no live consumer. False for `sextant run`.
   */
  replay: boolean;
}>;

export type CatchUpWatch = Readonly<{
  /**
   * An event was decided now; `at` is the time it marks the book at (`knownAt`: a bar's close, a
   * quote's or trade's time). Called on the decision path for every event: cheap.
   */
  decided(at: number): void;
  /** How many times the newest decided event has moved forward: read before reading what is pending. */
  moves(): number;
  /**
   * Every market-data consumer had nothing pending (nor unacknowledged) at a read started when
   * {@link moves} said `since`: the backlog is over, even on a quiet market. Ignored when an event
   * was decided since (the read may predate its message).
   */
  drained(since: number): void;
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
 * The lag is taken as each event is decided (`decided`, from the decision path's observer: the
 * engine clock then, minus the event's time), so it includes the feed's delay and the wait for
 * the other assets' events, not the time until someone looks; what remains on top is the
 * decision of that event itself (its publications handed to the bus: milliseconds, more on an
 * event loop busy with a backlog). Only an event newer than any before
 * moves it: no new data (a quiet market, a feed down) is not read as a lag. `from` (the restored
 * book's newest mark) is the starting point, not something decided now.
 *
 * Catch-up starts when an event is decided more than `thresholdMs` behind the clock, and ends when
 * one is decided within it, or when the market-data consumers are seen with nothing pending
 * (`drained`): a backlog that ends on a quiet market is over then, not at the next bar. That is
 * said up to one check interval (cli/catch-up-check.ts) after its last message was acknowledged,
 * and the decision path acknowledges once the risk state covering it is stored
 * (`decision.riskCheckpointMs` later at most, longer while the store is slow). One
 * warning on entering catch-up, one info line on leaving it.
 *
 * An engine started to replay a past window on its live clock (`replay`: `sextant demo`) is far
 * behind that clock by design, with no live consumer whose orders could expire: the same status is
 * kept (`ctl status`, the feed), with `replay: true` so they say it as a replay, and entering it is
 * said at info, as the replay it is.
 *
 * @example
 * const watch = createCatchUpWatch({ clock, thresholdMs: catchUpThresholdMs('1h'), log, from: risk.status().asOf });
 * observer.event = (e) => watch.decided(knownAt(e.md));
 */
export function createCatchUpWatch(o: Readonly<{ clock: Pick<Clock, 'now'>; thresholdMs: number; log: Logger; from: number | null; replay?: boolean }>): CatchUpWatch {
  if (!(Number.isFinite(o.thresholdMs) && o.thresholdMs > 0)) throw new RangeError(`catch-up threshold must be a positive number of ms, got ${o.thresholdMs}`);
  let asOf = o.from;
  let behindMs: number | null = null;
  let catchingUp = false;
  let moves = 0;
  const replay = o.replay === true;
  return {
    decided: (at) => {
      if (asOf !== null && at <= asOf) return;
      asOf = at;
      moves++;
      behindMs = o.clock.now() - at;
      const behind = behindMs > o.thresholdMs;
      if (behind === catchingUp) return;
      catchingUp = behind;
      const fields = { asOf: new Date(at).toISOString(), behindMs, thresholdMs: o.thresholdMs };
      if (behind && replay) o.log.info(fields, `replaying data from ${minutes(behindMs)} ago on the live clock: its orders are the replay's, not for live consumers`);
      else if (behind) o.log.warn(fields, `deciding data from ${minutes(behindMs)} ago: catching up on a backlog; orders published now may be expired for live consumers`);
      else o.log.info(fields, `caught up: deciding data from ${Math.round(behindMs / 1_000)} s ago`);
    },
    moves: () => moves,
    drained: (since) => {
      if (!catchingUp || since !== moves) return;
      catchingUp = false;
      const fields = { asOf: asOf === null ? null : new Date(asOf).toISOString(), behindMs, thresholdMs: o.thresholdMs };
      o.log.info(fields, `caught up: nothing pending in the market data; the newest decided (from ${minutes(behindMs ?? 0)} before it was decided) is the newest there is`);
    },
    status: () => ({ catchingUp, behindMs, asOf, replay }),
  };
}
