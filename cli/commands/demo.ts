import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import { subjectsFor } from '../../streams/subjects.js';
import { findBarFiles, requireDataDir } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { replay } from '../../gateways/replay.js';
import { startEngine } from '../engine.js';
import { createLogger } from '../logger.js';
import { connectAdapters } from '../wiring.js';
import { claimNamespace } from '../engine-presence.js';
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
import { watchDemoNats } from './demo-nats.js';
import type { BusConnection } from '../../streams/bus-connection.js';
import { resetDemoNamespace } from './demo-reset.js';
import { ensureDemoModel } from './demo-model.js';
import { trainingCacheOf } from '../training-cache-of.js';
import { missingBarFilesMessage } from './missing-bar-files.js';
import { barsBeforeFirstPrediction, countingBars, demoWarmup, warmupWarnings } from './demo-warmup.js';
import { DEFAULT_DEMO_NAMESPACE, demoNamespace } from './demo-namespace.js';
import { parseModelRef } from '../../models/registry/model-registry.js';
import { onStopSignals, signalExitCode } from '../stop-signals.js';
import type { SignalSource } from '../stop-signals.js';
import { closeStarted } from '../started.js';
import type { Started } from '../started.js';
import { isTrainingCancelled } from '../../models/training/training-errors.js';
import { printSummary, summaryOf } from './demo-summary.js';
import type { DemoSummary } from './demo-summary.js';
import { awaitLabeling, labelingRefusals } from './demo-labeling.js';
import type { DemoLabeling } from './demo-labeling.js';
import { awaitRetraining, learningConfig, learningSummary, startLearningCycle } from './demo-learning.js';
import { learningSamples, windowBars } from './demo-learning-samples.js';
import type { LearningWindow } from './demo-learning-samples.js';
import type { ModelVersion } from '../../models/registry/model-registry.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { DemoLearning } from './demo-learning.js';
import type { LabelingStats } from '../../actors/labeling-actor.js';
import { streamName } from '../../streams/provision.js';

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
  /**
   * Run the learning loop's retraining actor for one cycle (`demo-learning.ts`): triggered at the
   * start, it fits a challenger on the window's labeled predictions but the last ones (those its
   * shadow run and rollback watch need: `learningSamples`), shadows it on those against the served
   * model and promotes or rejects it through the registry; the demo waits for it.
   */
  learn?: boolean;
  /** Serve the dashboard, feed and metrics (the gateway) while the demo runs. */
  dashboard?: boolean;
  /** The gateway's port with `dashboard` (default `gateway.port`; 0 = any free port). */
  port?: number;
  /** With `dashboard`: after the replay, keep serving until SIGINT/SIGTERM. */
  hold?: boolean;
  /** The namespace the demo resets and writes (streams, keys, schema, model registry; default `demo`: see `demoNamespace`). */
  namespace?: string;
  /** Where SIGINT and SIGTERM come from: `process`, a stand-in in tests. */
  signals?: SignalSource;
}>;

export type { DemoSummary } from './demo-summary.js';

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

/** Said by a second SIGINT or SIGTERM, which ends the demo at once. */
const WHILE_STOPPING = 'its connections are dropped (the demo resets its namespace at its next start)';
const WHILE_HELD = 'nothing is lost (the demo had finished), its connections are dropped';

/** Thrown between the demo's steps once a SIGINT or SIGTERM came: `runDemo` closes what was started. */
class DemoInterrupted extends Error {}

