import type { CorePublisher } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import type { FeedStatus } from '../../streams/messages/feed-status.js';
import { feedStatusId } from '../../streams/messages/feed-status.js';
import type { Subjects } from '../../streams/subjects.js';
import type { FeedStatusBoard, FeedStatusEntry } from './feed-status.js';

export type FeedStatusPublisher = Readonly<{
  /** Publishes the feeds whose status changed since they were last published. */
  changed(): void;
  /** Publishes every feed (the periodic republish; also the first, at start). */
  all(): void;
  /** Stops the periodic republish. */
  stop(): void;
}>;

/**
 * The board's entry as the `md.status` v1 message, stamped `ts`. v1 has no `subscribed` (its states
 * are the contract): a feed subscribed but waiting for its first message is `live` there, as it is
 * ready, with the reason `subscribed, nothing received yet`.
 */
export function feedStatusMessage(e: FeedStatusEntry, ts: number, publisher: string): FeedStatus {
  const subscribed = e.state === 'subscribed';
  const base = { type: 'md.status', v: 1, ts, venue: e.venue, symbol: e.symbol, stream: e.stream, state: subscribed ? 'live' : e.state } as const;
  const reason = subscribed ? SUBSCRIBED_REASON : e.reason;
  return {
    ...base,
    id: feedStatusId(base),
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(reason !== undefined ? { reason: reason.slice(0, 1000) } : {}),
    ...(e.retryAt !== undefined ? { retryAt: Math.max(0, Math.round(e.retryAt)) } : {}),
    restarts: e.restarts,
    publisher,
  };
}

/** The reason a `live` md.status v1 carries for a feed subscribed and waiting for its first message. */
export const SUBSCRIBED_REASON = 'subscribed, nothing received yet';

const changeKey = (e: FeedStatusEntry): string => JSON.stringify([e.state, e.code, e.reason, e.retryAt, e.restarts]);

/**
 * Publishes `sextant gateway`'s feed statuses on core NATS (`sx.mdstatus.<venue>.<sym>`): each
 * change (`changed()`, after the board took a status) and every feed again every `everyMs` (core
 * NATS keeps nothing: an engine started while a feed is down learns it at the next republish).
 * Stamped with the gateway's injected clock. A publish that throws (NATS closing) is logged by the
 * caller's bus; the board is unchanged.
 */
export function startFeedStatusPublisher(deps: Readonly<{ board: FeedStatusBoard; bus: CorePublisher; subjects: Subjects; now: () => number; everyMs: number; publisher: string }>): FeedStatusPublisher {
  const last = new Map<string, string>();
  const send = (e: FeedStatusEntry): void => {
    last.set(e.feed, changeKey(e));
    deps.bus.emit(deps.subjects.feedStatus(e.venue, e.symbol), encode(feedStatusMessage(e, deps.now(), deps.publisher)));
  };
  const all = (): void => {
    for (const e of deps.board.entries()) send(e);
  };
  const timer = setInterval(all, deps.everyMs);
  timer.unref();
  all();
  return {
    changed: () => {
      for (const e of deps.board.entries()) if (last.get(e.feed) !== changeKey(e)) send(e);
    },
    all,
    stop: () => clearInterval(timer),
  };
}
