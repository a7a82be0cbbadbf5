import { decodeServerMessage } from './feed-protocol.js';
import type { ClientOp, Topic } from './feed-protocol.js';
import { lockoutLine } from './auth-lockout.js';

/**
 * The dashboard's connection to the websocket feed: subscribes, drops stale deltas, watches the
 * heartbeat, and reconnects with exponential backoff, resubscribing so that the server's snapshots
 * resync every panel. It knows no DOM: the socket and the timers are injected, so the same logic
 * runs in the browser and in a unit test.
 *
 * A browser cannot see why a websocket upgrade was refused (a 401 for a bad token and a server
 * that is down both look like close 1006), so when a socket closes without ever opening the client
 * asks an injected `probe` (the page: `GET /ws` with the token, 401 or 426): a refused token ends
 * in the terminal state `refused` instead of retrying for ever. An address locked out for failed
 * logins (the gateway's 429 with Retry-After, `auth-lockout.ts`) is in state `locked-out` and waits at
 * least Retry-After before its next attempt, whatever the backoff says, and then asks again.
 */

/** What the client needs of a websocket; `main.ts` adapts the browser's `WebSocket` to it. */
export type FeedSocket = Readonly<{ send(frame: string): void; close(): void }>;
export type SocketHandlers = Readonly<{
  open(): void;
  message(frame: unknown): void;
  close(code: number, reason: string): void;
}>;
export type OpenSocket = (url: string, handlers: SocketHandlers) => FeedSocket;

export type Timers = Readonly<{
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}>;

/**
 * `refused` is terminal, like `closed`: the gateway does not know the token, and retrying will not change that.
 * `locked-out`: the gateway refuses the token and the address for failed logins (429) until `retryAt`, then it is asked again.
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'locked-out' | 'closed' | 'refused';

/**
 * What `GET /ws` with the token says: 401 → `refused`, 426 → `accepted`, 429 → `{ lockedOutMs }`
 * (its Retry-After in ms, null when not said), anything else (or no answer) → `unknown`.
 */
export type ProbeVerdict = 'accepted' | 'refused' | 'unknown' | Readonly<{ lockedOutMs: number | null }>;
export type ConnectionStatus = Readonly<{
  state: ConnectionState;
  /** Reconnection attempts since the connection was last healthy (open for `healthyAfterMs`). */
  attempt: number;
  /** When the next attempt starts (timer clock), while reconnecting or locked out. */
  retryAt: number | null;
  lastMessageAt: number | null;
  lastError: string | null;
  /**
   * The gateway's link to NATS (its `status` frames; null until the connection tells it). While
   * `down` the feed is stale: nothing updates although the socket is open.
   */
  upstream: 'up' | 'down' | null;
  /** When the upstream last changed (server clock, epoch ms). */
  upstreamSince: number | null;
  /** When the upstream came back after an outage seen on this connection: updates before it may be missing. */
  gapAt: number | null;
}>;

/** One value for a topic's key: `snapshot` on (re)subscribe, `delta` for each change. */
export type FeedUpdate = Readonly<{ topic: Topic; key: string; seq: number; kind: 'snapshot' | 'delta'; data: unknown }>;

export type FeedStats = Readonly<{ received: number; applied: number; stale: number; invalid: number; reconnects: number }>;

export type FeedClientOptions = Readonly<{
  url: string;
  openSocket: OpenSocket;
  timers: Timers;
  onUpdate(update: FeedUpdate): void;
  onStatus?(status: ConnectionStatus): void;
  /**
   * The server took a subscribe of a topic the client follows: `snapshot` is how many snapshot
   * frames of it follow (0: its snapshot is empty), undefined from a server that does not say.
   */
  onSubscribed?(topic: Topic, snapshot: number | undefined): void;
  /**
   * The server refused a subscribe of a topic the client follows (a symbol no configured asset
   * has, from the page's `?symbols=`): nothing of it will come, and the page says why there.
   */
  onRefused?(topic: Topic, reason: string): void;
  /** A frame the client refused (not JSON, not the protocol): the page logs it and carries on. */
  onInvalid?(reason: string): void;
  /** First reconnection delay; doubles per attempt up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Spread of the delay (0..1) so that many pages do not reconnect in step; 0 in tests. */
  jitter?: number;
  random?: () => number;
  /** Nothing received for this long (heartbeats included) means the connection is dead. */
  staleAfterMs?: number;
  /** A ping is sent when nothing was received for this long. */
  pingAfterMs?: number;
  /**
   * An open connection counts as healthy (the backoff starts over from `initialBackoffMs`) only
   * once it has stayed open this long: a server that closes right after the open (4008 slow
   * consumer, 1008 rate limit) keeps being retried at a growing delay, not at the minimum.
   */
  healthyAfterMs?: number;
  /**
   * Asked when a socket closes without having opened: `refused` stops the client (state
   * `refused`), `{ lockedOutMs }` waits at least that long (state `locked-out`), anything else reconnects as before. A probe that throws, rejects or takes longer
   * than `probeTimeoutMs` counts as `unknown`. Without a probe the client always reconnects.
   */
  probe?(): Promise<ProbeVerdict>;
  probeTimeoutMs?: number;
}>;

