import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../../state/logger.js';
import type { Identity } from './auth.js';
import { createConflatingBuffer } from './conflating-buffer.js';
import { conflatedFrame, snapshotFrame } from './feed-entry.js';
import type { FeedEntry } from './feed-entry.js';
import { ClientMessageSchema, CloseCode, ErrorCode, EVENT_TOPICS, MAX_SYMBOLS_PER_TOPIC, SYMBOL_TOPICS } from './protocol.js';
import type { ClientMessage, Topic } from './protocol.js';
import { createRateLimiter } from './rate-limiter.js';
import type { UnconfiguredSymbol } from './configured-symbols.js';
import { filterKey, parseSymbolEntry } from './topics.js';

export type SessionLimits = Readonly<{
  maxBufferedBytes: number;
  slowCloseMs: number;
  maxPendingFrames: number;
  maxInboundPerSecond: number;
}>;

/** What a session needs of the hub: topic membership and the latest entries for a snapshot. */
export type FeedDirectory = Readonly<{
  join(topic: Topic, session: ClientSession): void;
  leave(topic: Topic, session: ClientSession): void;
  /** Latest entry per slot of a topic (of `orders`, the last `ordersSnapshotDepth` per slot; of `md` bars, the last `mdSnapshotBars`), in seq order. */
  latest(topic: Topic): readonly FeedEntry[];
}>;

export type SessionDeps = Readonly<{
  ws: WebSocket;
  identity: Identity;
  limits: SessionLimits;
  directory: FeedDirectory;
  now: () => number;
  log: Logger;
  /** The configured assets' venues: a `venue:symbol` entry naming another is refused (`parseSymbolEntry`); absent, any venue is taken. */
  venues?: ReadonlySet<string>;
  /** Why a well-formed entry names no configured asset (`ETH/USDT` where only BTC/USDT is traded): refused; absent, any symbol is taken. */
  unconfigured?: UnconfiguredSymbol;
  /** Called once when the connection is gone, with why the server closed it (or `client`). */
  onClosed(session: ClientSession, reason: string): void;
}>;

export type ClientSession = Readonly<{
  identity: Identity;
  /** Sends (or, for a slow client, queues, conflating a state's slot) one feed entry; never waits. */
  deliver(entry: FeedEntry): void;
  /** Heartbeat tick: a client that did not answer the previous ping is terminated. */
  heartbeat(ts: number): void;
  /** Sends the upstream `status` frame (on connect and on every change; a backlog keeps the newest). */
  status(frame: string): void;
  close(code: number, reason: string): void;
  /** Frames a slow client has queued (one per slot of a state, one per event, snapshot frames included). */
  pending(): number;
}>;

/** A frame to send; `entry` for feed data, `snapshot` when it is one of a subscribe's snapshot frames. */
type Outgoing = Readonly<{ frame: string | Buffer; entry?: FeedEntry; snapshot?: true }>;

const TEXT = { binary: false } as const;
const DRAIN_EVERY_MS = 20;
/**
 * A client the server closes may never answer the close frame (backed up, gone quiet, a half-open
 * link): its socket is dropped after this long rather than after `ws`'s 30 s close timeout, which
 * would hold a shutdown and a maxClients slot.
 */
const TERMINATE_AFTER_MS = 1000;

const dec = new TextDecoder('utf-8', { fatal: true });

/**
 * One websocket client of the feed: its subscriptions (topic → symbol tokens, or all), inbound
 * validation and rate limit, and a send path that never blocks the hub. While the socket holds
 * more than `maxBufferedBytes`, updates go to a backlog that drains when the socket does: newest
 * per slot for a state, every one for an event (`EVENT_TOPICS`: orders, rejects, fills); a client
 * over the limit making no progress for `slowCloseMs`, or with more than `maxPendingFrames` frames waiting (snapshot
 * frames not counted), is closed with 4008 "slow consumer".
 */
