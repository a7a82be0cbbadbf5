import type { Bus, BusStatus } from './bus.js';

/** One time the bus link was down: from `at` to `until` (ISO; null while it lasts), `ms` long. */
export type BusOutage = Readonly<{
  at: string;
  until: string | null;
  /** How long it was down; while it lasts, how long so far. */
  ms: number;
  /** The server the link dropped from, and why (nats-disconnect-cause.ts `disconnectReason`: the socket's error, the server's -ERR, or `server closed the connection`; null where the bus cannot tell). */
  server: string | null;
  error: string | null;
}>;

/** Where a process's bus link stands, for `/healthz`, `/metrics` and `ctl status`. */
export type BusConnectionState = Readonly<{
  connected: boolean;
  /** Since when (ISO) it is as `connected` says: the watch's start, or the last disconnect or reconnect. */
  since: string;
  /** Links lost and regained since the process connected. */
  disconnects: number;
  reconnects: number;
  /** The outage under way while disconnected, else the last one; null before the first. */
  lastOutage: BusOutage | null;
}>;

export type BusConnectionEvent =
  | Readonly<{ type: 'disconnected'; server: string | null; error: string | null }>
  | Readonly<{ type: 'reconnected'; server: string | null; downMs: number; outage: BusOutage }>;

export type BusConnection = Readonly<{
  state(): BusConnectionState;
  stop(): void;
}>;

/**
 * Follows the bus's `disconnected` / `reconnected` statuses (the NATS client reconnects by itself)
 * into a {@link BusConnectionState}, telling `onEvent` of each change. `now` is the wall clock in
 * ms (injected for tests).
 */
export function trackBusConnection(bus: Pick<Bus, 'onStatus'>, now: () => number, onEvent: (e: BusConnectionEvent) => void = () => {}): BusConnection {
  const iso = (ms: number): string => new Date(ms).toISOString();
  let connected = true;
  let since = now();
  let disconnects = 0;
  let reconnects = 0;
  let down: { at: number; server: string | null; error: string | null } | undefined;
  let last: BusOutage | null = null;
  const sub = bus.onStatus((s: BusStatus) => {
    if (s.type === 'disconnected') {
      if (!connected) return;
      connected = false;
      since = now();
      disconnects++;
      down = { at: since, server: s.server ?? null, error: s.error ?? null };
      onEvent({ type: 'disconnected', server: down.server, error: down.error });
    } else if (s.type === 'reconnected') {
      if (connected || down === undefined) return;
      connected = true;
      since = now();
      reconnects++;
      last = { at: iso(down.at), until: iso(since), ms: since - down.at, server: down.server, error: down.error };
      down = undefined;
      onEvent({ type: 'reconnected', server: s.server ?? null, downMs: last.ms, outage: last });
    }
  });
  return {
    state: () => {
      const t = now();
      const lastOutage = down !== undefined ? { at: iso(down.at), until: null, ms: t - down.at, server: down.server, error: down.error } : last;
      return { connected, since: iso(since), disconnects, reconnects, lastOutage };
    },
    stop: () => sub.unsubscribe(),
  };
}
