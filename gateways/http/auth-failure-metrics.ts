import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/** What the failed-authentication limiter counts, by where the token was refused (`control`, `feed`, `metrics`). */
export type AuthFailureCounts = Readonly<{
  failure(where: string): void;
  lockout(where: string): void;
}>;

const FAILURES = 'sextant_gateway_auth_failures_total';
const LOCKOUTS = 'sextant_gateway_auth_lockouts_total';

/**
 * `sextant_gateway_auth_failures_total{where}` (every refused token, the ones answered 429
 * included) and `sextant_gateway_auth_lockouts_total{where}` (a client address, or IPv6 /64, locked
 * out for `gateway.authFailureLimit`: where its last allowed failure was) on the gateway's
 * registry. The lockout is one log line a window; the counter lets an alert see it. Registered once
 * per registry: a second gateway on the same registry shares the series.
 */
export function authFailureMetrics(registry: Registry): AuthFailureCounts {
  const counter = (name: string, help: string): Counter<'where'> =>
    (registry.getSingleMetric(name) as Counter<'where'> | undefined) ?? new Counter({ name, help, labelNames: ['where'], registers: [registry] });
  const failures = counter(FAILURES, 'Failed authentications at the gateway (a missing or unknown token; on /metrics any but a metrics token, on /healthz and /readyz any other presented), 429s included, by where: control, feed, metrics');
  const lockouts = counter(LOCKOUTS, 'Client addresses (IPv6: /64s) locked out for gateway.authFailureLimit failed authentications in a window, by where the last allowed failure was');
  return {
    failure: (where) => failures.inc({ where }),
    lockout: (where) => lockouts.inc({ where }),
  };
}
