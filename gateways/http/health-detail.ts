import type { BusConnectionState } from '../../streams/bus-connection.js';
import type { Readiness } from './readiness.js';

/**
 * What `/healthz` and `/readyz` tell a caller without the metrics token (`metrics-access.ts`):
 * whether each dependency is up, never why not. A failure's words name what a stranger should not
 * learn from an open probe: `connect ECONNREFUSED 10.0.4.7:5432`, `password authentication failed
 * for user "sextant"`, the NATS server an outage dropped from. The status code is the same either
 * way (orchestrators' probes read only it); the reasons stay in the log and in the answer to a
 * request with the metrics token (or to anyone while no metrics token is configured, as `/metrics`).
 */
export type PublicOutage = Readonly<{ at: string; until: string | null; ms: number }>;
export type PublicConnection = Readonly<Omit<BusConnectionState, 'lastOutage'> & { lastOutage: PublicOutage | null }>;

/** A NATS link without the server's address and the error text of its last outage. */
export function publicConnection(s: BusConnectionState): PublicConnection {
  const o = s.lastOutage;
  return { ...s, lastOutage: o === null ? null : { at: o.at, until: o.until, ms: o.ms } };
}

/** Each probe's `ok` and `ms`, without its `error` (`failed` names the ones down). */
export function publicChecks(r: Readiness): Readonly<Record<string, Readonly<{ ok: boolean; ms: number }>>> {
  return Object.fromEntries(Object.entries(r.checks).map(([name, c]) => [name, { ok: c.ok, ms: c.ms }]));
}