const inWords = (xs: readonly string[]): string => (xs.length < 2 ? (xs[0] ?? 'nothing') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1) ?? ''}`);

/**
 * `sextant demo`: replay a real window into the local stack, run the engine, print a summary.
 * Undefined when a SIGINT or SIGTERM stopped it before its replay was done and every message went
 * through the engine (`process.exitCode` 130 or 143); one after that (while the engine stopped, the
 * labeling wait) stops what it came in and the summary is still printed, its `interrupted` set,
 * with the same exit code.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary | undefined> {
  const started = performance.now();
  const cfg = demoConfig(loadConfig({ file: opts.configFile }), opts.symbols, opts.timeframe, opts.namespace);
  const log = createLogger(process.env['SEXTANT_LOG_LEVEL'] ?? 'warn');
  const clock = createLiveClock();
  const dataDir = requireDataDir(opts.data ?? cfg.data.dir);
  const files = findBarFiles(dataDir, { symbols: opts.symbols, timeframe: opts.timeframe });
  const missing = opts.symbols.filter((s) => !files.some((f) => f.symbol === s));
  if (missing.length > 0) throw new Error(missingBarFilesMessage(dataDir, missing, opts.timeframe, findBarFiles(dataDir, { timeframe: opts.timeframe }).map((f) => f.symbol)));

  // Listened to from the start: a SIGINT or SIGTERM while the model trained or the window replayed
  // got Node's default, killing the process with its connections, claim and dashboard open and no
  // word. Now the step under way stops, what was started is closed newest first, and one line says
  // so (exit 130 or 143); with --hold the signal ends the demo's serving, as before.
  let holding = false;
  const signals = onStopSignals(() => (holding ? WHILE_HELD : WHILE_STOPPING), opts.signals);
  const opened: Started = [];
  let step = 'connecting to its services';
  /** The step under way when the first SIGINT or SIGTERM came. */
  let stepAtSignal: string | undefined;
  signals.signal.addEventListener('abort', () => (stepAtSignal ??= step), { once: true });
  const next = (what: string): void => {
    if (signals.signal.aborted) throw new DemoInterrupted();
    step = what;
  };
  const progress = new SingleBar({ format: ' {phase} |{bar}| {value}/{total} msgs | {rate} msg/s', hideCursor: true, stream: process.stderr }, Presets.shades_classic);
  try {
    const adapters = await connectAdapters(cfg, opts.embedded === true ? 'embedded' : 'auto', log, clock);
    // On real NATS a lost connection is said (warning) and its return (info), as `sextant run` does;
    // at info by default, as the demo's own log is at warn. Stopped with the adapters.
    const nats = watchDemoNats(adapters.bus, cfg.nats.name, createLogger(process.env['SEXTANT_LOG_LEVEL'] ?? 'info'));
    opened.push({
      what: 'the adapters',
      close: () => {
        nats?.stop();
        return adapters.close();
      },
    });
    for (const notice of adapters.fallbacks) process.stderr.write(`notice: ${notice}\n`);
    if (opts.embedded === true) process.stderr.write('notice: --embedded: running on in-process adapters only\n');

    // An engine already in this namespace (a demo held open, a `sextant run` on its prefix) would have its streams
    // deleted under it and share the asset durables: refused, as `sextant run` refuses, before anything is reset.
    next('claiming its namespace');
    const presence = await claimNamespace(adapters.bus, subjectsFor(cfg.prefix), log);
    opened.push({ what: 'its namespace claim', close: () => presence.unsubscribe() });
    // Reset the demo namespace: streams, stored rows, features and training samples of an earlier run.
    next('resetting its namespace');
    await resetDemoNamespace(cfg, adapters);
    // The dashboard comes up first: it can be opened while the model trains.
    const running: { engine?: Engine } = {};
    next('starting the dashboard');
    const dash = opts.dashboard === true ? await startDemoDashboard(cfg, adapters, log, opts.port, () => running.engine, nats) : undefined;
    if (dash !== undefined) opened.push({ what: 'the dashboard', close: () => dash.gateway.close() });
    const served = parseModelRef(cfg.strategy.model);
    next('training its model');
    progressNote(`model: ${served.name}@production (training on the ${opts.timeframe} bars before ${new Date(opts.from).toISOString().slice(0, 10)} if the registry has none)`);
    const demoModel = await ensureDemoModel(adapters.registry, { name: served.name, dataDir, symbols: opts.symbols, timeframe: opts.timeframe, from: opts.from, retrain: opts.retrain === true, notice: (l) => progressNote(`notice: ${l}`), onTraining: progressNote, cache: await trainingCacheOf(cfg, (l) => progressNote(`notice: ${l}`)), signal: signals.signal });

    next('starting the engine');
    // --learn: retraining on for one cycle, which fits once the window's labels are in but those
    // its shadow run and rollback watch need (`learningSamples`: from the window's bars and the model).
    const learnWindow = opts.learn === true ? await learningWindow(files, opts, cfg.venue, demoModel.model) : undefined;
    const ecfg = learnWindow === undefined ? cfg : learningConfig(cfg, learnWindow);
    const engine = await startEngine(ecfg, adapters, clock, log, { trainingClock: clock, maxAheadMs: cfg.validation.maxAheadMs, replay: true, ...(nats === undefined ? {} : { nats }), ...(dash === undefined ? {} : { stages: stageTiming(dash.gateway.metrics), counts: dash.gateway.metrics }) });
    let stopping: Promise<void> | undefined;
    const stopEngine = (): Promise<void> => (stopping ??= engine.stop());
    opened.push({ what: 'the engine', close: stopEngine });
    running.engine = engine;
    if (learnWindow !== undefined) {
      if (engine.retraining === undefined) throw new Error('--learn: the engine runs no retraining actor (it needs the decision path, a training-sample store and a model registry)');
      startLearningCycle(engine.retraining);
      const t = ecfg.retraining;
      const n = learningSamples(cfg.retraining, learnWindow);
      const kept = n.expected - n.minSamples;
      progressNote(`learning: one retraining cycle triggered: it fits a challenger once ${t.training.minSamples} predictions are labeled (of the ${n.expected} the window gives${kept > 0 ? `, all but the last ${kept}` : ''}), shadows it against the served model on the next ${t.shadow.predictions} labeled predictions, then promotes or rejects it`);
    }
    const status = dash === undefined ? undefined : startEngineStatusFeed({ engine, hub: dash.gateway.hub, metrics: dash.gateway.metrics, bus: adapters.bus, consumers: engineConsumers(ecfg, engine), timeframe: cfg.strategy.timeframe, intervalMs: dash.statusIntervalMs, log });
    if (status !== undefined) opened.push({ what: 'the status feed', close: () => status.stop() });
    if (dash !== undefined) reportServedModel(dash.gateway.metrics, engine.decisions, cfg.strategy.model);
    const subjects = subjectsFor(cfg.prefix);
    const sources = files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: f.timeframe, from: opts.from, to: opts.to }));

    next('replaying its window');
    const barCounts = new Map<string, number>();
    progress.start(0, 0, { phase: 'replay ', rate: 0 });
    const result = await replay({
      bus: adapters.bus,
      subjects,
      source: countingBars(mergeByTime(...sources), barCounts),
      speed: 'max',
      onProgress: (n) => progress.setTotal(n),
      signal: signals.signal,
    });
    if (result.interrupted === true) throw new DemoInterrupted();
    const edge = await firstAndLastBar(files[0]?.path ?? '', cfg.venue, files[0]?.symbol ?? '', opts.timeframe, opts.from, opts.to);
    const injected = opts.faults && edge !== undefined ? await injectFaults(adapters.bus, subjects, edge.first, edge.last) : 0;
    const expected = result.published + injected;
    progress.setTotal(expected);

    // Wait until every published message went through an asset actor (or the engine stalls).
    next('waiting for the engine');
    let last = -1;
    let idleSince = performance.now();
    for (;;) {
      const n = engine.counters.messagesIn;
      const secs = (performance.now() - started) / 1000;
      progress.update(n, { phase: 'engine ', rate: Math.round(n / secs) });
      if (n >= expected) break;
      const failure = engine.failure();
      if (failure !== undefined) throw failure;
      if (n !== last) {
        last = n;
        idleSince = performance.now();
      } else if (performance.now() - idleSince > 30_000) {
        throw new Error(`engine stalled at ${n} of ${expected} messages`);
      }
      next('waiting for the engine');
      await new Promise((r) => setTimeout(r, 100));
    }
    progress.stop();
    next('stopping the engine');
    // The labeling actor reads the streams behind the replay: once the decision path published
    // its last, it is given until it labeled all the window allows (or stalls).
    let labelWait: Readonly<{ caughtUp: boolean; left: number }> | undefined;
    let learnWait: Readonly<{ caughtUp: boolean; left: number }> | undefined;
    const labeling = engine.labeling;
    const retraining = opts.learn === true ? engine.retraining : undefined;
    /** One of the learning loop's waits after the replay, on the progress bar as `phase` (handled / total, per second). */
    const waitWithBar = async <T,>(stepName: string, phase: string, note: string, wait: (onProgress: (handled: number, total: number) => void) => Promise<T>): Promise<T> => {
      step = stepName;
      progressNote(`${note} (Ctrl-C stops the wait and prints the summary so far)`);
      progress.start(0, 0, { phase, rate: 0 });
      const t0 = performance.now();
      const out = await wait((handled, total) => {
        progress.setTotal(total);
        progress.update(handled, { phase, rate: Math.round(handled / Math.max(0.001, (performance.now() - t0) / 1000)) });
      });
      progress.stop();
      return out;
    };
    const waitForLabeling =
      labeling === undefined
        ? undefined
        : async (): Promise<void> => {
            labelWait = await waitWithBar('labeling (the learning loop)', 'labeling', 'labeling: waiting for the learning loop to label what the window allows', (onProgress) =>
              awaitLabeling({ labeling, bus: adapters.bus, stallMs: LABELING_STALL_MS, pollMs: 100, now: () => performance.now(), signal: signals.signal, onProgress }),
            );
            if (!labelWait.caughtUp && !signals.signal.aborted) progressNote(`warning: labeling stopped with ${labelWait.left} messages unread (it handled nothing for ${LABELING_STALL_MS / 1000} s): the summary's labeling line is what it did`);
            if (retraining === undefined || signals.signal.aborted) return;
            // --learn: the retraining actor reads the labels behind labeling; its cycle's fit,
            // shadow run and verdict come as it does.
            learnWait = await waitWithBar('retraining (the learning loop)', 'learning', 'learning: waiting for the retraining actor to handle every label', (onProgress) =>
              awaitRetraining({ retraining, bus: adapters.bus, stallMs: LABELING_STALL_MS, pollMs: 100, now: () => performance.now(), signal: signals.signal, onProgress }),
            );
            if (!learnWait.caughtUp && !signals.signal.aborted) progressNote(`warning: retraining stopped with ${learnWait.left} labels unread (it handled nothing for ${LABELING_STALL_MS / 1000} s): the summary's learning line is what it did`);
          };
    await (stopping ??= engine.stop(waitForLabeling === undefined ? undefined : { beforeLabelingStops: waitForLabeling }));
    // A failure in the last releases (after every message came in) still fails the demo.
    const failure = engine.failure();
    if (failure !== undefined) throw failure;
    status?.engineStopped();
    await status?.pollLag();
    // A signal from here on (most often during the labeling wait) came after the replay was done
    // and every message went through the asset actors: it stopped the wait, and the summary of what
    // was done is still printed, marked interrupted. Before, the demo threw it away (no summary,
    // exit 130), losing the whole run for a Ctrl-C during the learning loop's catch-up.
    step = 'summarising';
    const labeled = labeling === undefined ? null : await labelingSummary(labeling.stats(), labelWait, adapters, cfg);
    const learned: DemoLearning | null =
      retraining === undefined ? null : await learningSummary(retraining.status(), { cfg: ecfg, registry: adapters.registry, served: engine.decisions?.model(), wait: learnWait });

    const seconds = (performance.now() - started) / 1000;
    const warmup = demoWarmup(opts.symbols, barCounts, barsBeforeFirstPrediction(demoModel.model));
    for (const w of warmupWarnings(warmup, opts)) progressNote(`warning: ${w}`);
    const by = signals.signal.aborted ? (String(signals.signal.reason) as NodeJS.Signals) : undefined;
    const at = stepAtSignal ?? step;
    const interrupted = by === undefined ? null : { signal: by, step: at };
    const summary = summaryOf(opts, adapters, engine, demoModel, { published: result.published, injected, warmup, seconds, labeling: labeled, learning: learned, interrupted });
    printSummary(summary);
    if (by !== undefined) {
      const closed = await closeStarted(opened, log, `after the demo was interrupted while ${at}`);
      signals.dispose();
      progressNote(`sextant: demo interrupted by ${by} while ${at}, after its replay: the summary above is what it did until then; closed ${inWords(closed)}; nothing is left running`);
      process.exitCode = signalExitCode(by);
      return summary;
    }
    if (dash !== undefined && opts.hold === true) {
      // Held open until SIGINT/SIGTERM; a second one while it closes exits at once, saying so.
      holding = true;
      progressNote(`replay done; the dashboard keeps serving the final state at ${dash.url} until Ctrl-C`);
      await signals.stopped;
    }
    await closeStarted(opened, log, 'at the end of the demo');
    signals.dispose();
    return summary;
  } catch (e) {
    progress.stop();
    const closed = await closeStarted(opened, log, `after the demo stopped ${step}`);
    signals.dispose();
    if (!signals.signal.aborted || !(e instanceof DemoInterrupted || isTrainingCancelled(e))) throw e;
    const by = String(signals.signal.reason) as NodeJS.Signals;
    progressNote(`sextant: demo interrupted by ${by} while ${step}: closed ${inWords(closed)}; nothing is left running (a demo run again resets its namespace)`);
    process.exitCode = signalExitCode(by);
    return undefined;
  }
}

