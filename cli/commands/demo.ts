import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import type { EngineCounters } from '../../state/counters.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { findBarFiles, requireDataDir } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { replay } from '../../gateways/replay.js';
import { startEngine } from '../engine.js';
import { createLogger } from '../logger.js';
import { connectAdapters } from '../wiring.js';
import { claimNamespaceOrClose } from '../engine-presence.js';
import type { Adapters } from '../wiring.js';
import type { Engine } from '../engine.js';
import { engineConsumers, startEngineStatusFeed } from '../engine-status-feed.js';
import { reportServedModel } from '../served-model-metric.js';
import { engineProbes, startGatewayRuntime } from '../gateway-runtime.js';
import type { GatewayRuntime } from '../gateway-runtime.js';
import { stageTiming } from '../stage-timing.js';
import { resolveGatewayTokens } from '../../gateways/http/gateway-config.js';
import { createEngineMetrics } from '../../gateways/http/metrics.js';
import type { Logger } from '../../state/logger.js';
import { injectFaults } from './demo-faults.js';
import { ensureDemoModel } from './demo-model.js';
import { trainingCacheOf } from '../training-cache-of.js';
import { spellingHint } from './symbol-spelling.js';
import { barsBeforeFirstPrediction, countingBars, demoWarmup, warmupWarnings } from './demo-warmup.js';
import type { DemoWarmup } from './demo-warmup.js';
import { DEFAULT_DEMO_NAMESPACE, demoNamespace } from './demo-namespace.js';
import { parseModelRef } from '../../models/registry/model-registry.js';
import type { DecisionStats } from '../../actors/decision-path.js';
import { onStopSignals } from '../stop-signals.js';

export type DemoOptions = Readonly<{
  configFile?: string;
  data?: string;
  symbols: readonly string[];
  timeframe: Timeframe;
  from: number;
  to: number;
  embedded?: boolean;
  faults: boolean;
  /** Train a new model on the years before the window even when the registry has one. */
  retrain?: boolean;
  /** Serve the dashboard, feed and metrics (the gateway) while the demo runs. */
  dashboard?: boolean;
  /** The gateway's port with `dashboard` (default `gateway.port`; 0 = any free port). */
  port?: number;
  /** With `dashboard`: after the replay, keep serving until SIGINT/SIGTERM. */
  hold?: boolean;
  /** The namespace the demo resets and writes (streams, keys, schema, model registry; default `demo`: see `demoNamespace`). */
  namespace?: string;
}>;

export type DemoSummary = Readonly<{
  adapters: { bus: string; features: string; timeseries: string; fallbacks: readonly string[] };
  window: { from: string; to: string; timeframe: string; symbols: readonly string[] };
  published: number;
  injectedFaults: number;
  messagesIn: number;
  accepted: number;
  featuresOut: number;
  refused: Readonly<Record<string, number>>;
  rowsWritten: EngineCounters['rowsWritten'];
  actors: readonly { key: string; state: string }[];
  /** `trainedNow`: trained by this run; `fromTrainingCache`: registered now from the training cache (the same bars, settings and code trained it before). */
  model: { ref: string; trainedNow: boolean; fromTrainingCache: boolean; trainRange: { from: string; to: string }; testAccuracy: number | null; testLogLoss: number | null } | null;
  predictions: number;
  /** Bars of one symbol the model needs before its first prediction, and the symbols whose window held fewer (they predict nothing). */
  warmup: DemoWarmup;
  suggestions: number;
  orders: number;
  rejects: number;
  rejectsByReason: Readonly<Record<string, number>>;
  fills: number;
  decisions: Readonly<DecisionStats> | null;
  /** `equity`: the risk book's PnL since the start (realised after fees + unrealised; the risk core's name for it). */
  risk: { state: string; equity: number; realised: number; unrealised: number; fees: number; positions: readonly { symbol: string; qty: number }[] } | null;
  seconds: number;
  messagesPerSecond: number;
}>;

