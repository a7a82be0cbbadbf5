import type { IncomingMessage } from 'node:http';
import type { GatewayToken } from './gateway-config.js';
import { resolveGatewayTokens } from './gateway-config.js';
import type { TokenAuth } from '../ws/auth.js';
import { bearerToken, createTokenAuth } from '../ws/auth.js';

/**
 * Who may read `GET /metrics`: anyone while no `metrics` token is configured (Prometheus on the
 * loopback, the default bind), else only a request with `Authorization: Bearer <metrics token>`
 * (compared in constant time by {@link TokenAuth}). A viewer's or an operator's token is refused
 * like an unknown one, so /metrics tells nobody which other tokens exist. No `?token=`: a query
 * token ends up in access logs, and Prometheus sends the header.
 */
export type MetricsAccess = Readonly<{
  /** True when a `metrics` token is configured: `/metrics` needs one. */
  protected: boolean;
  allowed(req: IncomingMessage): boolean;
}>;

/** The body of the 401 a request for `/metrics` without the metrics token gets (with `WWW-Authenticate: Bearer`: `refuse-auth.ts`). */
export const METRICS_TOKEN_REQUIRED = { error: 'unauthorized', message: 'a metrics token is required (Authorization: Bearer …)' } as const;

export function createMetricsAccess(tokens: readonly GatewayToken[], auth: TokenAuth): MetricsAccess {
  const isProtected = tokens.some((t) => t.role === 'metrics');
  return {
    protected: isProtected,
    allowed: (req) => !isProtected || auth.authenticate(bearerToken(req))?.role === 'metrics',
  };
}

/**
 * What `/healthz` and `/readyz` answer a request once a metrics token is configured: `full` (the
 * reasons, `health-detail.ts`) to whom `/metrics` is open, `public` (the same status code, no
 * reasons) to a request with no `Authorization` header (orchestrators' probes), and `refused` to one
 * whose `Authorization` is not the metrics token: refused as `/metrics` refuses it (401, counted by
 * the failed-authentication limiter, 429 once locked out: `refuse-auth.ts`). Were a wrong token
 * answered with the public body, the probes would tell full from short, and so a good token from a
 * bad one, to anyone guessing, without limit.
 */
export type ProbeAccess = 'full' | 'public' | 'refused';

export function probeAccessOf(access: MetricsAccess, req: IncomingMessage): ProbeAccess {
  if (access.allowed(req)) return 'full';
  return req.headers.authorization === undefined ? 'public' : 'refused';
}

/**
 * The same rule for another listener than the dashboard's (`sextant gateway`'s `marketData.http`):
 * the `metrics` entries of `gateway.tokens` as configured, `${VAR}` read from `env`
 * (`SEXTANT_METRICS_TOKEN`), no other role's token loaded.
 */
export function metricsAccessOf(tokens: readonly GatewayToken[], env: NodeJS.ProcessEnv): MetricsAccess {
  const metrics = resolveGatewayTokens(tokens, env).filter((t) => t.role === 'metrics');
  return createMetricsAccess(metrics, createTokenAuth(metrics));
}

/** True for an address of the loopback interface (127.0.0.0/8, ::1, and 127.x mapped into IPv6). */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase();
  return a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');
}

/**
 * The warning for a gateway listening beyond the loopback with `/metrics` open, or undefined.
 * A warning, not a refusal to start: in a container the gateway must bind 0.0.0.0 to be scraped
 * at all, usually on a private network the engine cannot tell from a public one, and an engine
 * that stops trading after an upgrade over a monitoring setting is the worse failure (the dev
 * tokens are warned about likewise).
 */
export function openMetricsWarning(access: MetricsAccess, boundAddress: string): string | undefined {
  if (access.protected || isLoopbackAddress(boundAddress)) return undefined;
  return (
    `the gateway listens on ${boundAddress}, beyond the loopback, and GET /metrics needs no token: anyone who reaches the port reads order counts, ` +
    'risk state and model versions. Set SEXTANT_METRICS_TOKEN (the `metrics` entry of gateway.tokens) and give Prometheus the same token ' +
    '(authorization: { credentials_file }, deploy/prometheus/prometheus.yml), or bind gateway.host to 127.0.0.1'
  );
}
