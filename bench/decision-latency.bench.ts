/**
 * Decision-latency benchmark: tick → approved order through the whole live engine (asset actors
 * → features → event sequencer → strategy on ONNX Runtime (placed by `models.inferenceThread`, or `--thread`) → execution →
 * risk → `sx.exec.order.…`) on real NATS JetStream, beside the raw `@nats-io/jetstream`
 * publish → pull-consume latency measured in the same process run at the same rate on the same
 * messages. The issue's target: engine p99 ≤ 2× raw p99 at 5,000 ticks/s.
 *
 *   npx tsx bench/decision-latency.bench.ts [--rate 5000] [--seconds 10] [--warm 300] [--symbols BTC/USDT,ETH/USDT,…] [--from 2024-01-01] [--thread worker|main|auto] [--publisher worker|main] [--trace] [--cpu-profile <file>] [--alloc-profile <file>]
 *
 * The bars are published from the engine's own event loop (`--publisher main`, the default), or
 * by a worker thread on a connection of its own (`--publisher worker`: in production the market-
 * data gateway is another process), for the raw baseline and the engine alike. Two A/B pairs at
 * 5,000 bars/s showed no clear difference (bench/README.md), so the default stays as it was.
 *
 * Needs NATS with JetStream on its default local port. Redis and PostgreSQL are not used: the
 * feature, risk and model stores are the in-process ones, so what is measured is the bus and the
 * actors, not the stores' round trips. The history (bars, feature vectors) is counted, not kept,
 * as in a backtest: live it goes to PostgreSQL, and keeping it in the engine's heap would make
 * every major GC walk a store production does not have. Everything runs in a namespace of its own
 * (subject prefix and stream names), removed at the end. Exits non-zero on errors only, never
 * because the target was missed.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startEngine } from '../cli/engine.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { requireDataDir } from '../gateways/data-dir.js';
import type { ModelRegistry } from '../models/registry/model-registry.js';
import { createLiveClock } from '../state/clocks/live-clock.js';
import { silentLogger } from '../state/logger.js';
import { createMemoryFeatureStore } from '../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../state/memory-risk-store.js';
import { createCountingHistory } from '../cli/commands/backtest-history.js';
import type { Bus, StreamSpec } from '../streams/bus.js';
import type { Bar } from '../streams/messages/bar.js';
import { createNatsBus } from '../streams/nats-bus.js';
import { streamSpecs } from '../streams/provision.js';
import { subjectsFor } from '../streams/subjects.js';
import { loadBars, openLimitsConfig, pacedPublish, placementArg, placementText, settle } from './latency-engine.js';
import { servedRegistry } from '../cli/served-model.js';
import { pacedPublishInWorker } from './paced-publisher.js';
import type { Paced } from './latency-engine.js';
import { barIdOfOrder, latencyVerdict, summarise } from './latency-stats.js';
import type { Summary } from './latency-stats.js';
import { formatSched, schedAccount } from './thread-sched.js';
import { brokerSchedTargets, brokerText, localBroker } from './broker-process.js';
import { createTracer } from './stage-trace.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
    warm: { type: 'string', default: '300' },
    symbols: { type: 'string', default: 'BTC/USDT,ETH/USDT,SOL/USDT,BNB/USDT,XRP/USDT' },
    from: { type: 'string', default: '2024-01-01' },
    drain: { type: 'string', default: '30' },
    thread: { type: 'string' },
    publisher: { type: 'string', default: 'main' },
    trace: { type: 'boolean', default: false },
    'cpu-profile': { type: 'string' },
    'alloc-profile': { type: 'string' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const WARM = Number(args.warm);
const DRAIN_S = Number(args.drain);
/** Where inference runs: the config's `models.inferenceThread` unless `--thread` says. */
const THREAD_ARG = placementArg(args.thread);
if (args.publisher !== 'worker' && args.publisher !== 'main') throw new Error('--publisher must be worker or main');
const PUBLISHER: 'worker' | 'main' = args.publisher;
const SYMBOLS = args.symbols.split(',').map((s) => s.trim());
const FROM = Date.parse(`${args.from}T00:00:00Z`);
for (const [name, v] of [['rate', RATE], ['seconds', SECONDS], ['warm', WARM], ['drain', DRAIN_S], ['from', FROM]] as const) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
}
/** The demo model trains on these (three years of 1h bars); it serves every configured symbol. */
const TRAIN_SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
const TF = '1h';