/**
 * The demo's own namespace (`demoNamespace`; default `demo`), reset at every start so the demo can be run again, with the strategy
 * on the replayed timeframe (it scores only bars of its own timeframe: a 5m replay with the
 * configured 1h strategy would predict nothing).
 */
export function demoConfig(base: Config, symbols: readonly string[], timeframe: Timeframe, namespace: string = DEFAULT_DEMO_NAMESPACE): Config {
  const { account, ...ns } = demoNamespace(base, namespace);
  return {
    ...base,
    ...ns,
    strategy: { ...base.strategy, timeframe },
    assets: symbols.map((symbol) => ({ venue: base.venue, symbol })),
    // A replay runs hours of event time in seconds: staleness is judged by the wall clock here.
    asset: { staleAfterMs: 60_000 },
    risk: { ...base.risk, account, limits: { ...base.risk.limits, allowlist: [...symbols] } },
  };
}

const progressNote = (line: string): void => void process.stderr.write(`${line}\n`);

/** `sextant demo`: replay a real window into the local stack, run the engine, print a summary. */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const started = performance.now();
  const cfg = demoConfig(loadConfig({ file: opts.configFile }), opts.symbols, opts.timeframe, opts.namespace);
  const log = createLogger(process.env['SEXTANT_LOG_LEVEL'] ?? 'warn');
  const clock = createLiveClock();
  const dataDir = requireDataDir(opts.data ?? cfg.data.dir);
  const files = findBarFiles(dataDir, { symbols: opts.symbols, timeframe: opts.timeframe });
  const missing = opts.symbols.filter((s) => !files.some((f) => f.symbol === s));
  if (missing.length > 0) throw new Error(`no ${opts.timeframe} bar files for ${missing.join(', ')} under ${dataDir}/ohlcv${spellingHint(missing, findBarFiles(dataDir, { timeframe: opts.timeframe }).map((f) => f.symbol))}`);

  const adapters = await connectAdapters(cfg, opts.embedded === true ? 'embedded' : 'auto', log, clock);
  for (const notice of adapters.fallbacks) process.stderr.write(`notice: ${notice}\n`);
  if (opts.embedded === true) process.stderr.write('notice: --embedded: running on in-process adapters only\n');

  // An engine already in this namespace (a demo held open, a `sextant run` on its prefix) would have its streams
  // deleted under it and share the asset durables: refused, as `sextant run` refuses, before anything is reset.
  const presence = await claimNamespaceOrClose(adapters, subjectsFor(cfg.prefix), log);
  // Reset the demo namespace: streams, stored rows and features of an earlier run.
  await adapters.bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
  await adapters.features.clear();
  await adapters.timeseries.clear();
  await adapters.riskStore.clear(cfg.risk.account);
  await adapters.bus.ensureStreams(streamSpecs(cfg));
  // The dashboard comes up first: it can be opened while the model trains.
  const running: { engine?: Engine } = {};
  const dash = opts.dashboard === true ? await startDemoDashboard(cfg, adapters, log, opts.port, () => running.engine) : undefined;
  const served = parseModelRef(cfg.strategy.model);
  progressNote(`model: ${served.name}@production (training on the ${opts.timeframe} bars before ${new Date(opts.from).toISOString().slice(0, 10)} if the registry has none)`);
  const demoModel = await ensureDemoModel(adapters.registry, { name: served.name, dataDir, symbols: opts.symbols, timeframe: opts.timeframe, from: opts.from, retrain: opts.retrain === true, notice: (l) => progressNote(`notice: ${l}`), onTraining: progressNote, cache: await trainingCacheOf(cfg, (l) => progressNote(`notice: ${l}`)) });

  const engine = await startEngine(cfg, adapters, clock, log, { trainingClock: clock, maxAheadMs: cfg.validation.maxAheadMs, ...(dash === undefined ? {} : { stages: stageTiming(dash.gateway.metrics), counts: dash.gateway.metrics }) });
  running.engine = engine;
  const status = dash === undefined ? undefined : startEngineStatusFeed({ engine, hub: dash.gateway.hub, metrics: dash.gateway.metrics, bus: adapters.bus, consumers: engineConsumers(cfg, engine), timeframe: cfg.strategy.timeframe, intervalMs: dash.statusIntervalMs, log });
  if (dash !== undefined) reportServedModel(dash.gateway.metrics, engine.decisions, cfg.strategy.model);
  const subjects = subjectsFor(cfg.prefix);
  const sources = files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: f.timeframe, from: opts.from, to: opts.to }));

  const barCounts = new Map<string, number>();
  const progress = new SingleBar({ format: ' {phase} |{bar}| {value}/{total} msgs | {rate} msg/s', hideCursor: true, stream: process.stderr }, Presets.shades_classic);
  progress.start(0, 0, { phase: 'replay ', rate: 0 });
  const result = await replay({
    bus: adapters.bus,
    subjects,
    source: countingBars(mergeByTime(...sources), barCounts),
    speed: 'max',
    onProgress: (n) => progress.setTotal(n),
  });
  const edge = await firstAndLastBar(files[0]?.path ?? '', cfg.venue, files[0]?.symbol ?? '', opts.timeframe, opts.from, opts.to);
  const injected = opts.faults && edge !== undefined ? await injectFaults(adapters.bus, subjects, edge.first, edge.last) : 0;
  const expected = result.published + injected;
  progress.setTotal(expected);

  // Wait until every published message went through an asset actor (or the engine stalls).
  let last = -1;
  let idleSince = performance.now();
  for (;;) {
    const n = engine.counters.messagesIn;
    const secs = (performance.now() - started) / 1000;
    progress.update(n, { phase: 'engine ', rate: Math.round(n / secs) });
    if (n >= expected) break;
    const failure = engine.failure();
    if (failure !== undefined) {
      progress.stop();
      throw failure;
    }
    if (n !== last) {
      last = n;
      idleSince = performance.now();
    } else if (performance.now() - idleSince > 30_000) {
      progress.stop();
      throw new Error(`engine stalled at ${n} of ${expected} messages`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  progress.stop();
  await engine.stop();
  // A failure in the last releases (after every message came in) still fails the demo.
  const failure = engine.failure();
  if (failure !== undefined) throw failure;
  status?.engineStopped();
  await status?.pollLag();

  const seconds = (performance.now() - started) / 1000;
  const warmup = demoWarmup(opts.symbols, barCounts, barsBeforeFirstPrediction(demoModel.model));
  for (const w of warmupWarnings(warmup, opts)) progressNote(`warning: ${w}`);
  const c = engine.counters;
  const d = engine.decisions?.path.stats() ?? null;
  const rs = engine.decisions?.risk.status();
  const m = demoModel.model;
  const summary: DemoSummary = {
    adapters: { bus: adapters.bus.kind, features: adapters.features.kind, timeseries: adapters.timeseries.flavor, fallbacks: adapters.fallbacks },
    window: { from: new Date(opts.from).toISOString(), to: new Date(opts.to).toISOString(), timeframe: opts.timeframe, symbols: opts.symbols },
    published: result.published,
    injectedFaults: injected,
    messagesIn: c.messagesIn,
    accepted: c.accepted,
    featuresOut: c.featuresOut,
    refused: c.refused,
    rowsWritten: c.rowsWritten,
    actors: engine.supervisor.status().map((s) => ({ key: s.key, state: s.state })),
    model: {
      ref: `${m.name}@${m.version}`,
      trainedNow: demoModel.trained && !demoModel.cached,
      fromTrainingCache: demoModel.cached,
      trainRange: { from: new Date(m.trainRange.from).toISOString(), to: new Date(m.trainRange.to).toISOString() },
      testAccuracy: m.metrics['test_accuracy'] ?? null,
      testLogLoss: m.metrics['test_log_loss'] ?? null,
    },
    predictions: d?.predictions ?? 0,
    warmup,
    suggestions: d?.suggestions ?? 0,
    orders: d?.orders ?? 0,
    rejects: d?.rejects ?? 0,
    rejectsByReason: d?.rejectsByReason ?? {},
    fills: d?.fills ?? 0,
    decisions: d,
    risk:
      rs === undefined
        ? null
        : {
            state: rs.state,
            equity: rs.pnl.equity,
            realised: rs.pnl.realised,
            unrealised: rs.pnl.unrealised,
            fees: d?.fees ?? 0,
            positions: rs.positions.map((p) => ({ symbol: p.symbol, qty: p.qty })),
          },
    seconds: Math.round(seconds * 100) / 100,
    messagesPerSecond: Math.round(c.messagesIn / seconds),
  };
  // Held open until SIGINT/SIGTERM; a second one while it closes exits at once, saying so (it
  // listened with once: a second Ctrl-C killed it without a word, a SIGTERM after it was swallowed).
  const held = dash !== undefined && opts.hold === true ? onStopSignals('nothing is lost (the demo had finished), its connections are dropped') : undefined;
  if (dash !== undefined && held !== undefined) {
    printSummary(summary);
    progressNote(`replay done; the dashboard keeps serving the final state at ${dash.url} until Ctrl-C`);
    await held.stopped;
  }
  status?.stop();
  await dash?.gateway.close();
  presence.unsubscribe();
  await adapters.close();
  held?.dispose();
  if (dash === undefined || opts.hold !== true) printSummary(summary);
  return summary;
}

type DemoDashboard = Readonly<{ gateway: GatewayRuntime; url: string; statusIntervalMs: number }>;

/**
 * The gateway of `sextant demo --dashboard`: prints the page's URL with the viewer token. Ready
 * once the engine runs (`engine()` is undefined while the model trains).
 */
async function startDemoDashboard(cfg: Config, adapters: Adapters, log: Logger, port: number | undefined, engine: () => Engine | undefined): Promise<DemoDashboard> {
  const gcfg: Config = { ...cfg, gateway: { ...cfg.gateway, enabled: true, ...(port !== undefined ? { port } : {}) } };
  const supervisor = { status: () => engine()?.supervisor.status() ?? [] };
  const probes = engineProbes(gcfg, adapters, { supervisor });
  const consumers = probes['consumers'];
  const gateway = await startGatewayRuntime(gcfg, adapters.bus, { ...probes, consumers: () => (engine() === undefined ? Promise.reject(new Error('the engine is starting')) : (consumers?.() ?? Promise.resolve())) }, log, {
    metrics: createEngineMetrics(),
    // A run after the first reuses the registry's model, announcing nothing, into streams reset above.
    registry: adapters.registry,
  }).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`port ${gcfg.gateway.port} on ${gcfg.gateway.host} is in use: pass --port <n> (0 picks a free one)`, { cause: e });
    throw e;
  });
  const viewer = resolveGatewayTokens(gcfg.gateway.tokens, process.env).find((t) => t.role === 'viewer');
  const url = viewer === undefined ? `${gateway.server.url}/` : `${gateway.server.url}/?token=${encodeURIComponent(viewer.token)}`;
  progressNote(`dashboard: ${url}`);
  return { gateway, url, statusIntervalMs: gcfg.gateway.statusIntervalMs ?? 1000 };
}

