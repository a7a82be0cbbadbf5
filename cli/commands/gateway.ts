import { loadConfig } from '../../config/load.js';
import { createMarketDataSource } from '../../gateways/market-data/market-data-from-config.js';
import { createMarketDataSink } from '../../gateways/market-data/market-data-sink.js';
import type { GatewayStatus } from '../../gateways/market-data/market-data-source.js';
import { configuredFeeds, createFeedStatusBoard } from '../../gateways/market-data/feed-status.js';
import { startFeedStatusServer } from '../../gateways/market-data/feed-status-server.js';
import { metricsAccessOf } from '../../gateways/http/metrics-access.js';
import { allFailedAlarm } from '../../gateways/market-data/all-failed-alarm.js';
import { startFeedStatusPublisher } from '../../gateways/market-data/feed-status-publisher.js';
import type { FeedStatusPublisher } from '../../gateways/market-data/feed-status-publisher.js';
import { subjectsFor } from '../../streams/subjects.js';
import type { FeedStatusServer } from '../../gateways/market-data/feed-status-server.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { natsBusOptions } from '../nats-options.js';
import { logNatsConnection } from '../nats-connection-log.js';
import { streamSpecs } from '../../streams/provision.js';
import { gatewaySinkOptions } from '../gateway-sink.js';
import { createLogger } from '../logger.js';
import { spellingHint } from './symbol-spelling.js';
import { onStopSignals } from '../stop-signals.js';
import type { StopSignals } from '../stop-signals.js';

export type GatewayCommandOptions = Readonly<{
  configFile?: string;
  /** Overrides `marketData.provider`. */
  provider?: 'ccxt' | 'twelvedata';
  /** A subset of the configured assets' symbols. */
  symbols?: readonly string[];
  /** Listens to SIGINT and SIGTERM (`onStopSignals` on `process`; a stand-in in tests). */
  stopSignals?: (whileStopping: string) => StopSignals;
}>;

/**
 * `sextant gateway`: runs the configured market-data provider, publishing trades, quotes and
 * closed bars of the configured assets into JetStream, until SIGINT/SIGTERM. Status changes
 * (connected, retrying, held, stale, backfilled, refused, failed, restarting) are logged; on exit a
 * JSON summary of them is printed on stdout, `failed` counting the feeds down when it stopped
 * (failed, waiting to restart: `marketData.restart`). Exits 1 when every feed was. It does not exit
 * when every feed fails (each is restarted): an error line says so once (`all-failed-alarm.ts`) and
 * /healthz says `down`. Each feed's status is served on `marketData.http` (/metrics, /healthz,
 * /readyz: `feed-status-server.ts`), with its NATS link (/healthz `degraded` while it is down).
 */
export async function runGateway(opts: GatewayCommandOptions): Promise<void> {
  const cfg = loadConfig({ file: opts.configFile });
  const log = createLogger(cfg.log.level).child({ component: 'market-data' });
  const md = { ...cfg.marketData, ...(opts.provider !== undefined ? { provider: opts.provider } : {}) };
  const assets = opts.symbols === undefined ? cfg.assets : cfg.assets.filter((a) => opts.symbols?.includes(a.symbol));
  const unknown = (opts.symbols ?? []).filter((s) => !cfg.assets.some((a) => a.symbol === s));
  if (unknown.length > 0) throw new Error(`not configured assets: ${unknown.join(', ')} (add them under assets: in the config)${spellingHint(unknown, cfg.assets.map((a) => a.symbol))}`);

  // The provider first: a missing API key or an unknown exchange id is said before NATS is reached
  // (it connected and created the streams, then said the key was missing). Building a source opens
  // no connection; run() does.
  const source = await createMarketDataSource(md, { assets, env: process.env, now: () => Date.now(), log });
  const bus = await createNatsBus(natsBusOptions(cfg.nats, `${cfg.nats.name}-gateway`)).catch(async (e: unknown) => {
    await source.close().catch(() => {});
    throw e;
  });
  // A lost NATS connection is said (warning: the server, the error) and its return (info: how long
  // it was down): the sink's publishes wait for it meanwhile.
  const nats = logNatsConnection(bus, log, `${cfg.nats.name}-gateway`);
  const counts: Record<string, number> = {};
  let feeds = 0;
  /** Where each feed stands, for /metrics and /healthz. */
  const board = createFeedStatusBoard(configuredFeeds(md, assets), () => Date.now());
  // Every feed failed at once: an error line (and /healthz `down`); the supervisor restarts them.
  const alarm = allFailedAlarm(board, log);
  /** The statuses on core NATS for the engine (`sx.mdstatus.…`): each change, and all every marketData.statusEveryMs. */
  let published: FeedStatusPublisher | undefined;
  const onStatus = (s: GatewayStatus): void => {
    board.apply(s);
    alarm();
    published?.changed();
    counts[s.type] = (counts[s.type] ?? 0) + 1;
    if (s.type === 'connected' || s.type === 'subscribed' || s.type === 'backfilled') log.info({ ...s }, `market data ${s.type}`);
  };
  // The first SIGINT/SIGTERM stops the feeds; a second one while they stop exits at once, saying so
  // (it listened with once: a second Ctrl-C killed it without a word, a SIGTERM after it was swallowed).
  const signals = (opts.stopSignals ?? onStopSignals)('the bars and trades in flight may not be published (the next start backfills the bars)');
  let http: FeedStatusServer | undefined;
  try {
    // Before the feeds: a port taken is said at once, not after the streams were created.
    // Its NATS link is on /metrics too (sextant_nats_*{connection="…-gateway"}) and on /healthz as `nats`
    // (`degraded`, /readyz 503, while down): the feeds' statuses say nothing of a gateway whose publishes
    // wait for a NATS that is gone.
    // /metrics behind the dashboard gateway's metrics token (gateway.tokens, SEXTANT_METRICS_TOKEN) once one is set; the
    // reasons on /healthz and /readyz too.
    if (md.http.enabled) {
      http = await startFeedStatusServer({
        board,
        host: md.http.host,
        port: md.http.port,
        log,
        nats: { connection: `${cfg.nats.name}-gateway`, read: () => nats.state() },
        metricsAccess: metricsAccessOf(cfg.gateway.tokens, process.env),
        authFailureLimit: cfg.gateway.authFailureLimit,
      });
    }
    await bus.ensureStreams(streamSpecs(cfg));
    published = startFeedStatusPublisher({ board, bus, subjects: subjectsFor(cfg.prefix), now: () => Date.now(), everyMs: md.statusEveryMs, publisher: `${cfg.nats.name}-gateway` });
    // Bars ahead of the clock by more than validation.maxAheadMs are refused, as the engine refuses them.
    const sink = createMarketDataSink(gatewaySinkOptions(cfg, { bus, now: () => Date.now(), log, onStatus }));
    feeds = assets.length * (md.timeframes.length + (md.provider === 'ccxt' ? Number(md.trades) + Number(md.quotes) : 0));
    log.info({ provider: source.provider, assets: assets.map((a) => `${a.venue}:${a.symbol}`), timeframes: md.timeframes }, 'market-data gateway started');
    await source.run(sink, signals.signal);
  } finally {
    published?.stop();
    await http?.close();
    await source.close().catch(() => {});
    nats.stop();
    await bus.close();
    signals.dispose();
  }
  // Feeds down: failed, waiting to restart, until one of their steps got through again.
  const failed = board.failed().length;
  process.stdout.write(`${JSON.stringify({ feeds, failed, statuses: counts })}\n`);
  if (feeds > 0 && failed === feeds) process.exitCode = 1;
}