const tag = randomUUID().replaceAll('-', '').slice(0, 8);
const base = loadConfig();
/** The broker behind the configured URL when it runs here (another nats-server on the machine is not it). */
const broker = localBroker(base.nats.url);
/** Where this process's threads and the broker spent the publishing spans: ran, or waited for a CPU. */
const sched = schedAccount<'raw' | 'engine'>([{ pid: process.pid, label: 'bench', byThread: true }, ...brokerSchedTargets(broker)]);
const cfg: Config = openLimitsConfig(base, SYMBOLS, TF, { prefix: `sxdl${tag}`, streamNamePrefix: `BDL${tag}_`, account: `bench${tag}` });
/**
 * A raw baseline's namespace: its own MD stream, same stream settings. One per baseline run, so
 * the second run's messages are not dropped as duplicates of the first's (`Nats-Msg-Id`).
 */
const rawCfg = (run: string): Config => ({ ...cfg, prefix: `${cfg.prefix}raw${run}`, streamNamePrefix: `BDL${tag}RAW${run}_` });
const RAW_RUNS = ['before', 'after'] as const;
const mdSpec = (c: Config): StreamSpec => {
  const s = subjectsFor(c.prefix);
  const spec = streamSpecs(c).find((x) => x.subjects.includes(s.allMarketData()));
  if (spec === undefined) throw new Error('no stream captures market data');
  return spec;
};

/**
 * CPU seconds used so far by the broker when it runs on this machine (Linux /proc; utime + stime
 * at 100 ticks/s), or undefined where there is none to read: it shares the engine's cores.
 */
