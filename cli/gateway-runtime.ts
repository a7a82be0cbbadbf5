import { resolve } from 'node:path';
import type { FeedStatusWatch } from './feed-status-watch.js';
import { PROJECT_ROOT } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { renamedSettingWarnings, usesDevDefault } from '../gateways/http/gateway-config.js';
import { startGatewayServer } from '../gateways/http/gateway-server.js';
import type { GatewayServer } from '../gateways/http/gateway-server.js';
import { feedMetricsFromBus } from '../gateways/http/metrics-feed.js';
import { createEngineMetrics } from '../gateways/http/metrics.js';
import type { EngineMetrics } from '../gateways/http/metrics.js';
import type { Probes } from '../gateways/http/readiness.js';
import { createHub } from '../gateways/ws/hub.js';
import type { Hub } from '../gateways/ws/hub.js';
import { seedModelsSnapshot } from '../gateways/ws/models-seed.js';
import { learnStoredOrders } from '../gateways/ws/orders-seed.js';
import type { ModelRegistry } from '../models/registry/model-registry.js';
import type { Logger } from '../state/logger.js';
import type { Bus } from '../streams/bus.js';
import { createNatsBus } from '../streams/nats-bus.js';
import { streamName } from '../streams/provision.js';
import { subjectsFor } from '../streams/subjects.js';
import { knownAssets } from '../streams/validation/known-assets.js';
import type { Engine } from './engine.js';
import { natsBusOptions } from './nats-options.js';
import { logNatsConnection } from './nats-connection-log.js';
import type { BusConnection } from '../streams/bus-connection.js';
import type { Adapters } from './wiring.js';

export type GatewayRuntime = Readonly<{
  server: GatewayServer;
  /** The feed: `hub.publishLocal('pnl' | 'actors' | 'feeds', key, data)` publishes the engine's own state. */
  hub: Hub;
  /** Engine-internal metrics (stage latencies, consumer lag) are reported through this. */
  metrics: EngineMetrics;
  close(): Promise<void>;
}>;

export type RuntimeOptions = Readonly<{
  env?: NodeJS.ProcessEnv;
  metrics?: EngineMetrics;
  /** The engine's model registry: what each alias holds now seeds the `models` snapshot where the stream lost it. */
  registry?: Pick<ModelRegistry, 'aliasEvents'>;
  /** The engine's NATS link (`logNatsConnection`): on `/healthz` and `/metrics` (`sextant_nats_*`). */
  nats?: BusConnection;
  /** The engine's view of `sextant gateway`'s feeds: on `/metrics` (`sextant_market_data_feed_status_*`). */
  feeds?: Pick<FeedStatusWatch, 'feeds'>;
}>;

/**
 * Builds the metrics (fed from the bus), the websocket hub (its `models` snapshot seeded from the
 * stream, and the approved orders its fills are checked against learnt from it) and the HTTP gateway from `cfg.gateway`. `sextant run` calls it when `gateway.enabled`.
 */
