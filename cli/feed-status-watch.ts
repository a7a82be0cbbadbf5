import type { Bus, Subscription } from '../streams/bus.js';
import { encode } from '../streams/codec.js';
import type { FeedStatus } from '../streams/messages/feed-status.js';
import type { Subjects } from '../streams/subjects.js';
import { decodeFeedStatus } from '../streams/validation/decode-feed-status.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import type { Logger } from '../state/logger.js';

/** How many republish intervals without a word make a feed's status `unknown` (the gateway silent). */
export const SILENT_AFTER_INTERVALS = 3;

export type FeedView = Readonly<{
  venue: string;
  symbol: string;
  stream: string;
  /** The gateway's last word, or `unknown` when it is older than 3× `marketData.statusEveryMs`. */
  state: FeedStatus['state'] | 'unknown';
  code?: string;
  reason?: string;
  retryAt?: number;
  restarts: number;
  publisher: string;
  /** The state the gateway last said (differs from `state` once `unknown`). */
  lastState: FeedStatus['state'];
  /** When the gateway said it (its clock), and how old that is on the engine's. */
  ts: number;
  ageMs: number;
}>;

/**
 * The staleness rule: the gateway republishes every `everyMs`, so a status older than
 * {@link SILENT_AFTER_INTERVALS} of them says nothing any more: `unknown: gateway silent`.
 */
export function feedView(s: FeedStatus, now: number, everyMs: number): FeedView {
  const ageMs = Math.max(0, now - s.ts);
  const base = { venue: s.venue, symbol: s.symbol, stream: s.stream, restarts: s.restarts, publisher: s.publisher, lastState: s.state, ts: s.ts, ageMs };
  if (ageMs > SILENT_AFTER_INTERVALS * everyMs) return { ...base, state: 'unknown', reason: `gateway silent: its last status (${s.state}) is ${ageMs} ms old, past ${SILENT_AFTER_INTERVALS} × ${everyMs} ms` };
  return { ...base, state: s.state, ...(s.code !== undefined ? { code: s.code } : {}), ...(s.reason !== undefined ? { reason: s.reason } : {}), ...(s.retryAt !== undefined ? { retryAt: s.retryAt } : {}) };
}

/** These feeds as one line of text, those not live only (`feed bar 1m retrying NETWORK: …`), or undefined when all are live. */
export function feedDownNote(views: readonly FeedView[]): string | undefined {
  const down = views.filter((v) => v.state !== 'live');
  if (down.length === 0) return undefined;
  return `feed ${down.map((v) => `${v.stream} ${v.state}${v.code !== undefined ? ` ${v.code}` : ''}${v.reason !== undefined ? `: ${v.reason}` : ''}`).join(', ')}`;
}

export type FeedStatusWatch = Readonly<{
  /** Every feed heard of and not forgotten, with its age now. */
  feeds(): readonly FeedView[];
  /** Messages refused (sent to `sx.dlq.mdstatus`). */
  refused(): number;
  stop(): void;
}>;

/**
 * The engine's view of `sextant gateway`'s feeds: subscribes to `sx.mdstatus.>` (core NATS), keeps
 * the latest status per venue × symbol × stream (an older `ts` than the one kept is ignored), and
 * judges its age on `now` (the wall clock: cli/, not an actor). A message that does not decode is
 * logged, counted and sent to `sx.dlq.mdstatus` with its reason. A feed whose state changes is
 * logged: a warning when it is not live (the gateway's code and reason: why the engine's market
 * data of that asset stops, and risk refuses its orders as STALE_MARKET_DATA / NO_MARKET_DATA),
 * info when it is live again. A feed its gateway no longer runs is forgotten: once the same
 * `publisher` has sent a status of another feed of the same venue more than
 * {@link SILENT_AFTER_INTERVALS} × `everyMs` newer than the feed's last (both on the gateway's
 * clock), that gateway is up and republishing every feed it runs but not this one (restarted with
 * fewer symbols or streams): it leaves `feeds()` (logged). A gateway silent altogether is not that:
 * its feeds stay, `unknown`, as long as it is. (The venue too, so that of two gateways sharing a
 * NATS name, one per venue, the one up does not make the other's feeds forgotten.) Read by `ctl status` (`feeds`), /metrics and the dashboard (the
 * `feeds` topic, cli/engine-status-feed.ts), never by a decision:
 * the status is not in any stream, so nothing a replay reproduces may depend on it.
 */
export function startFeedStatusWatch(deps: Readonly<{ bus: Pick<Bus, 'subscribe' | 'publish'>; subjects: Subjects; now: () => number; everyMs: number; log: Logger }>): FeedStatusWatch {
  const latest = new Map<string, FeedStatus>();
  let refusedCount = 0;
  /** The feeds of `heard`'s publisher it has not republished for past the silence bound: its gateway runs them no more. */
  const forgetDropped = (heard: FeedStatus): void => {
    const bound = SILENT_AFTER_INTERVALS * deps.everyMs;
    for (const [key, s] of latest) {
      if (s.publisher !== heard.publisher || s.venue !== heard.venue || heard.ts - s.ts <= bound) continue;
      latest.delete(key);
      deps.log.info({ venue: s.venue, symbol: s.symbol, stream: s.stream, publisher: s.publisher, lastState: s.state, lastTs: new Date(s.ts).toISOString() }, 'market-data feed forgotten: its gateway publishes other feeds but no longer this one');
    }
  };
  const sub: Subscription = deps.bus.subscribe(deps.subjects.allFeedStatus(), (subject, data) => {
    const r = decodeFeedStatus(subject, data, deps.subjects);
    if (!r.ok) {
      refusedCount++;
      deps.log.warn({ subject, reason: r.reason, detail: r.detail }, 'feed status refused');
      const entry = toDlqEntry({ source: 'mdstatus', subject, data, refusal: r, ts: deps.now() });
      deps.bus.publish(deps.subjects.dlq('mdstatus'), encode(entry), { msgId: entry.id }).catch((e: unknown) => deps.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'feed status dead letter not stored'));
      return;
    }
    const s = r.status;
    const key = `${s.venue}\0${s.symbol}\0${s.stream}`;
    const prev = latest.get(key);
    if (prev !== undefined && prev.ts > s.ts) return;
    latest.set(key, s);
    forgetDropped(s);
    if (prev?.state === s.state || (prev === undefined && s.state === 'live')) return;
    const fields = { venue: s.venue, symbol: s.symbol, stream: s.stream, state: s.state, ...(s.code !== undefined ? { code: s.code } : {}), ...(s.reason !== undefined ? { reason: s.reason } : {}), ...(s.retryAt !== undefined ? { retryAt: new Date(s.retryAt).toISOString() } : {}), restarts: s.restarts };
    if (s.state === 'live') deps.log.info(fields, 'market-data feed live again (sextant gateway)');
    else deps.log.warn(fields, `market-data feed not live (sextant gateway): ${feedDownNote([feedView(s, s.ts, deps.everyMs)]) ?? s.state}`);
  });
  const feeds = (): FeedView[] => {
    const now = deps.now();
    return [...latest.values()].map((s) => feedView(s, now, deps.everyMs)).sort((a, b) => `${a.venue} ${a.symbol} ${a.stream}`.localeCompare(`${b.venue} ${b.symbol} ${b.stream}`));
  };
  return {
    feeds,
    refused: () => refusedCount,
    stop: () => sub.unsubscribe(),
  };
}
