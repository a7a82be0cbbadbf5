import { loadConfig } from '../../config/load.js';
import { startFeedStatusWatch } from '../feed-status-watch.js';
import type { FeedStatusWatch } from '../feed-status-watch.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { startEngine } from '../engine.js';
import { createLogger } from '../logger.js';
import { engineProbes, startGatewayRuntime } from '../gateway-runtime.js';
import { engineConsumers, startEngineStatusFeed } from '../engine-status-feed.js';
import { stageTiming } from '../stage-timing.js';
import { reportServedModel } from '../served-model-metric.js';
import { createEngineMetrics } from '../../gateways/http/metrics.js';
import { logNatsConnection } from '../nats-connection-log.js';
import { watchSubscriptionRefusals } from '../subscription-refusals.js';
import type { SubscriptionRefusals } from '../subscription-refusals.js';
import type { BusConnection } from '../../streams/bus-connection.js';
import type { WiringMode } from '../wiring.js';
import { connectAdapters } from '../wiring.js';
import { claimNamespaceOrClose } from '../engine-presence.js';
import { subjectsFor } from '../../streams/subjects.js';
import { onStopSignals, signalExitCode } from '../stop-signals.js';
import type { SignalSource } from '../stop-signals.js';
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../state/clock.js';
import type { Logger } from '../../state/logger.js';
import type { Adapters } from '../wiring.js';
import type { Engine } from '../engine.js';
import type { GatewayRuntime } from '../gateway-runtime.js';
import type { EngineStatusFeed } from '../engine-status-feed.js';
import { closeStarted } from '../started.js';
import type { Started } from '../started.js';

export type RunOptions = Readonly<{
  configFile?: string;
  mode: WiringMode;
  /** Where SIGINT and SIGTERM come from: `process`, a stand-in in tests. */
  signals?: SignalSource;
}>;

const WHILE_STOPPING = 'the engine\'s last writes may not be stored (a restart resumes from its last commit)';

/** `sextant run`: the engine from config, until SIGINT or SIGTERM. */
export async function runEngine(opts: RunOptions): Promise<void> {
  const cfg = loadConfig({ file: opts.configFile });
  const log = createLogger(cfg.log.level);
  const clock = createLiveClock();
  // Listened to before start-up: a SIGINT or SIGTERM while connecting or starting the engine got
  // Node's default, a silent exit 130 that closed nothing. A second one while stopping ends the
  // process at once, saying so.
  const signals = onStopSignals(WHILE_STOPPING, opts.signals);
  const started: Started = [];
  /** After each start-up step: on a signal, closes what was started, newest first, and says so. */
  const interrupted = async (): Promise<boolean> => {
    if (!signals.signal.aborted) return false;
    const by = String(signals.signal.reason) as NodeJS.Signals;
    for (const s of started.reverse()) await s.close();
    process.stderr.write(`sextant: interrupted during start-up by ${by}: closed ${started.map((s) => s.what).join(', ')}; nothing is left running\n`);
    signals.dispose();
    process.exitCode = signalExitCode(by);
    return true;
  };
  const adapters = await connectAdapters(cfg, opts.mode, log, clock).catch((e: unknown) => {
    signals.dispose();
    throw e;
  });
  started.push({ what: 'the adapters', close: () => adapters.close() });
  if (await interrupted()) return;
  for (const notice of adapters.fallbacks) process.stderr.write(`notice: ${notice}\n`);
  // A lost NATS connection is said (warning, with the server and the error) and its return (info,
  // how long it was down); /healthz, /metrics and `ctl status` say where it stands.
  const nats = adapters.bus.kind === 'nats' ? logNatsConnection(adapters.bus, log, cfg.nats.name) : undefined;
  // A core subscription the server refuses (a login without the permission) is an error line and fails /readyz.
  const refusals = adapters.bus.kind === 'nats' ? watchSubscriptionRefusals(adapters.bus, log, cfg.nats.name) : undefined;
  // `sextant gateway`'s feed statuses (sx.mdstatus.…, core NATS): `ctl status` feeds, /metrics, and
  // the detail of a market-data reject. The wall clock judges their age: nothing here decides.
  const feeds = adapters.bus.kind === 'nats' ? startFeedStatusWatch({ bus: adapters.bus, subjects: subjectsFor(cfg.prefix), now: () => Date.now(), everyMs: cfg.marketData.statusEveryMs, log: log.child({ component: 'feed-status' }) }) : undefined;
  if (feeds !== undefined) started.push({ what: 'the feed-status watch', close: () => feeds.stop() });
  // A second engine on this prefix would share the durables and the account's risk state: refused.
  const presence = await claimNamespaceOrClose(adapters, subjectsFor(cfg.prefix), log).catch((e: unknown) => {
    signals.dispose();
    throw e;
  });
  started.push({ what: 'its namespace claim', close: () => presence.unsubscribe() });
  if (await interrupted()) return;
  let up: Running | undefined;
  try {
    up = await startUp(cfg, log, clock, adapters, started, interrupted, nats, feeds, refusals);
  } catch (e) {
    // A start-up step that failed after the claim (the engine, the gateway's port) left the
    // claim answering, the engine consuming and the connections open until main's exit: an
    // embedding caller kept the namespace claimed (its next start refused as "another engine").
    // What was started is closed, newest first, before the failure is passed on.
    await closeStarted(started, log, 'after a failed start-up');
    signals.dispose();
    throw e;
  }
  if (up === undefined) return;
  const { engine, gateway, status } = up;
  const heartbeat = setInterval(() => log.info({ counters: engine.counters, actors: engine.supervisor.status() }, 'status'), 10_000);
  const failure = await new Promise<Error | undefined>((resolve) => {
    void signals.stopped.then(() => resolve(undefined));
    // A failed release stops the decision path (nothing more is acknowledged): the process ends
    // non-zero, so that its supervisor (systemd, Kubernetes) starts it again from the last commit.
    void engine.failed().then(resolve);
  });
  clearInterval(heartbeat);
  if (failure !== undefined) log.error({ err: failure.message }, 'decision path failed: stopping the engine (start it again to resume from its last commit)');
  log.info({}, 'stopping');
  await engine.stop();
  status?.stop();
  await gateway?.close();
  presence.unsubscribe();
  feeds?.stop();
  nats?.stop();
  refusals?.stop();
  await adapters.close();
  log.info({ counters: engine.counters }, 'stopped');
  signals.dispose();
  if (failure !== undefined) throw failure;
}