/** How long the labeling wait after the replay goes on while the labeling actor handles nothing. */
const LABELING_STALL_MS = 30_000;

async function labelingSummary(
  s: Readonly<LabelingStats>,
  wait: Readonly<{ caughtUp: boolean; left: number }> | undefined,
  adapters: Adapters,
  cfg: Config,
): Promise<DemoLabeling> {
  const refused = await labelingRefusals(adapters.bus, streamName(cfg, 'DLQ'), subjectsFor(cfg.prefix));
  return { caughtUp: wait?.caughtUp ?? false, left: wait?.left ?? 0, labeled: s.labeled, samples: s.samples, ...refused, pending: s.pending, waiting: s.waitingFeatures };
}

type DemoDashboard = Readonly<{ gateway: GatewayRuntime; url: string; statusIntervalMs: number }>;

/**
 * The gateway of `sextant demo --dashboard`: prints the page's URL with the viewer token. Ready
 * once the engine runs (`engine()` is undefined while the model trains).
 */
async function startDemoDashboard(cfg: Config, adapters: Adapters, log: Logger, port: number | undefined, engine: () => Engine | undefined, nats: BusConnection | undefined): Promise<DemoDashboard> {
  const gcfg: Config = { ...cfg, gateway: { ...cfg.gateway, enabled: true, ...(port !== undefined ? { port } : {}) } };
  const supervisor = { status: () => engine()?.supervisor.status() ?? [] };
  const probes = engineProbes(gcfg, adapters, { supervisor });
  const consumers = probes['consumers'];
  const gateway = await startGatewayRuntime(gcfg, adapters.bus, { ...probes, consumers: () => (engine() === undefined ? Promise.reject(new Error('the engine is starting')) : (consumers?.() ?? Promise.resolve())) }, log, {
    metrics: createEngineMetrics(),
    // A run after the first reuses the registry's model, announcing nothing, into streams reset above.
    registry: adapters.registry,
    ...(nats === undefined ? {} : { nats }),
  }).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`port ${gcfg.gateway.port} on ${gcfg.gateway.host} is in use: pass --port <n> (0 picks a free one)`, { cause: e });
    throw e;
  });
  const viewer = resolveGatewayTokens(gcfg.gateway.tokens, process.env).find((t) => t.role === 'viewer');
  const url = viewer === undefined ? `${gateway.server.url}/` : `${gateway.server.url}/?token=${encodeURIComponent(viewer.token)}`;
  progressNote(`dashboard: ${url}`);
  return { gateway, url, statusIntervalMs: gcfg.gateway.statusIntervalMs ?? 1000 };
}

/** The window as `--learn` sizes its cycle on (`learningSamples`): each symbol's bars in it, the served model's warm-up and horizon. */
async function learningWindow(files: Parameters<typeof windowBars>[0], o: Pick<DemoOptions, 'symbols' | 'timeframe' | 'from' | 'to'>, venue: string, model: ModelVersion): Promise<LearningWindow> {
  const barMs = TIMEFRAME_MS[o.timeframe];
  return {
    bars: await windowBars(files, o.symbols, { venue, from: o.from, to: o.to }),
    warmup: barsBeforeFirstPrediction(model),
    // As the labeling actor reads a prediction's horizon (models/labeling/pending-horizons.ts).
    horizonBars: Math.max(1, Math.ceil(model.calibration.horizonMs / barMs)),
    barMs,
  };
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