export function createClientSession(deps: SessionDeps): ClientSession {
  const { ws, limits, directory, now } = deps;
  /**
   * Per topic: every symbol (null), or the symbols followed, each as the client first named it, by
   * `filterKey`: the subject token (the symbol on every venue) or `venue:token` (on that venue).
   */
  const subs = new Map<Topic, Map<string, string> | null>();
  // A subscribe's snapshot frames do not count against `maxPendingFrames`: the snapshot is bounded
  // by what the hub holds (a resubscribe's frames take the same slots), and an `orders` snapshot
  // (ordersSnapshotDepth per slot) may alone be longer than the bound, which would close a client
  // backed up when it subscribes at once, and again on each reconnect.
  const backlog = createConflatingBuffer<Outgoing>((o) => o.snapshot !== true);
  const limiter = createRateLimiter(limits.maxInboundPerSecond, now);
  /** Since when a client behind (over `maxBufferedBytes`) has made no progress: no frame written, no byte taken. */
  let stalledSince: number | undefined;
  /** `ws.bufferedAmount` at the last drain tick: less now means the socket took bytes since. */
  let lastBuffered = 0;
  let drainTimer: NodeJS.Timeout | undefined;
  let alive = true;
  let closing: string | undefined;
  let gone = false;
  let terminateTimer: NodeJS.Timeout | undefined;

  const open = (): boolean => closing === undefined && ws.readyState === ws.OPEN;

  const close = (code: number, reason: string): void => {
    if (closing !== undefined || gone) return;
    closing = reason;
    stopDrain();
    backlog.clear();
    ws.close(code, reason);
    terminateTimer = setTimeout(() => ws.terminate(), TERMINATE_AFTER_MS);
    terminateTimer.unref();
  };

  const stopDrain = (): void => {
    if (drainTimer !== undefined) clearInterval(drainTimer);
    drainTimer = undefined;
  };

  const flush = (): void => {
    if (!open()) return;
    const drained = ws.bufferedAmount < lastBuffered;
    let wrote = false;
    while (backlog.size > 0 && ws.bufferedAmount <= limits.maxBufferedBytes) {
      const p = backlog.shift();
      if (p === undefined) break;
      ws.send(p.conflated && p.item.entry !== undefined && p.item.snapshot !== true ? conflatedFrame(p.item.entry) : p.item.frame, TEXT);
      wrote = true;
    }
    lastBuffered = ws.bufferedAmount;
    if (ws.bufferedAmount <= limits.maxBufferedBytes) {
      stalledSince = undefined;
      if (backlog.size === 0) stopDrain();
      return;
    }
    // Behind, but moving: a long snapshot draining over a slow link writes frames (or its socket
    // takes bytes) every few ticks and is not a stalled client. Only `slowCloseMs` without any
    // progress closes it; how far behind a moving client may fall is `maxPendingFrames`' bound (events; states conflate).
    if (wrote || drained || stalledSince === undefined) stalledSince = now();
    else if (now() - stalledSince >= limits.slowCloseMs) close(CloseCode.SLOW_CONSUMER, 'slow consumer');
  };

  const send = (slot: string, out: Outgoing): void => {
    if (!open()) return;
    if (backlog.size === 0 && ws.bufferedAmount <= limits.maxBufferedBytes) {
      ws.send(out.frame, TEXT);
      return;
    }
    backlog.put(slot, out);
    stalledSince ??= now();
    if (backlog.counted > limits.maxPendingFrames || now() - stalledSince >= limits.slowCloseMs) return close(CloseCode.SLOW_CONSUMER, 'slow consumer');
    drainTimer ??= setInterval(flush, DRAIN_EVERY_MS);
  };

  const passes = (filter: ReadonlyMap<string, string> | null | undefined, entry: FeedEntry): boolean =>
    filter !== undefined &&
    (filter === null ||
      entry.symbolToken === undefined ||
      filter.has(entry.symbolToken) ||
      (entry.venue !== undefined && filter.has(filterKey(entry.symbolToken, entry.venue))));

  /** The snapshot entries of a subscribe: the latest of each slot the subscribe names (of `orders`, the last few), in seq order. */
  const snapshotOf = (topic: Topic, only: ReadonlyMap<string, string> | null): FeedEntry[] => directory.latest(topic).filter((e) => passes(only, e));
  // An event topic's snapshot holds several entries of a slot: each is queued under a slot of its own,
  // as its deltas are, so a slow client is sent all of them (the count in `subscribed` holds). So is
  // a state's older entry of a slot (the `md` snapshot's earlier bars of a bar slot: `mdSnapshotBars`);
  // the newest of the slot is queued under the slot, where a delta of it replaces it as a snapshot frame.
  const sendSnapshot = (entries: readonly FeedEntry[]): void => {
    const newest = new Map<string, number>();
    for (const e of entries) newest.set(`${e.topic}|${e.slot}`, e.seq);
    for (const e of entries) {
      const slot = `${e.topic}|${e.slot}`;
      send(EVENT_TOPICS.has(e.topic) || newest.get(slot) !== e.seq ? `${e.topic}#${e.seq}` : slot, { frame: snapshotFrame(e), entry: e, snapshot: true });
    }
  };

  /**
   * The symbols by `filterKey` (what entries are matched on: a symbol's subject token, with its
   * venue for a `venue:symbol` entry), each as the client named it (what replies say).
   */
  const tokens = (symbols: readonly string[] | undefined): Map<string, string> | null | string => {
    if (symbols === undefined) return null;
    const out = new Map<string, string>();
    for (const s of symbols) {
      const f = parseSymbolEntry(s, deps.venues);
      if (typeof f === 'string') return f;
      const never = deps.unconfigured?.(s, f);
      if (never !== undefined) return never;
      const k = filterKey(f.token, f.venue);
      if (!out.has(k)) out.set(k, s);
    }
    return out;
  };

  // Replies are never conflated with one another: each gets a slot of its own.
  let replies = 0;
  const reply = (obj: unknown): void => send(`reply|${replies++}`, { frame: JSON.stringify(obj) });
  /** An error answering a request names it (`op`, `topic`, `symbols` as sent), so a client with several in flight knows which. */
  const badRequest = (reason: string, request?: Exclude<ClientMessage, { op: 'ping' }>): void =>
    reply({
      type: 'error',
      code: ErrorCode.BAD_REQUEST,
      reason,
      ...(request === undefined ? {} : { op: request.op, topic: request.topic, ...(request.symbols === undefined ? {} : { symbols: request.symbols }) }),
    });
  // Replies name symbols as the client did (`BTC/USDT`, not the token `BTC-USDT` it is matched by).
  const listOf = (f: ReadonlyMap<string, string> | null | undefined): string[] | null => (f === null || f === undefined ? null : [...f.values()]);
  const namesOf = (ts: readonly string[]): string => ts.slice(0, 5).map((t) => JSON.stringify(t)).join(', ') + (ts.length > 5 ? ` and ${ts.length - 5} more` : '');

  const handle = (msg: ClientMessage): void => {
    if (msg.op === 'ping') return reply({ type: 'pong', ts: now() });
    const refuse = (reason: string): void => badRequest(reason, msg);
    // The topic's messages name no symbol: a filter would be answered with its symbols and then pass everything.
    if (msg.symbols !== undefined && !SYMBOL_TOPICS.has(msg.topic)) return refuse(`${msg.topic} is not by symbol: leave symbols out (symbols apply to ${[...SYMBOL_TOPICS].join(', ')})`);
    // `symbols: []` would follow (or leave) nothing; a client that sends it most likely meant every symbol.
    if (msg.symbols?.length === 0) return refuse(`symbols is empty: leave symbols out to ${msg.op === 'subscribe' ? 'subscribe to' : 'unsubscribe from'} every symbol of ${msg.topic}`);
    const wanted = tokens(msg.symbols);
    if (typeof wanted === 'string') return refuse(wanted);
    const current = subs.get(msg.topic);
    if (msg.op === 'subscribe') {
      // Symbols add to a symbol subscription; no symbols means every symbol of the topic.
      // A symbol already followed keeps the name it was first given.
      const next = wanted === null || current === null ? null : new Map([...(current ?? []), ...[...wanted].filter(([t]) => current?.has(t) !== true)]);
      // One message may name 256 symbols; repeated ones would grow the session's set without end.
      if (next !== null && next.size > MAX_SYMBOLS_PER_TOPIC) return refuse(`at most ${MAX_SYMBOLS_PER_TOPIC} symbols per topic (subscribe without symbols for every symbol of ${msg.topic})`);
      if (current === undefined) directory.join(msg.topic, session);
      subs.set(msg.topic, next);
      // `snapshot`: how many snapshot frames of the topic follow, so a client knows where the
      // snapshot ends (at once when it is 0, an empty snapshot sending no frame at all).
      const entries = snapshotOf(msg.topic, wanted);
      reply({ type: 'subscribed', topic: msg.topic, symbols: listOf(next), snapshot: entries.length });
      sendSnapshot(entries);
      return;
    }
    // Naming a symbol the session does not follow is refused whole (nothing is unsubscribed): an
    // `unsubscribed` echoing it would tell the client it had been following it.
    if (current === undefined && wanted !== null) return refuse(`not subscribed to ${msg.topic}: nothing unsubscribed`);
    if (current === undefined) return reply({ type: 'unsubscribed', topic: msg.topic, symbols: [] });
    if (wanted !== null && current === null) return refuse(`subscribed to every symbol of ${msg.topic}: unsubscribe without symbols`);
    const unknown = wanted === null || current === null ? [] : [...wanted].filter(([t]) => !current.has(t)).map(([, name]) => name);
    if (unknown.length > 0) return refuse(`not subscribed to ${namesOf(unknown)} on ${msg.topic}: nothing unsubscribed`);
    const left = wanted === null || current === null ? new Map<string, string>() : new Map([...current].filter(([t]) => !wanted.has(t)));
    // What a slow client has queued of what it leaves is dropped: after `unsubscribed` no
    // snapshot or delta of it arrives (a chart would redraw a symbol just taken off it).
    // (Of what it still follows, by another entry, nothing: `kraken:BTC/USDT` left beside `BTC/USDT` drops none of kraken's.)
    backlog.removeWhere((o) => o.entry?.topic === msg.topic && (left.size === 0 || !passes(left, o.entry)));
    if (left.size === 0) {
      subs.delete(msg.topic);
      directory.leave(msg.topic, session);
      return reply({ type: 'unsubscribed', topic: msg.topic, symbols: null });
    }
    subs.set(msg.topic, left);
    reply({ type: 'unsubscribed', topic: msg.topic, symbols: listOf(wanted) });
  };

  const onMessage = (raw: RawData, isBinary: boolean): void => {
    if (closing !== undefined) return;
    if (!limiter.hit()) return close(CloseCode.POLICY, 'rate limit');
    if (isBinary) return badRequest('binary frames are not accepted: send JSON text');
    let json: unknown;
    try {
      const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
      json = JSON.parse(dec.decode(buf));
    } catch {
      return badRequest('not valid JSON');
    }
    const parsed = ClientMessageSchema.safeParse(json);
    if (!parsed.success) return badRequest(parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(message)'}: ${i.message}`).join('; '));
    handle(parsed.data);
  };

  const session: ClientSession = {
    identity: deps.identity,
    deliver: (entry) => {
      if (!passes(subs.get(entry.topic), entry)) return;
      // An event (an order, a reject, a fill) is not a state the next one replaces: each is queued
      // under a slot of its own, so it is sent or the client is closed, never conflated away.
      if (EVENT_TOPICS.has(entry.topic)) return send(`${entry.topic}#${entry.seq}`, { frame: entry.delta, entry });
      const slot = `${entry.topic}|${entry.slot}`;
      // A snapshot frame still waiting in a slow client's backlog stays a snapshot frame, of the
      // newer message: the client counts the snapshot frames its `subscribed` announced.
      if (backlog.get(slot)?.item.snapshot === true) return send(slot, { frame: snapshotFrame(entry), entry, snapshot: true });
      send(slot, { frame: entry.delta, entry });
    },
    heartbeat: (ts) => {
      if (!alive) {
        closing ??= 'dead';
        ws.terminate();
        return;
      }
      alive = false;
      if (ws.readyState === ws.OPEN) ws.ping();
      send('heartbeat', { frame: `{"type":"heartbeat","ts":${ts}}` });
    },
    status: (frame) => send('status', { frame }),
    close,
    pending: () => backlog.size,
  };

  ws.on('message', onMessage);
  ws.on('pong', () => (alive = true));
  ws.on('error', (e: Error & { code?: string }) => {
    // ws closes with 1009 itself when a frame exceeds maxPayload; note why for the metrics.
    if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') closing ??= 'too big';
    else deps.log.debug({ err: e.message, client: deps.identity.name }, 'websocket error');
  });
  ws.on('close', () => {
    if (gone) return;
    gone = true;
    clearTimeout(terminateTimer);
    stopDrain();
    backlog.clear();
    for (const topic of subs.keys()) directory.leave(topic, session);
    subs.clear();
    deps.onClosed(session, closing ?? 'client');
  });
  return session;
}
