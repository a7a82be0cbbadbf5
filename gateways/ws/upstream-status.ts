import type { BusStatus } from '../../streams/bus.js';

/**
 * Whether the gateway's link to NATS is up, as the feed tells its clients. While it is `down` no
 * data flows (heartbeats still do): every value a client holds is stale. When it comes back the
 * status is `up` with `gap: true`: messages published during the outage never reached the feed
 * and `seq` does not show them, so a client should treat what it holds as possibly stale until
 * the next update of each key, and reload event history (orders, fills) it cannot do without.
 */
export type Upstream = 'up' | 'down';
export type UpstreamStatus = Readonly<{ upstream: Upstream; since: number; gap: boolean }>;

/** The `status` frame: `{"type":"status","upstream":"down","since":…}`, `gap:true` after an outage. */
export const statusFrame = (s: UpstreamStatus): string =>
  JSON.stringify({ type: 'status', upstream: s.upstream, since: s.since, ...(s.gap ? { gap: true } : {}) });

/** The upstream a bus status means; undefined for statuses that do not change it. */
export function upstreamOf(s: BusStatus): Upstream | undefined {
  switch (s.type) {
    case 'disconnected':
    case 'reconnecting':
    case 'closed':
      return 'down';
    case 'reconnected':
      return 'up';
    case 'consumer-error':
    case 'subscription-refused':
      return undefined;
  }
}