export async function startGatewayRuntime(cfg: Config, bus: Bus, probes: Probes, log: Logger, opts: RuntimeOptions = {}): Promise<GatewayRuntime> {
  const env = opts.env ?? process.env;
  const gw = cfg.gateway;
  const subjects = subjectsFor(cfg.prefix);
  const metrics = opts.metrics ?? createEngineMetrics();
  // A dead letter re-sent within the DLQ stream's duplicate window is one refusal, as the stream keeps one.
  const feed = feedMetricsFromBus(bus, subjects, metrics, { dlqDuplicateWindowMs: cfg.streams.DLQ.duplicateWindowMs });
  const hub = createHub({
    bus,
    subjects,
    limits: gw,
    heartbeatMs: gw.heartbeatMs,
    recentIds: gw.recentIds,
    ordersSnapshotDepth: gw.ordersSnapshotDepth,
    mdSnapshotBars: gw.mdSnapshotBars,
    // A subscribe entry no asset has (`ETH/USDT` where only BTC/USDT is traded, `krakn:BTC/USDT`)
    // matches nothing: refused, naming the closest configured symbols (or the venues).
    assets: cfg.assets,
    // What the asset actors refuse at the edge is not drawn either (nor, stamped ahead of the clock,
    // moves the event time that expires the working orders of the orders snapshot).
    marketData: { maxPayloadBytes: cfg.validation.maxPayloadBytes, isKnown: knownAssets(cfg.assets), maxAheadMs: cfg.validation.maxAheadMs },
    // And a fill the risk actor refuses (no order it approved, not as approved) is not listed.
    bookedFills: true,
    fillPriceToleranceBps: cfg.validation.fillPriceToleranceBps,
    // Live consumers' market fills as the risk actor checks them; the paper venue's it books unchecked.
    ...(cfg.paperVenue.enabled ? {} : { marketFillBandBps: cfg.validation.marketFillBandBps }),
    // A refused fill republished under its id reaches the engine only past SIGNALS' duplicate window.
    fillDuplicateWindowMs: cfg.streams.SIGNALS.duplicateWindowMs,
    // Fills and expiries over the engine's bound it refuses unread (OVERSIZE): not relayed either.
    maxReportBytes: cfg.validation.maxReportBytes,
    // The orders topic is held until learnStoredOrders below has read SIGNALS, then relayed after it.
    learnsStored: true,
    log,
    onClients: (n) => metrics.wsClients(n),
    onServerClose: (reason) => metrics.wsClosed(reason),
    onUpstream: (up) => metrics.wsUpstream(up),
    onDuplicate: () => metrics.wsDuplicate(),
    onWorkingOrderDropped: () => metrics.wsWorkingOrderDropped(),
  });
  // The hub relays what is published from now on; which model each alias serves was told by
  // registry events before that, kept in the stream (OUTCOMES captures `<prefix>.model.>`), and
  // the registry itself holds it where the stream lost them (a demo's reset, a purge). Read
  // before serving so the first subscriber gets them; a failed read leaves the topic as it was.
  await seedModelsSnapshot({ bus, hub, stream: streamName(cfg, 'OUTCOMES'), registry: opts.registry, subjects, log: log.child({ gateway: 'ws' }) });
  // The orders approved before the start (a restart), so that their fills are relayed: as many as
  // the hub remembers (gateway.recentIds), not the read's default 10,000 whatever that says.
  await learnStoredOrders({ bus, hub, stream: streamName(cfg, 'SIGNALS'), subjects, log: log.child({ gateway: 'ws' }), max: gw.recentIds });
  const dev = gw.tokens.filter((t) => usesDevDefault(t, env)).map((t) => t.name);
  if (dev.length > 0) log.warn({ tokens: dev }, 'gateway tokens use the dev defaults of config/default.yaml: set SEXTANT_VIEWER_TOKEN / SEXTANT_OPERATOR_TOKEN');
  for (const w of renamedSettingWarnings(gw)) log.warn({}, w);
  let server: GatewayServer;
  let control: Bus | undefined;
  let controlLink: BusConnection | undefined;
  try {
    // The dashboard's control requests under an operator's NATS login where one is configured.
    if (gw.controlNats !== undefined && bus.kind === 'nats') {
      const login = { url: cfg.nats.url, connectTimeoutMs: cfg.nats.connectTimeoutMs, user: gw.controlNats.user, password: gw.controlNats.password ?? '', inboxPrefix: gw.controlNats.inboxPrefix };
      control = await createNatsBus(natsBusOptions(login, `${cfg.nats.name}-control`));
      // Its own connection: a drop of it is said too (the dashboard's control requests fail meanwhile),
      // and counted beside the engine's under its client name (sextant_nats_*{connection="…-control"}).
      const link = logNatsConnection(control, log, `${cfg.nats.name}-control`);
      controlLink = link;
      metrics.natsConnection(`${cfg.nats.name}-control`, () => link.state());
    }
    const link = opts.nats;
    if (link !== undefined) metrics.natsConnection(cfg.nats.name, () => link.state());
    const seen = opts.feeds;
    if (seen !== undefined) metrics.marketDataFeeds(() => seen.feeds());
    server = await startGatewayServer({
      config: gw,
      staticDir: resolve(PROJECT_ROOT, gw.staticDir),
      hub,
      metrics,
      probes,
      ...(link !== undefined ? { nats: () => link.state() } : {}),
      bus: control ?? bus,
      subjects,
      log,
      env,
      buildMissingDashboard: true,
    });
  } catch (e) {
    hub.close();
    feed.unsubscribe();
    controlLink?.stop();
    await control?.close();
    throw e;
  }
  return {
    server,
    hub,
    metrics,
    close: async () => {
      hub.close();
      feed.unsubscribe();
      await server.close();
      controlLink?.stop();
      await control?.close();
    },
  };
}

/**
 * Readiness of a running engine: NATS answers a round trip, Redis and PostgreSQL answer a cheap
 * read, and every asset actor's consumer is up (not failed, waiting to restart or stopped: `sextant
 * run` stops the engine before the gateway, and a stopping engine is not ready). An in-process
 * fallback adapter counts as not ready: the service it stands for is unreachable.
 */
export function engineProbes(cfg: Config, adapters: Pick<Adapters, 'bus' | 'features' | 'timeseries'>, engine: Readonly<{ supervisor: Pick<Engine['supervisor'], 'status'> }>): Probes {
  const asset = cfg.assets[0];
  const unreachable = (service: string): Promise<never> => Promise.reject(new Error(`${service} runs on the in-process fallback`));
  return {
    nats: () => (adapters.bus.kind === 'nats' ? adapters.bus.flush() : unreachable('NATS')),
    redis: () => (adapters.features.kind === 'redis' && asset !== undefined ? adapters.features.latest(asset) : unreachable('Redis')),
    postgres: () => (adapters.timeseries.flavor !== 'memory' && asset !== undefined ? adapters.timeseries.lastTs('bars', asset.venue, asset.symbol) : unreachable('PostgreSQL')),
    consumers: async () => {
      const down = engine.supervisor.status().filter((a) => a.state === 'failed' || a.state === 'restarting' || a.state === 'stopped');
      if (down.length > 0) throw new Error(`not consuming: ${down.map((a) => `${a.key} (${a.state})`).join(', ')}`);
    },
  };
}