type Running = Readonly<{ engine: Engine; gateway: GatewayRuntime | undefined; status: EngineStatusFeed | undefined }>;

/** The engine and its gateway, on adapters whose namespace is claimed; undefined when a signal came meanwhile (`interrupted` closed what was started). */
async function startUp(
  cfg: Config,
  log: Logger,
  clock: Clock,
  adapters: Adapters,
  started: Started,
  interrupted: () => Promise<boolean>,
  nats: BusConnection | undefined,
  feeds: FeedStatusWatch | undefined,
  refusals: SubscriptionRefusals | undefined,
): Promise<Running | undefined> {
  // The gateway's metrics exist before the engine, so that its stages are timed from the start.
  const metrics = cfg.gateway.enabled ? createEngineMetrics() : undefined;
  const engine = await startEngine(cfg, adapters, clock, log, { trainingClock: clock, maxAheadMs: cfg.validation.maxAheadMs, ...(nats === undefined ? {} : { nats }), ...(feeds === undefined ? {} : { feeds }), ...(metrics === undefined ? {} : { stages: stageTiming(metrics), counts: metrics }) });
  started.push({ what: 'the engine', close: () => engine.stop() });
  if (await interrupted()) return undefined;
  log.info({ assets: cfg.assets.length, bus: adapters.bus.kind, features: adapters.features.kind, timeseries: adapters.timeseries.flavor }, 'engine running');
  // HTTP health/metrics, dashboard and websocket feed (gateway.enabled).
  const gateway = metrics !== undefined ? await startGatewayRuntime(cfg, adapters.bus, { ...engineProbes(cfg, adapters, engine), ...(refusals === undefined ? {} : { subscriptions: refusals.probe }) }, log, { metrics, registry: adapters.registry, ...(nats === undefined ? {} : { nats }), ...(feeds === undefined ? {} : { feeds }) }) : undefined;
  if (gateway !== undefined) started.push({ what: 'the gateway', close: () => gateway.close() });
  if (await interrupted()) return undefined;
  if (metrics !== undefined) reportServedModel(metrics, engine.decisions, cfg.strategy.model);
  const status =
    gateway === undefined
      ? undefined
      : startEngineStatusFeed({ engine, hub: gateway.hub, metrics: gateway.metrics, bus: adapters.bus, consumers: engineConsumers(cfg, engine), timeframe: cfg.strategy.timeframe, intervalMs: cfg.gateway.statusIntervalMs ?? 1000, ...(feeds === undefined ? {} : { feeds }), log });
  return { engine, gateway, status };
}
