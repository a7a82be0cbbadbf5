import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '../../state/logger.js';
import type { BusConnectionState } from '../../streams/bus-connection.js';
import { AUTH_FAILURE_DEFAULTS, createAuthFailureLimiter } from '../http/auth-failure-limiter.js';
import { authFailureMetrics } from '../http/auth-failure-metrics.js';
import type { GatewayConfig } from '../http/gateway-config.js';
import { publicConnection } from '../http/health-detail.js';
import type { PublicConnection } from '../http/health-detail.js';
import type { MetricsAccess } from '../http/metrics-access.js';
import { METRICS_TOKEN_REQUIRED, probeAccessOf } from '../http/metrics-access.js';
import { natsConnectionMetrics } from '../http/nats-connection-metrics.js';
import { refuseAuth } from '../http/refuse-auth.js';
import { FEED_STATES } from './feed-status.js';
import type { FeedStatusBoard, FeedStatusEntry } from './feed-status.js';

export type FeedStatusServerOptions = Readonly<{
  board: FeedStatusBoard;
  host: string;
  /** 0: any free port (tests). */
  port: number;
  log: Logger;
  /** Node's process metrics too (default true). */
  defaultMetrics?: boolean;
  /** The gateway's NATS link (cli/nats-connection-log.ts), on /metrics as `sextant_nats_*{connection}` and on /healthz and /readyz as `nats` (`degraded` while down). */
  nats?: GatewayNatsLink;
  /**
   * Who may read `/metrics`, and the reasons on `/healthz` and `/readyz`, as on the dashboard's
   * gateway (`metricsAccessOf(cfg.gateway.tokens, env)`: `SEXTANT_METRICS_TOKEN`); left out, anyone.
   */
  metricsAccess?: MetricsAccess;
  /** Failed metrics tokens per client address, as on the dashboard's gateway (`gateway.authFailureLimit`, default 20 in 60 s). */
  authFailureLimit?: GatewayConfig['authFailureLimit'];
  /** The limiter's clock (default Date.now; tests step their own). */
  now?: () => number;
}>;

/** A NATS link by its client name (`sextant-gateway`), read at each scrape. */
export type GatewayNatsLink = Readonly<{ connection: string; read: () => BusConnectionState }>;

export type FeedStatusServer = Readonly<{ url: string; registry: Registry; close(): Promise<void> }>;

const LABELS = ['venue', 'symbol', 'stream'] as const;
const labelsOf = (e: FeedStatusEntry) => ({ venue: e.venue, symbol: e.symbol, stream: e.stream });

/**
 * The metrics of the market-data gateway's feeds, read off the board at each scrape, and of its NATS
 * link where given (`sextant_nats_*`, as the engine's: a gateway cut off from NATS publishes nothing,
 * however live its feeds).
 */
export function feedStatusMetrics(board: FeedStatusBoard, opts: Readonly<{ defaultMetrics?: boolean; nats?: GatewayNatsLink }> = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'sextant_' });
  if (opts.nats !== undefined) natsConnectionMetrics(registry).add(opts.nats.connection, opts.nats.read);
  const registers = [registry];
  new Gauge({
    name: 'sextant_market_data_feed_status',
    help: 'Where each market-data feed stands (1 for its state, 0 for the others): starting, live, retrying, held (venue Retry-After), stale (silent past marketData.watchdog), failed, restarting, stopped',
    labelNames: [...LABELS, 'status'],
    registers,
    collect() {
      for (const e of board.entries()) for (const s of FEED_STATES) this.set({ ...labelsOf(e), status: s }, e.state === s ? 1 : 0);
    },
  });
  const seen = new Map<string, number>();
  new Counter({
    name: 'sextant_market_data_feed_restarts_total',
    help: 'Restarts of each market-data feed by its supervisor (after a failure, or silent past marketData.watchdog), marketData.restart backoff',
    labelNames: LABELS,
    registers,
    collect() {
      for (const e of board.entries()) {
        const had = seen.get(e.feed) ?? 0;
        // A series for every feed from the first scrape, 0 until it restarts.
        this.inc(labelsOf(e), Math.max(0, e.restarts - had));
        seen.set(e.feed, Math.max(had, e.restarts));
      }
    },
  });
  new Gauge({
    name: 'sextant_market_data_feed_status_since_seconds',
    help: 'When each market-data feed entered its current status (gateway clock, seconds since epoch)',
    labelNames: LABELS,
    registers,
    collect() {
      for (const e of board.entries()) this.set(labelsOf(e), e.since / 1000);
    },
  });
  return registry;
}

export type FeedHealth = Readonly<{
  status: 'ok' | 'degraded' | 'down';
  feeds: number;
  down: readonly FeedStatusEntry[];
  /** The gateway's NATS link where given (as the engine's /healthz and `ctl status` give theirs). */
  nats?: BusConnectionState;
}>;

