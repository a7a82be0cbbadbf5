import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Requester } from '../../streams/bus.js';
import type { BusConnectionState } from '../../streams/bus-connection.js';
import type { buildDashboard as BuildDashboard } from '../dashboard/build.js';
import { dashboardBuildReason } from '../dashboard/build-stamp.js';
import type { Subjects } from '../../streams/subjects.js';
import type { Logger } from '../../state/logger.js';
import { createTokenAuth } from '../ws/auth.js';
import { createFeedUpgrade, refuseUpgrade } from '../ws/feed-upgrade.js';
import type { Hub } from '../ws/hub.js';
import { createOriginCheck } from '../ws/origin-check.js';
import { handleControl } from './control-route.js';
import type { GatewayConfig } from './gateway-config.js';
import { resolveGatewayTokens } from './gateway-config.js';
import { sendJson } from './http-reply.js';
import type { EngineMetrics } from './metrics.js';
import { AUTH_FAILURE_DEFAULTS, createAuthFailureLimiter } from './auth-failure-limiter.js';
import { authFailureMetrics } from './auth-failure-metrics.js';
import { createMetricsAccess, METRICS_TOKEN_REQUIRED, openMetricsWarning, probeAccessOf } from './metrics-access.js';
import { refuseAuth } from './refuse-auth.js';
import { publicChecks, publicConnection } from './health-detail.js';
import { checkReadiness, readinessLog } from './readiness.js';
import type { Probes } from './readiness.js';
import { serveStatic } from './static-files.js';

/**
 * Builds the dashboard into `dir` when it has no index.html, or holds a build of ours whose
 * sources changed since (`build-stamp.ts`: a checkout updated after its first start served the
 * old page); a page of the operator's own (no stamp, not the default folder) is left alone.
 */
async function ensureDashboard(dir: string, log: Logger): Promise<void> {
  const reason = await dashboardBuildReason(dir);
  if (reason === undefined) return;
  log.info({ dir }, reason);
  let build: typeof BuildDashboard;
  try {
    // esbuild is a development dependency: loaded only when a build is needed.
    build = (await import('../dashboard/build.js')).buildDashboard;
  } catch (e) {
    throw new Error(`the dashboard cannot be built into ${dir} here (${(e as Error).message}; ${reason}): run \`npm run build:dashboard\` where esbuild is installed`, { cause: e });
  }
  const r = await build(dir);
  log.info({ dir: r.outDir, bytes: r.bytes }, 'dashboard built');
}

export type GatewayServerOptions = Readonly<{
  config: GatewayConfig;
  /** The dashboard's files (defaults to `config.staticDir` as given). */
  staticDir?: string;
  hub: Hub;
  metrics: EngineMetrics;
  /** Readiness probes by name (nats, redis, postgres, consumers): `/readyz` is 200 only when all pass. */
  probes: Probes;
  probeTimeoutMs?: number;
  /**
   * The process's NATS link (cli/nats-connection-log.ts): `/healthz` says `degraded` while it is
   * down (still 200: the process is alive and the client reconnects by itself) and gives it as
   * `nats`. Left out (an in-process bus), `/healthz` says `ok`.
   */
  nats?: () => BusConnectionState;
  /** Control requests from the dashboard go out through this (`sx.ctl.<verb>`). */
  bus: Requester;
  subjects: Subjects;
  log: Logger;
  /** Where `${VAR:-default}` token values are read from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Builds the dashboard into the static folder first when it has no index.html (esbuild, about
   * a second; `sextant run` and the demo set it). Off by default: a test serving some other
   * folder must not get a bundle written into it.
   */
  buildMissingDashboard?: boolean;
  /** The clock of the failed-authentication limiter (default Date.now; tests step their own). */
  now?: () => number;
}>;

export type GatewayServer = Readonly<{
  /** `http://host:port` of the bound server. */
  url: string;
  port: number;
  close(): Promise<void>;
}>;

/**
 * The engine's one HTTP server: `/healthz` (`degraded` while NATS is down), `/readyz`, `/metrics` (a `metrics` token's
 * once one is configured: `metrics-access.ts`), `POST /api/ctl/<verb>`, the websocket feed at `/ws` and the dashboard's
 * static files at `/`. Listening beyond the loopback with `/metrics` open, it warns. `/healthz` and `/readyz` are open,
 * their failures' reasons (server addresses, user names) given only to whom `/metrics` is (`health-detail.ts`) and logged;
 * a request there with another token is refused as on `/metrics` (`probeAccessOf`).
 *
 * @example const gw = await startGatewayServer({ config: cfg.gateway, hub, metrics, probes, bus, subjects, log }); // gw.url
 */
/**
 * The request's path, or undefined when its target does not parse as one: Node's HTTP parser takes
 * targets the URL parser refuses (`//%zz/ws`: an authority with a bad host).
 */