async function firstAndLastBar(path: string, venue: string, symbol: string, tf: string, from: number, to: number): Promise<{ first: Bar; last: Bar } | undefined> {
  let first: Bar | undefined;
  let last: Bar | undefined;
  for await (const b of readBars(path, { venue, symbol, tf, from, to })) {
    first ??= b;
    last = b;
  }
  return first !== undefined && last !== undefined ? { first, last } : undefined;
}

function printSummary(s: DemoSummary): void {
  const out = process.stdout;
  out.write('\nSextant demo summary\n');
  out.write(`  adapters        bus=${s.adapters.bus} features=${s.adapters.features} timeseries=${s.adapters.timeseries}\n`);
  for (const f of s.adapters.fallbacks) out.write(`  fallback        ${f}\n`);
  out.write(`  window          ${s.window.symbols.join(', ')} ${s.window.timeframe} ${s.window.from} → ${s.window.to}\n`);
  out.write(`  published       ${s.published} bars (+${s.injectedFaults} injected bad messages)\n`);
  out.write(`  messages in     ${s.messagesIn} (${s.accepted} accepted) in ${s.seconds}s, ${s.messagesPerSecond} msg/s\n`);
  out.write(`  features out    ${s.featuresOut}\n`);
  const refused = Object.entries(s.refused);
  out.write(`  refused         ${refused.length === 0 ? 'none' : refused.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
  const w = s.rowsWritten;
  out.write(`  rows written    bars=${w.bars} trades=${w.trades} quotes=${w.quotes} features=${w.features}\n`);
  out.write(`  actors          ${s.actors.map((a) => `${a.key}=${a.state}`).join(' ')}\n`);
  if (s.model !== null) {
    const acc = s.model.testAccuracy === null ? '?' : `${(100 * s.model.testAccuracy).toFixed(1)}%`;
    out.write(`  model           ${s.model.ref} (${s.model.trainedNow ? 'trained now' : s.model.fromTrainingCache ? 'from the training cache' : 'from the registry'} on ${s.model.trainRange.from.slice(0, 10)} → ${s.model.trainRange.to.slice(0, 10)}; test accuracy ${acc}, log loss ${s.model.testLogLoss?.toFixed(4) ?? '?'})\n`);
  }
  out.write(`  predictions     ${s.predictions} (${s.decisions?.withIntent ?? 0} with a position intent)\n`);
  if (s.warmup.short.length > 0) {
    out.write(`  warm-up         ${s.warmup.short.map((w) => `${w.symbol} ${w.bars} of ${s.warmup.needed} bars`).join(', ')} before a first prediction: widen the window (--from earlier or --to later)\n`);
  }
  const held = s.decisions?.intentsHeld ?? 0;
  const cancelled = s.decisions?.parentsCancelled ?? 0;
  const flattens = s.decisions?.flattens ?? 0;
  const replanned = s.decisions?.parentsReplanned ?? 0;
  const lapsed = s.decisions?.parentsLapsed ?? 0;
  out.write(`  suggestions     ${s.suggestions}${held + cancelled > 0 ? ` (trading halted or reducing: ${held} intents held, ${cancelled} parent orders cancelled)` : ''}${flattens > 0 ? ` (${flattens} parent orders to flat after a limit breach or an operator's flatten)` : ''}${replanned + lapsed > 0 ? ` (after holes in the data: ${replanned} parent orders re-planned, ${lapsed} lapsed)` : ''}\n`);
  out.write(`  orders          ${s.orders} approved by risk\n`);
  const rej = Object.entries(s.rejectsByReason);
  out.write(`  rejects         ${s.rejects}${rej.length === 0 ? '' : ` (${rej.map(([k, v]) => `${k}=${v}`).join(' ')})`}\n`);
  out.write(`  fills           ${s.fills}${s.decisions === null ? '' : ` (fees ${s.decisions.fees.toFixed(2)}, ${s.decisions.expired} orders expired unfilled)`}\n`);
  if (s.risk !== null) {
    out.write(`  risk            ${s.risk.state}, PnL ${s.risk.equity.toFixed(2)} (realised ${s.risk.realised.toFixed(2)}, unrealised ${s.risk.unrealised.toFixed(2)}, after fees)\n`);
    out.write(`  positions       ${s.risk.positions.map((p) => `${p.symbol}=${p.qty.toPrecision(4)}`).join(' ') || 'none'}\n`);
  }
  out.write(`${JSON.stringify(s)}\n`);
}