/**
 * What /healthz and /readyz say: `ok` while every feed is live and the NATS link (where given) is
 * up, `degraded` with the other feeds or while NATS is down (the feeds' bars and trades wait
 * unpublished; the client reconnects by itself), `down` while every feed has failed and none
 * connected since (the supervisor restarting them all: the gateway delivers nothing; it used to
 * exit then).
 */
export function feedHealth(board: FeedStatusBoard, nats?: BusConnectionState): FeedHealth {
  const down = board.down();
  const status = board.allFailed() ? 'down' : down.length === 0 && nats?.connected !== false ? 'ok' : 'degraded';
  return { status, feeds: board.entries().length, down, ...(nats !== undefined ? { nats } : {}) };
}

/** The feeds not ready as a caller without the metrics token sees them: no `reason` (a venue's or proxy's URL, a server's words). */
export type PublicFeedHealth = Readonly<Omit<FeedHealth, 'down' | 'nats'> & { down: readonly Omit<FeedStatusEntry, 'reason'>[]; nats?: PublicConnection }>;

/** {@link FeedHealth} without the failures' words and the NATS server's address (`health-detail.ts`): state, code and times stay. */
export function publicFeedHealth(h: FeedHealth): PublicFeedHealth {
  return {
    status: h.status,
    feeds: h.feeds,
    down: h.down.map(({ reason: _reason, ...rest }) => rest),
    ...(h.nats !== undefined ? { nats: publicConnection(h.nats) } : {}),
  };
}

/**
 * The HTTP endpoint of `sextant gateway` (`marketData.http`): `GET /metrics` (Prometheus text:
 * `sextant_market_data_feed_status{venue,symbol,stream,status}`,
 * `sextant_market_data_feed_restarts_total{venue,symbol,stream}`,
 * `sextant_market_data_feed_status_since_seconds`, `sextant_nats_connected{connection}`,
 * `sextant_nats_reconnects_total`, `sextant_nats_last_outage_seconds` where `nats` is given, process
 * metrics), `GET /healthz` (200, `status`
 * `ok`, `degraded` with the feeds not live, each with its state, code, reason and retryAt, or while
 * the NATS link is down, given as `nats` (connected, since, disconnects, reconnects, lastOutage), or
 * `down` when every feed has failed: the process works and restarts them, a venue may not) and
 * `GET /readyz` (the same body, 503 unless `ok`). `/metrics` needs the metrics token once one is
 * configured (`metricsAccess`: 401, 429 past `authFailureLimit`, as the dashboard's gateway), and
 * `/healthz` and `/readyz`, open to probes, give the feeds' reasons and the NATS server only with it
 * ({@link publicFeedHealth} otherwise: the same status code); another token there is refused as on `/metrics`.
 */
export async function startFeedStatusServer(o: FeedStatusServerOptions): Promise<FeedStatusServer> {
  const registry = feedStatusMetrics(o.board, { ...(o.defaultMetrics !== undefined ? { defaultMetrics: o.defaultMetrics } : {}), ...(o.nats !== undefined ? { nats: o.nats } : {}) });
  const access = o.metricsAccess ?? { protected: false, allowed: () => true };
  const limiter = createAuthFailureLimiter({ ...AUTH_FAILURE_DEFAULTS, ...o.authFailureLimit, now: o.now ?? Date.now, log: o.log, counts: authFailureMetrics(registry) });
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'GET only' });
    if (path === '/healthz' || path === '/readyz') {
      // A token other than the metrics token is refused as on /metrics: the short body would tell it from the right one.
      const detail = probeAccessOf(access, req);
      if (detail === 'refused') return refuseAuth(limiter, req, res, 'metrics', METRICS_TOKEN_REQUIRED);
      const h = feedHealth(o.board, o.nats?.read());
      return json(res, path === '/readyz' && h.status !== 'ok' ? 503 : 200, detail === 'full' ? h : publicFeedHealth(h));
    }
    if (path === '/metrics') {
      if (!access.allowed(req)) return refuseAuth(limiter, req, res, 'metrics', METRICS_TOKEN_REQUIRED);
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
          res.end(text);
        },
        (e: unknown) => json(res, 500, { error: e instanceof Error ? e.message : String(e) }),
      );
      return;
    }
    return json(res, 404, { error: 'not found: /metrics, /healthz, /readyz' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: Error) => reject(new Error(`marketData.http cannot listen on ${o.host}:${o.port} (${e.message}): set marketData.http.port, or enabled: false`, { cause: e })));
    server.listen(o.port, o.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  o.log.info({ url, metricsToken: access.protected }, 'market-data gateway metrics and health listening');
  return {
    url,
    registry,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