function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

export async function startGatewayServer(opts: GatewayServerOptions): Promise<GatewayServer> {
  const cfg = opts.config;
  const log = opts.log.child({ gateway: 'http' });
  const tokens = resolveGatewayTokens(cfg.tokens, opts.env ?? process.env);
  const auth = createTokenAuth(tokens);
  const metricsAccess = createMetricsAccess(tokens, auth);
  const limiter = createAuthFailureLimiter({ ...AUTH_FAILURE_DEFAULTS, ...cfg.authFailureLimit, now: opts.now ?? Date.now, log, counts: authFailureMetrics(opts.metrics.registry) });
  // The gateway serves plain HTTP: its own pages come from http://<Host>.
  const originAllowed = createOriginCheck(cfg, { scheme: 'http', bindHost: cfg.host });
  const staticDir = opts.staticDir ?? cfg.staticDir;
  if (opts.buildMissingDashboard === true) await ensureDashboard(staticDir, log);
  const feed = createFeedUpgrade({ hub: opts.hub, auth, originAllowed, maxClients: cfg.maxClients, maxInboundBytes: cfg.maxInboundBytes, limiter });
  const logReadiness = readinessLog(log);
  const control = { bus: opts.bus, subjects: opts.subjects, auth, originAllowed, timeoutMs: cfg.controlTimeoutMs, log, limiter };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = pathOf(req);
    if (path === undefined) return sendJson(res, 400, { error: 'bad request: the path is not a URL path' });
    // `/api/ctl` with no verb is the control route's too (an unknown verb there), not a 405 of the pages.
    if (path === '/api/ctl' || path.startsWith('/api/ctl/')) return handleControl(control, req, res, path.slice('/api/ctl/'.length));
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
    switch (path) {
      // Open to probes; the reasons (addresses, user names) only with the metrics token, else in the log: health-detail.ts.
      // A token other than the metrics token is refused as /metrics refuses it (probeAccessOf: no oracle for guesses).
      case '/healthz': {
        const access = probeAccessOf(metricsAccess, req);
        if (access === 'refused') return refuseAuth(limiter, req, res, 'metrics', METRICS_TOKEN_REQUIRED);
        const nats = opts.nats?.();
        if (nats === undefined) return sendJson(res, 200, { status: 'ok' });
        return sendJson(res, 200, { status: nats.connected ? 'ok' : 'degraded', nats: access === 'full' ? nats : publicConnection(nats) });
      }
      case '/readyz': {
        const access = probeAccessOf(metricsAccess, req);
        if (access === 'refused') return refuseAuth(limiter, req, res, 'metrics', METRICS_TOKEN_REQUIRED);
        const r = await checkReadiness(opts.probes, opts.probeTimeoutMs ?? 2000);
        logReadiness(r);
        return sendJson(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'unavailable', failed: r.failed, checks: access === 'full' ? r.checks : publicChecks(r) });
      }
      case '/metrics': {
        if (!metricsAccess.allowed(req)) return refuseAuth(limiter, req, res, 'metrics', METRICS_TOKEN_REQUIRED);
        const text = await opts.metrics.text();
        res.writeHead(200, { 'Content-Type': opts.metrics.contentType, 'Cache-Control': 'no-store' });
        res.end(text);
        return;
      }
      case '/ws':
        // A browser never sees the 401 of a refused upgrade (only close 1006, as for a server that
        // is down): the dashboard asks here, with the same token, whether it is worth retrying.
        if (feed.identify(req) === undefined) return refuseAuth(limiter, req, res, 'feed', { error: 'unknown or missing token' });
        return sendJson(res, 426, { error: 'upgrade required' }, { Upgrade: 'websocket' });
      default:
        return serveStatic(staticDir, req, res, path);
    }
  };

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      // The path only: the query may hold a token (the dashboard's own address is `/?token=…`).
      log.error({ err: (e as Error).message, method: req.method, path: pathOf(req) ?? '?' }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    // Synchronous in a socket event: a throw here would end the process, so nothing may throw.
    const path = pathOf(req);
    if (path === undefined) return refuseUpgrade(socket, 400, 'bad request: the path is not a URL path');
    if (path !== '/ws') return refuseUpgrade(socket, 404, 'no websocket here: use /ws');
    feed.handle(req, socket, head);
  });
  server.on('clientError', (_e, socket) => refuseUpgrade(socket, 400, 'bad request'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  const url = `http://${host}:${port}`;
  log.info({ url, metricsToken: metricsAccess.protected }, 'gateway listening');
  const openMetrics = openMetricsWarning(metricsAccess, address);
  if (openMetrics !== undefined) log.warn({ url, address }, openMetrics);
  return {
    url,
    port,
    close: async () => {
      feed.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