export type FeedClient = Readonly<{
  /**
   * As the server reads it: symbols ADD to the topic's symbol subscription, and no symbols means
   * every symbol (which further symbols leave as it is). A reconnect resubscribes to all of it.
   */
  subscribe(topic: Topic, symbols?: readonly string[]): void;
  unsubscribe(topic: Topic): void;
  /** The highest seq applied for the topic on the current connection (-1 when none). */
  lastSeq(topic: Topic): number;
  status(): ConnectionStatus;
  stats(): FeedStats;
  close(): void;
}>;

export function createFeedClient(opts: FeedClientOptions): FeedClient {
  const initialBackoff = opts.initialBackoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 15_000;
  const jitter = opts.jitter ?? 0.3;
  const random = opts.random ?? ((): number => 0.5);
  const staleAfter = opts.staleAfterMs ?? 20_000;
  const pingAfter = opts.pingAfterMs ?? 7_000;
  const healthyAfter = opts.healthyAfterMs ?? 10_000;
  const probeTimeout = opts.probeTimeoutMs ?? 5_000;
  const t = opts.timers;

  const subscriptions = new Map<Topic, readonly string[] | undefined>();
  // Seqs are per topic and per connection: a new connection (maybe to a restarted server) starts over.
  const topicSeq = new Map<Topic, number>();
  const keySeq = new Map<string, number>();
  let socket: FeedSocket | null = null;
  let status: ConnectionStatus = { state: 'connecting', attempt: 0, retryAt: null, lastMessageAt: null, lastError: null, upstream: null, upstreamSince: null, gapAt: null };
  let retryTimer: unknown = null;
  let healthyTimer: unknown = null;
  let watchdog: unknown = null;
  let probeTimer: unknown = null;
  let closed = false;
  let received = 0;
  let applied = 0;
  let stale = 0;
  let invalid = 0;
  let reconnects = 0;

  const setStatus = (patch: Partial<ConnectionStatus>): void => {
    status = { ...status, ...patch };
    opts.onStatus?.(status);
  };
  const send = (op: ClientOp): void => socket?.send(JSON.stringify(op));
  const sendSubscribe = (topic: Topic, symbols: readonly string[] | undefined): void =>
    send(symbols === undefined ? { op: 'subscribe', topic } : { op: 'subscribe', topic, symbols });

  const clearWatchdog = (): void => {
    if (watchdog !== null) t.clearTimeout(watchdog);
    watchdog = null;
  };
  const clearHealthy = (): void => {
    if (healthyTimer !== null) t.clearTimeout(healthyTimer);
    healthyTimer = null;
  };
  // One timer does both jobs: after `pingAfter` of silence it pings, after `staleAfter` it gives up on the socket.
  const armWatchdog = (): void => {
    clearWatchdog();
    if (closed || socket === null) return;
    const since = t.now() - (status.lastMessageAt ?? t.now());
    if (since >= staleAfter) {
      drop(`no message for ${Math.round(since)} ms`);
      return;
    }
    const next = since < pingAfter ? pingAfter - since : staleAfter - since;
    watchdog = t.setTimeout(() => {
      const quiet = t.now() - (status.lastMessageAt ?? 0);
      if (quiet >= pingAfter && quiet < staleAfter) send({ op: 'ping' });
      armWatchdog();
    }, next);
  };

  /** `lockedOutMs`: the gateway's Retry-After for a locked-out address (at least that long; null: not said, the backoff's). */
  const scheduleReconnect = (reason: string, lockedOut?: Readonly<{ lockedOutMs: number | null }>): void => {
    if (closed || retryTimer !== null) return;
    const base = Math.min(maxBackoff, initialBackoff * 2 ** status.attempt);
    const delay = Math.max(Math.round(base * (1 - jitter + 2 * jitter * random())), lockedOut?.lockedOutMs ?? 0);
    const state = lockedOut === undefined ? 'reconnecting' : 'locked-out';
    setStatus({ state, attempt: status.attempt + 1, retryAt: t.now() + delay, lastError: reason, upstream: null, upstreamSince: null, gapAt: null });
    retryTimer = t.setTimeout(() => {
      retryTimer = null;
      reconnects++;
      connect();
    }, delay);
  };

  /** Abandons the current socket (its late events are ignored) and reconnects. */
  const drop = (reason: string): void => {
    const s = socket;
    socket = null;
    clearWatchdog();
    clearHealthy();
    s?.close();
    scheduleReconnect(reason);
  };

  const accept = (topic: Topic, key: string, venue: string | undefined, seq: number, kind: 'snapshot' | 'delta', data: unknown): void => {
    const last = topicSeq.get(topic) ?? -1;
    // A symbol's key is the same on every venue: BTC/USDT of kraken is not covered by binance's seq
    // (a subscribe that adds `binance:BTC/USDT` beside `kraken:BTC/USDT` is sent binance's older frames).
    const k = `${topic}\u0000${venue ?? ''}\u0000${key}`;
    // A delta at or below the topic's seq was already covered (by a snapshot or an earlier delta).
    // A snapshot is the server's latest for its key: applied unless this key has seen it or newer.
    // A seq names one message of the topic for the server's lifetime, so a snapshot frame at the
    // key's seq is a message already applied: the snapshot of a subscribe sent on an open
    // connection (more symbols, every symbol) repeats the newest message of each key it had, and
    // `onUpdate` was handed that fill or order a second time.
    const isStale = kind === 'delta' ? seq <= last : seq <= (keySeq.get(k) ?? -1);
    if (isStale) {
      stale++;
      return;
    }
    topicSeq.set(topic, Math.max(last, seq));
    keySeq.set(k, seq);
    applied++;
    opts.onUpdate({ topic, key, seq, kind, data });
  };

  const onFrame = (owner: FeedSocket, frame: unknown): void => {
    if (owner !== socket) return;
    received++;
    setStatus({ lastMessageAt: t.now() });
    const decoded = decodeServerMessage(frame);
    if (!decoded.ok) {
      invalid++;
      opts.onInvalid?.(decoded.reason);
      return;
    }
    const m = decoded.message;
    switch (m.type) {
      case 'snapshot':
      case 'delta':
        // Data for a topic we no longer follow may still be in flight after an unsubscribe.
        if (subscriptions.has(m.topic)) accept(m.topic, m.key, m.venue, m.seq, m.type, m.data);
        return;
      case 'error': {
        setStatus({ lastError: `${m.code}: ${m.reason}` });
        const topic = [...subscriptions.keys()].find((t) => t === m.topic);
        if (m.op === 'subscribe' && topic !== undefined) opts.onRefused?.(topic, m.reason);
        return;
      }
      case 'status':
        setStatus({ upstream: m.upstream, upstreamSince: m.since, ...(m.upstream === 'up' && m.gap === true ? { gapAt: m.since } : {}) });
        return;
      case 'subscribed':
        if (subscriptions.has(m.topic)) opts.onSubscribed?.(m.topic, m.snapshot);
        return;
      case 'unsubscribed':
      case 'heartbeat':
      case 'pong':
        return;
    }
  };

  /** A `{ lockedOutMs }` verdict as the client reads it (a negative, non-finite or missing time: null), anything else `unknown`. */
  const lockedOutOf = (v: unknown): ProbeVerdict => {
    if (typeof v !== 'object' || v === null || !('lockedOutMs' in v)) return 'unknown';
    const ms = v.lockedOutMs;
    return { lockedOutMs: typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : null };
  };

  /** A socket that never opened: the token may be refused (the probe says), or the server unreachable. */
  const probeThenReconnect = (reason: string, probe: () => Promise<ProbeVerdict>): void => {
    let settled = false;
    const settle = (verdict: ProbeVerdict): void => {
      if (settled) return;
      settled = true;
      if (probeTimer !== null) t.clearTimeout(probeTimer);
      probeTimer = null;
      if (closed) return;
      if (typeof verdict === 'object') return scheduleReconnect(lockoutLine('viewer', verdict.lockedOutMs), verdict);
      if (verdict !== 'refused') return scheduleReconnect(reason);
      closed = true;
      setStatus({ state: 'refused', retryAt: null, lastError: 'viewer token refused' });
    };
    setStatus({ retryAt: null, lastError: reason });
    // A probe that never answers must not hold reconnection: bounded on the injected clock.
    probeTimer = t.setTimeout(() => settle('unknown'), probeTimeout);
    let asked: Promise<ProbeVerdict>;
    try {
      asked = probe();
    } catch {
      asked = Promise.resolve('unknown');
    }
    asked.then(
      (v) => settle(v === 'refused' || v === 'accepted' ? v : lockedOutOf(v)),
      () => settle('unknown'),
    );
  };

  const connect = (): void => {
    if (closed) return;
    topicSeq.clear();
    keySeq.clear();
    // What the previous connection said of the upstream no longer holds.
    // The attempt after a lockout is a reconnect like any other: the probe says again if it is still locked out.
    const state = status.state === 'locked-out' ? { state: 'reconnecting' as const } : status.state !== 'reconnecting' ? { state: 'connecting' as const } : {};
    setStatus({ upstream: null, upstreamSince: null, gapAt: null, ...state });
    let s: FeedSocket | null = null;
    let opened = false;
    const handlers: SocketHandlers = {
      open: () => {
        if (s === null || s !== socket) return;
        opened = true;
        // `attempt` (the backoff) is kept until the connection has proved itself.
        setStatus({ state: 'open', retryAt: null, lastMessageAt: t.now(), lastError: null });
        for (const [topic, symbols] of subscriptions) sendSubscribe(topic, symbols);
        armWatchdog();
        healthyTimer = t.setTimeout(() => {
          healthyTimer = null;
          if (s === socket && status.attempt !== 0) setStatus({ attempt: 0 });
        }, healthyAfter);
      },
      message: (frame) => {
        if (s !== null) onFrame(s, frame);
      },
      close: (code, reason) => {
        if (s === null || s !== socket) return;
        socket = null;
        clearWatchdog();
        clearHealthy();
        const why = `closed (${code}${reason === '' ? '' : `: ${reason}`})`;
        if (!opened && opts.probe !== undefined) probeThenReconnect(why, opts.probe);
        else scheduleReconnect(why);
      },
    };
    try {
      s = opts.openSocket(opts.url, handlers);
      socket = s;
    } catch (e) {
      scheduleReconnect(e instanceof Error ? e.message : String(e));
    }
  };

  connect();

  return {
    subscribe: (topic, symbols) => {
      const had = subscriptions.get(topic);
      const all = symbols === undefined || (subscriptions.has(topic) && had === undefined);
      subscriptions.set(topic, all ? undefined : [...new Set([...(had ?? []), ...symbols])]);
      // The server adds these to what it holds: sending only the new ones is enough.
      if (status.state === 'open') sendSubscribe(topic, symbols);
    },
    unsubscribe: (topic) => {
      subscriptions.delete(topic);
      topicSeq.delete(topic);
      // A later subscribe of the topic starts over: its snapshot is applied whole.
      for (const k of keySeq.keys()) if (k.startsWith(`${topic}\u0000`)) keySeq.delete(k);
      if (status.state === 'open') send({ op: 'unsubscribe', topic });
    },
    lastSeq: (topic) => topicSeq.get(topic) ?? -1,
    status: () => status,
    stats: () => ({ received, applied, stale, invalid, reconnects }),
    close: () => {
      closed = true;
      if (retryTimer !== null) t.clearTimeout(retryTimer);
      retryTimer = null;
      if (probeTimer !== null) t.clearTimeout(probeTimer);
      probeTimer = null;
      const s = socket;
      socket = null;
      clearWatchdog();
      clearHealthy();
      s?.close();
      // A refused token stays the reason the client stopped.
      if (status.state !== 'refused') setStatus({ state: 'closed', retryAt: null });
    },
  };
}