function natsServerCpuS(): number | undefined {
  if (broker === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${broker.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Publishes `bars` on `prefix`'s subjects at the rate, from the engine's own thread
 * (`--publisher main`) or from a worker thread with a connection of its own (`--publisher
 * worker`). Resolves once every publish is acknowledged, with each bar's send time.
 */
async function publishBars(bus: Bus, prefix: string, bars: readonly Bar[]): Promise<{ paced: Paced; sentAt: Map<string, number> }> {
  if (PUBLISHER === 'worker') {
    const r = await pacedPublishInWorker(cfg.nats.url, prefix, bars, RATE);
    return { paced: { published: r.published, seconds: r.seconds }, sentAt: r.sentAt };
  }
  const sentAt = new Map<string, number>();
  const paced = await pacedPublish(bus, subjectsFor(prefix), bars, RATE, (_i, b) => void sentAt.set(b.id, performance.now()));
  return { paced, sentAt };
}

/** Latencies of what arrived (id → when) against when it was sent. */
function latencies(sentAt: ReadonlyMap<string, number>, arrivedAt: ReadonlyMap<string, number>): number[] {
  const out: number[] = [];
  for (const [id, t] of arrivedAt) {
    const s = sentAt.get(id);
    if (s !== undefined) out.push(t - s);
  }
  return out;
}

/** This process's write syscalls so far (Linux `/proc/self/io`), or undefined where unreadable: each is a socket write to the broker here. */
function writeSyscalls(): number | undefined {
  try {
    const m = /^syscw: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

const ms = (n: number): string => `${n.toFixed(2)} ms`;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const line = (label: string, s: Summary): string =>
  `${label.padEnd(36)} p50 ${ms(s.p50)}  p90 ${ms(s.p90)}  p99 ${ms(s.p99)}  max ${ms(s.max)}  (n ${fmt(s.n)})`;

/** Raw baseline: the same bars, the same publisher and rate, one durable pull consumer acking each message and doing nothing else. */
async function rawLatency(bus: Bus, raw: Config, bars: readonly Bar[]): Promise<{ lat: number[]; paced: Paced }> {
  const spec = mdSpec(raw);
  await bus.ensureStreams([spec]);
  const nc = await connect({ servers: cfg.nats.url, name: 'bench-raw' });
  try {
    const jsm = await jetstreamManager(nc);
    const durable = `raw_${tag}`;
    await jsm.consumers.add(spec.name, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
    const messages = await (await jetstream(nc).consumers.get(spec.name, durable)).consume({ max_messages: cfg.consumer.batchSize });
    const arrivedAt = new Map<string, number>();
    let seen = 0;
    const done = (async () => {
      for await (const m of messages) {
        const now = performance.now();
        m.ack();
        arrivedAt.set(m.headers?.get('Nats-Msg-Id') ?? '', now);
        if (++seen >= bars.length) break;
      }
    })();
    sched.mark('raw');
    const { paced, sentAt } = await publishBars(bus, raw.prefix, bars);
    sched.mark(undefined);
    const deadline = performance.now() + DRAIN_S * 1000;
    while (seen < bars.length && performance.now() < deadline) await sleep(20);
    messages.stop();
    await done;
    await jsm.consumers.delete(spec.name, durable);
    return { lat: latencies(sentAt, arrivedAt), paced };
  } finally {
    await nc.close();
  }
}

type EngineResult = {
  lat: number[];
  decided: number[];
  paced: Paced;
  orders: number;
  unmatched: number;
  predictions: number;
  rejects: number;
  drained: boolean;
  lastOrderAfterPublishMs: number;
  /** The main thread's event-loop utilisation over the measured phase (0..1): how busy the engine's thread was. */
  elu: number;
  /** The process's CPU time over the measured phase (all threads), in seconds. */
  cpuS: number;
  wallS: number;
  /** nats-server's CPU time over the same span, where a local one could be read. */
  serverCpuS: number | undefined;
  /** This process's write syscalls over the same span. */
  writes: number | undefined;
};

async function engineLatency(bus: Bus, registry: ModelRegistry, warm: readonly Bar[], measured: readonly Bar[]): Promise<EngineResult> {
  const subjects = subjectsFor(cfg.prefix);
  const profile = args['cpu-profile'];
  const allocProfile = args['alloc-profile'];
  const tracer =
    args.trace || profile !== undefined || allocProfile !== undefined
      ? createTracer({ ...(profile === undefined ? {} : { profile }), ...(allocProfile === undefined ? {} : { allocProfile }) })
      : undefined;
  if (tracer !== undefined) bus = tracer.wrap(bus);
  const riskStore = createMemoryRiskStore();
  // Where the time goes: when each bar was decided (strategy → execution → risk done), beside
  // when its order arrived at a subscriber.
  const decidedAt = new Map<string, number>();
  const engine = await startEngine(
    cfg,
    { bus, features: createMemoryFeatureStore({ historyCap: cfg.redis.historyCap }), timeseries: createCountingHistory(), registry, riskStore },
    createLiveClock(),
    silentLogger,
    { observer: { event: (e) => void decidedAt.set(e.md.id, performance.now()) }, ...(THREAD_ARG !== undefined ? { inferenceThread: THREAD_ARG } : {}) },
  );
  const decisions = engine.decisions;
  if (decisions === undefined) throw new Error(`the engine serves no model ${cfg.strategy.model}: decisions are off`);
  /** When each order arrived here, by the id of the bar it came from (matched with the send times after the run). */
  let orderAt = new Map<string, number>();
  let unmatched = 0;
  let lastOrderAt = 0;
  const dec = new TextDecoder();
  const subs = cfg.assets.map((a) =>
    bus.subscribe(subjects.order(cfg.strategy.name, a.venue, a.symbol), (_subject, data) => {
      const now = performance.now();
      const o: unknown = JSON.parse(dec.decode(data));
      const suggestion = typeof o === 'object' && o !== null && 'suggestionId' in o && typeof o.suggestionId === 'string' ? o.suggestionId : undefined;
      const bar = suggestion === undefined ? undefined : barIdOfOrder(suggestion);
      if (bar === undefined) {
        unmatched++;
        return;
      }
      orderAt.set(bar, now);
      lastOrderAt = now;
    }),
  );
  try {
    // Warm-up, not measured: features warm, the model loaded, the first orders through.
    await publishBars(bus, cfg.prefix, warm);
    const inAfter = (n: number): (() => number) => () => (engine.counters.messagesIn >= n ? decisions.path.stats().predictions : -1);
    if (!(await settle(inAfter(warm.length), 0, 300, DRAIN_S * 1000))) throw new Error(`warm-up did not finish: engine saw ${engine.counters.messagesIn} of ${warm.length}`);
    const before = decisions.path.stats();
    const baseline = { predictions: before.predictions, rejects: before.rejects, orders: before.orders };
    unmatched = 0;
    orderAt = new Map();

    tracer?.start();
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const server0 = natsServerCpuS();
    const writes0 = writeSyscalls();
    const t0 = performance.now();
    sched.mark('engine');
    const { paced, sentAt } = await publishBars(bus, cfg.prefix, measured);
    sched.mark(undefined);
    const endPublish = performance.now();
    // Busy-ness over the publishing span (the drain's idle wait would dilute it).
    const elu = performance.eventLoopUtilization(elu0).utilization;
    const cpu = process.cpuUsage(cpu0);
    const server1 = natsServerCpuS();
    const writes1 = writeSyscalls();
    const wallS = (endPublish - t0) / 1000;
    const drained = await settle(inAfter(warm.length + measured.length), 0, 300, DRAIN_S * 1000);
    await tracer?.report(sentAt, decidedAt, orderAt);
    const lat = latencies(sentAt, orderAt);
    for (const id of orderAt.keys()) if (!sentAt.has(id)) unmatched++; // a warm-up bar's order, late
    const after = decisions.path.stats();
    const decided: number[] = [];
    for (const [id, t] of sentAt) {
      const d = decidedAt.get(id);
      if (d !== undefined) decided.push(d - t);
    }
    return {
      lat,
      decided,
      paced,
      orders: after.orders - baseline.orders,
      unmatched,
      predictions: after.predictions - baseline.predictions,
      rejects: after.rejects - baseline.rejects,
      drained,
      lastOrderAfterPublishMs: lastOrderAt - endPublish,
      elu,
      cpuS: (cpu.user + cpu.system) / 1e6,
      wallS,
      serverCpuS: server0 === undefined || server1 === undefined ? undefined : server1 - server0,
      writes: writes0 === undefined || writes1 === undefined ? undefined : writes1 - writes0,
    };
  } finally {
    for (const s of subs) s.unsubscribe();
    await engine.stop();
    await riskStore.close();
  }
}

async function main(): Promise<void> {
  const dataDir = requireDataDir();
  const firstMeasured = WARM * SYMBOLS.length;
  const all = await loadBars(dataDir, cfg.venue, SYMBOLS, TF, FROM, firstMeasured + RATE * SECONDS);
  if (all.length < firstMeasured + RATE * SECONDS) throw new Error(`only ${all.length} bars of ${SYMBOLS.join(', ')} from ${args.from} up to the last hour they all have: a lower rate, fewer seconds or an earlier --from`);
  const warm = all.slice(0, firstMeasured);
  const measured = all.slice(firstMeasured, firstMeasured + RATE * SECONDS);
  const bus = await createNatsBus({ url: cfg.nats.url, name: 'bench-decision', connectTimeoutMs: cfg.nats.connectTimeoutMs });
  const streams = [...streamSpecs(cfg).map((s) => s.name), ...RAW_RUNS.map((r) => mdSpec(rawCfg(r)).name)];
  // Trained on a worker thread: tfjs stays out of the engine's heap, as in `sextant run`.
  const model = await servedRegistry(cfg, { dataDir, symbols: TRAIN_SYMBOLS, timeframe: TF, from: FROM });
  try {
    console.log(
      `decision latency: ${SYMBOLS.join(', ')} real ${TF} bars from ${args.from}, ${fmt(RATE)} msg/s for ${SECONDS}s (${fmt(measured.length)} bars) after ${fmt(warm.length)} warm-up bars\n` +
        `  NATS JetStream ${cfg.nats.url} (${cfg.streams.MD.storage} storage; ${brokerText(broker)}), in-process feature/risk/model stores, history counted not kept (no Redis, no PostgreSQL)\n` +
        `  strategy ${cfg.strategy.name}: minConfidence ${cfg.strategy.minConfidence}, sizing ${cfg.strategy.sizing} ${cfg.strategy.positionSize}; execution ${cfg.execution.policy} (minQtyFraction 0); ` +
        `risk limits wide open; decision.idleFlushMs ${cfg.decision.idleFlushMs}; inference ${placementText(cfg, THREAD_ARG)}\n` +
        `  model ${cfg.strategy.model} trained in ${model.seconds.toFixed(1)} s before the run (3 years of ${TF} bars of ${TRAIN_SYMBOLS.join(', ')} before ${args.from})`,
    );
    // The baseline runs before and after the engine, so a machine that got busier meanwhile shows.
    const rawBefore = await rawLatency(bus, rawCfg('before'), measured);
    const before = summarise(rawBefore.lat);
    console.log(line('publish → raw consume (before)', before) + `  published at ${fmt(rawBefore.paced.published / rawBefore.paced.seconds)} msg/s`);
    const eng = await engineLatency(bus, model.registry, warm, measured);
    const engS = summarise(eng.lat);
    console.log(line('publish → sx.exec.order (engine)', engS) + `  published at ${fmt(eng.paced.published / eng.paced.seconds)} msg/s`);
    console.log(line('  of which publish → decided', summarise(eng.decided)) + '  (every bar, order or not)');
    console.log(
      `  bars ${fmt(measured.length)}, predictions ${fmt(eng.predictions)}, orders ${fmt(eng.orders)} (seen ${fmt(engS.n)}, unmatched ${eng.unmatched}), rejects ${fmt(eng.rejects)}; ` +
        `${eng.drained ? 'drained' : 'NOT drained'}; last order ${fmt(eng.lastOrderAfterPublishMs)} ms after the last publish`,
    );
    console.log(
      `  while publishing: main thread busy ${(100 * eng.elu).toFixed(1)} % (event-loop utilisation), process CPU ${eng.cpuS.toFixed(2)} s in ${eng.wallS.toFixed(2)} s ` +
        `(${((100 * eng.cpuS) / eng.wallS).toFixed(0)} % of one core, all threads; publisher and subscriber of this bench included)` +
        (eng.serverCpuS === undefined ? '' : `; nats-server CPU ${eng.serverCpuS.toFixed(2)} s (${((100 * eng.serverCpuS) / eng.wallS).toFixed(0)} %)`) +
        (eng.writes === undefined ? '' : `; write syscalls ${fmt(eng.writes / eng.wallS)}/s`),
    );
    const rawAfter = await rawLatency(bus, rawCfg('after'), measured);
    const after = summarise(rawAfter.lat);
    console.log(line('publish → raw consume (after)', after) + `  published at ${fmt(rawAfter.paced.published / rawAfter.paced.seconds)} msg/s`);
    // Per thread, while publishing: CPU time, and time runnable but waiting for a CPU (Linux schedstat).
    for (const l of formatSched(sched, [{ label: 'raw', title: 'raw runs (both):' }, { label: 'engine', title: 'engine run:     ' }])) console.log(l);
    const raw = summarise([...rawBefore.lat, ...rawAfter.lat]);
    console.log(line('publish → raw consume (both runs)', raw));
    const ratio = engS.p99 / raw.p99;
    const verdict = latencyVerdict({ ratio, target: 2, mainThreadBusy: eng.elu, rawBeforeP99: before.p99, rawAfterP99: after.p99 });
    console.log(
      `p99 engine / p99 raw = ${ratio.toFixed(2)}× (target ≤ 2×: ${verdict.verdict === 'met' ? 'met' : verdict.verdict === 'not met' ? 'NOT met' : 'INCONCLUSIVE'}); ` +
        `against the raw run before ${(engS.p99 / before.p99).toFixed(2)}×, after ${(engS.p99 / after.p99).toFixed(2)}×`,
    );
    for (const r of verdict.reasons) console.log(`  inconclusive: ${r}`);
    console.log(
      JSON.stringify({ rate: RATE, seconds: SECONDS, symbols: SYMBOLS, bars: measured.length, raw, rawBefore: before, rawAfter: after, engine: engS, ratioP99: ratio, verdict: verdict.verdict, orders: eng.orders, predictions: eng.predictions, drained: eng.drained, mainThreadBusy: eng.elu, processCpuS: eng.cpuS, wallS: eng.wallS, natsServerCpuS: eng.serverCpuS ?? null, writeSyscalls: eng.writes ?? null }),
    );
  } finally {
    await bus.deleteStreams(streams);
    await bus.close();
    await model.close();
  }
}

try {
  await main();
} catch (e) {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
}
