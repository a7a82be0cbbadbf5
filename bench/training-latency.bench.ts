/**
 * Live-path latency while a model trains: tick → approved order through the whole live engine
 * (asset actors → features → event sequencer → strategy on ONNX Runtime, placed by the config's
 * `models.inferenceThread` or `--thread worker|main|auto` →
 * execution → risk → `sx.exec.order.…`) on real NATS JetStream at a fixed rate, without and with
 * a training job running (`startTrainingJob`, in a child process or with `--isolation thread` on a worker thread: the MLP of the direction model,
 * fitting three years of 1h bars for as long as the segment lasts). The two conditions alternate
 * in every round (ABBA order), on one engine, each segment on bars of its own, so load from
 * elsewhere on the machine hits both alike. The issue's target: p99 with training ≤ 1.2 × p99
 * without.
 *
 *   npx tsx bench/training-latency.bench.ts [--rate 1000] [--seconds 5] [--rounds 4] [--warm 300] [--symbols BTC/USDT,ETH/USDT,…] [--isolation process|thread]
 *     [--thread worker|main|auto] [--phase-ms 500 [--guard-ms 100] [--control] [--orders <file>]] [--pace <runMs>/<pauseMs>] [--yield <lagMs>/<holdMs>] [--lap]
 *
 * The job runs at the config's `retraining.training.pace`, as the live engine runs a challenger's
 * fit (`--pace 100/0`: unpaced), yielding to the engine as the config says (off; `--yield 10/200`: on). `--control` (phase mode) never resumes the job: the ratio it
 * prints is what chance alone gives between the two sets of phases. Phase mode also prints a 90 %
 * interval for the p99 ratio from a block bootstrap over the phases: a p99 is decided by a few
 * stalls, and the interval says how much one run's ratio can be trusted. `--lap` repeats the data
 * in time-shifted laps where a long run needs more bars than the window holds. Phase mode prints,
 * per condition, each thread's CPU time and its time waiting for a CPU (engine, nats-server,
 * trainer; `thread-sched.ts`, Linux).
 *
 * Needs NATS with JetStream on its default local port; Redis and PostgreSQL are not used (the
 * stores are the in-process ones and the history is counted, not kept, as in
 * bench/decision-latency.bench.ts). The bars are read and published by a worker thread on a
 * connection of its own (`startBarPublisher`), as a gateway would from its own process, so the
 * engine's heap holds the engine: kept here, the bars were half the objects every full garbage
 * collection of that heap marked. Everything runs in a namespace of its own, removed at the
 * end. Exits non-zero on errors only, never because the target was missed.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadSymbolBars } from '../cli/commands/train.js';
import { startEngine } from '../cli/engine.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { requireDataDir } from '../gateways/data-dir.js';
import { buildBarDataset } from '../models/training/bar-dataset.js';
import { DEFAULT_PARAMS } from '../models/training/model-params.js';
import { fitStandardiser, pick, standardiseRows } from '../models/training/standardiser.js';
import { startTrainingJob } from '../models/training/training-job.js';
import type { TrainingIsolation, TrainingJobOptions, TrainingYield } from '../models/training/training-job.js';
import type { TrainingJob } from '../models/training/training-job.js';
import type { TrainingSpec } from '../models/training/training-spec.js';
import { createLiveClock } from '../state/clocks/live-clock.js';
import { silentLogger } from '../state/logger.js';
import { createMemoryFeatureStore } from '../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../state/memory-risk-store.js';
import { createCountingHistory } from '../cli/commands/backtest-history.js';
import { TIMEFRAME_MS } from '../streams/messages/bar.js';
import { createNatsBus } from '../streams/nats-bus.js';
import { streamSpecs } from '../streams/provision.js';
import { subjectsFor } from '../streams/subjects.js';
import { openLimitsConfig, placementArg, placementText, settle } from './latency-engine.js';
import { startBarPublisher } from './paced-publisher.js';
import { servedRegistry } from '../cli/served-model.js';
import type { BarPublisher } from './paced-publisher.js';
import { watchLoop } from './loop-watch.js';
import { formatSched, schedAccount } from './thread-sched.js';
import { brokerSchedTargets, brokerText, localBroker } from './broker-process.js';
import { barIdOfOrder, bootstrapRatio, summarise } from './latency-stats.js';
import { mulberry32 } from '../models/training/seeded-rng.js';
import type { Summary } from './latency-stats.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '4' },
    warm: { type: 'string', default: '300' },
    symbols: { type: 'string', default: 'BTC/USDT,ETH/USDT,SOL/USDT,BNB/USDT,XRP/USDT' },
    from: { type: 'string', default: '2024-01-01' },
    drain: { type: 'string', default: '30' },
    isolation: { type: 'string', default: 'process' },
    'phase-ms': { type: 'string', default: '0' },
    'guard-ms': { type: 'string', default: '100' },
    /** `<runMs>/<pauseMs>` of the training process; default: the config's retraining.training.pace, as the live engine runs it. */
    pace: { type: 'string' },
    /** `<lagMs>/<holdMs>` of the job's yielding to the engine (TrainingYield), e.g. `10/200`; default: the config's pace.yieldTo (off). */
    yield: { type: 'string' },
    /** Where the engine runs inference: `worker`, `main` or `auto`; default the config's `models.inferenceThread`, as `sextant run`. */
    thread: { type: 'string' },
    /** Phase mode's control run (A/A): the job stays paused in the "with" phases too, so the ratio shows what chance alone gives. */
    control: { type: 'boolean', default: false },
    /** Where the data from --from holds fewer bars than the run needs: repeat it in time-shifted laps (load, not market data). */
    lap: { type: 'boolean', default: false },
    /** Phase mode: write every timed order as [send time ms, latency ms, condition] (JSON) to this file, to see where the slow ones fall. */
    orders: { type: 'string' },
  },
});
if (args.isolation !== 'process' && args.isolation !== 'thread') throw new Error('--isolation must be process or thread');
const ISOLATION: TrainingIsolation = args.isolation;
/** Where inference runs: the config's `models.inferenceThread` unless `--thread` says. */
const THREAD_ARG = placementArg(args.thread);
/** With `--phase-ms`: one training process, paused and resumed in ABBA phases of this length during one long publish. */
const PHASE_MS = Number(args['phase-ms']);
const GUARD_MS = Number(args['guard-ms']);
if (!Number.isFinite(PHASE_MS) || PHASE_MS < 0 || !Number.isFinite(GUARD_MS) || GUARD_MS < 0 || (PHASE_MS > 0 && 2 * GUARD_MS >= PHASE_MS)) throw new Error('--phase-ms must be 0 or more than twice --guard-ms');
if (PHASE_MS > 0 && ISOLATION !== 'process') throw new Error('--phase-ms pauses a training process: use it with --isolation process');
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const WARM = Number(args.warm);
const DRAIN_S = Number(args.drain);
const SYMBOLS = args.symbols.split(',').map((s) => s.trim());
const FROM = Date.parse(`${args.from}T00:00:00Z`);
for (const [name, v] of [['rate', RATE], ['seconds', SECONDS], ['rounds', ROUNDS], ['warm', WARM], ['drain', DRAIN_S], ['from', FROM]] as const) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
}
const TRAIN_SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
const BOOTSTRAP_ROUNDS = 1000;
const BOOTSTRAP_SEED = 1;
const TF = '1h';
const YEAR = 365 * 86_400_000;

const tag = randomUUID().replaceAll('-', '').slice(0, 8);
const base = loadConfig();
/** A `<a>/<b>` flag of whole milliseconds, or `usage` as the error. */
const msPair = (text: string, ok: (a: number, b: number) => boolean, usage: string): [number, number] => {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const pair: [number, number] = [Number(m?.[1]), Number(m?.[2])];
  if (m === null || !ok(...pair)) throw new Error(usage);
  return pair;
};
const YIELD = ((): TrainingYield => {
  const own = base.retraining.training.pace.yieldTo;
  if (args.yield === undefined) return own;
  const [lagMs, holdMs] = msPair(args.yield, (_, hold) => hold > 0, '--yield must be <lagMs>/<holdMs>, holdMs > 0 (lagMs 0: off)');
  return { ...own, lagMs, holdMs };
})();
const PACE = ((): { runMs: number; pauseMs: number; yieldTo: TrainingYield } => {
  if (args.pace === undefined) return { ...base.retraining.training.pace, yieldTo: YIELD };
  const [runMs, pauseMs] = msPair(args.pace, (run) => run > 0, '--pace must be <runMs>/<pauseMs>, runMs > 0 (pauseMs 0: unpaced)');
  return { runMs, pauseMs, yieldTo: YIELD };
})();
/** The training job's options: paced on the wall clock as the live engine paces it (a thread cannot be paced). */
const jobOptions = (isolation: TrainingIsolation): TrainingJobOptions =>
  isolation === 'process' ? { isolation, pace: { clock: createLiveClock(), ...PACE } } : { isolation };
const paceText =
  ISOLATION !== 'process'
    ? 'unpaced'
    : `${PACE.pauseMs > 0 ? `paced ${PACE.runMs} ms running / ${PACE.pauseMs} ms stopped` : 'unpaced'}, ${YIELD.lagMs > 0 ? `yielding ${YIELD.holdMs} ms whenever a ${YIELD.probeMs} ms probe fires ${YIELD.lagMs} ms late` : 'not yielding'}`;
/** The decision-latency bench's config: nearly every prediction becomes an order, so most bars have a latency. */
const cfg: Config = openLimitsConfig(base, SYMBOLS, TF, { prefix: `sxtl${tag}`, streamNamePrefix: `BTL${tag}_`, account: `bench${tag}` });
/** The broker behind the configured URL when it runs here (another nats-server on the machine is not it). */
const broker = localBroker(cfg.nats.url);

const ms = (n: number): string => `${n.toFixed(2)} ms`;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const line = (label: string, s: Summary): string => `${label.padEnd(30)} p50 ${ms(s.p50)}  p90 ${ms(s.p90)}  p99 ${ms(s.p99)}  max ${ms(s.max)}  (n ${fmt(s.n)})`;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/**
 * The background job: the direction MLP on three years of 1h bars before the window (85 % fit,
 * 15 % validation, standardised), with epochs and patience so large that it trains until the
 * segment ends and the job is terminated.
 */
async function trainingSpec(dataDir: string): Promise<{ spec: TrainingSpec; rows: number }> {
  const bars = await loadSymbolBars(dataDir, TRAIN_SYMBOLS, TF, { from: FROM - 3 * YEAR, to: FROM });
  const ds = buildBarDataset(bars, { horizon: 4, kAtr: 0.5, barMs: TIMEFRAME_MS[TF] });
  const cut = Math.floor(ds.rows * 0.85);
  const fitIdx = Int32Array.from({ length: cut }, (_, i) => i);
  const valIdx = Int32Array.from({ length: ds.rows - cut }, (_, i) => cut + i);
  const s = fitStandardiser(ds.x, ds.cols, fitIdx);
  const spec: TrainingSpec = {
    model: 'mlp',
    params: { ...DEFAULT_PARAMS.mlp, epochs: 100_000, patience: 100_000 },
    classes: 3,
    window: 1,
    cols: ds.cols,
    fit: { x: standardiseRows(ds.x, ds.cols, fitIdx, s), y: pick(ds.y, fitIdx), rows: fitIdx.length },
    validation: { x: standardiseRows(ds.x, ds.cols, valIdx, s), y: pick(ds.y, valIdx), rows: valIdx.length },
    evaluate: {},
    export: { inputName: 'features', outputName: 'probs', graphName: 'bench', metadata: {} },
  };
  return { spec, rows: ds.rows };
}

const CONDITIONS = ['without', 'with'] as const;
type Condition = (typeof CONDITIONS)[number];
type Segment = { round: number; condition: Condition; lat: number[]; rate: number; epochs: number; drained: boolean };

async function main(): Promise<void> {
  const dataDir = requireDataDir();
  const perSegment = RATE * SECONDS;
  const segments = ROUNDS * CONDITIONS.length;
  const warmN = WARM * SYMBOLS.length;

  // Trained on a worker thread: tfjs stays out of the engine's heap, as in `sextant run`.
  const served = await servedRegistry(cfg, { dataDir, symbols: TRAIN_SYMBOLS, timeframe: TF, from: FROM });
  const { registry } = served;
  const { spec, rows } = await trainingSpec(dataDir);

  const bus = await createNatsBus({ url: cfg.nats.url, name: 'bench-training-latency', connectTimeoutMs: cfg.nats.connectTimeoutMs });
  const subjects = subjectsFor(cfg.prefix);
  const riskStore = createMemoryRiskStore();
  const engine = await startEngine(
    cfg,
    { bus, features: createMemoryFeatureStore({ historyCap: cfg.redis.historyCap }), timeseries: createCountingHistory(), registry, riskStore },
    createLiveClock(),
    silentLogger,
    THREAD_ARG !== undefined ? { inferenceThread: THREAD_ARG } : {},
  );
  const decisions = engine.decisions;
  /** Orders as they arrive: their bar's id and when (joined with the send times once a range is published). */
  let arrivedIds: string[] = [];
  let arrivedAt: number[] = [];
  const dec = new TextDecoder();
  const subs = cfg.assets.map((a) =>
    bus.subscribe(subjects.order(cfg.strategy.name, a.venue, a.symbol), (_subject, data) => {
      const now = performance.now();
      const o: unknown = JSON.parse(dec.decode(data));
      const suggestion = typeof o === 'object' && o !== null && 'suggestionId' in o && typeof o.suggestionId === 'string' ? o.suggestionId : undefined;
      const bar = suggestion === undefined ? undefined : barIdOfOrder(suggestion);
      if (bar === undefined) return;
      arrivedIds.push(bar);
      arrivedAt.push(now);
    }),
  );
  /** Takes the orders arrived so far whose bars were sent in `sentAt`: each one's send time and latency. */
  const takeArrived = (sentAt: ReadonlyMap<string, number>): { sent: number; lat: number }[] => {
    const out: { sent: number; lat: number }[] = [];
    arrivedIds.forEach((id, i) => {
      const t = sentAt.get(id);
      if (t !== undefined) out.push({ sent: t, lat: (arrivedAt[i] as number) - t });
    });
    arrivedIds = [];
    arrivedAt = [];
    return out;
  };
  const done: Segment[] = [];
  let job: TrainingJob | undefined;

  /**
   * Phase mode: one training job, started before and paused (SIGSTOP) or running by turns in
   * phases of PHASE_MS in ABBA order (without, with, with, without, …) while all the bars are
   * published at the rate. Each order counts for the phase its bar was published in, unless it
   * was published within GUARD_MS of a switch (its latency could straddle two conditions). Many
   * short alternating phases put outside load on both conditions alike.
   */
  const phases = async (p: BarPublisher, start: number, end: number, o: { seenBefore: number; drained: (n: number) => Promise<boolean> }): Promise<TrainingJob> => {
    let epochs = 0;
    let started: () => void = () => undefined;
    const firstEpoch = new Promise<void>((r) => (started = r));
    const j = startTrainingJob(spec, (p) => {
      if (p.type !== 'epoch') return;
      epochs++;
      started();
    }, jobOptions('process'));
    j.result.catch(() => undefined);
    await firstEpoch;
    const switches: { at: number; condition: Condition }[] = [];
    // The engine thread's busy share per condition: event-loop utilisation summed over its phases.
    const busy: Record<Condition, { active: number; idle: number }> = { without: { active: 0, idle: 0 }, with: { active: 0, idle: 0 } };
    let eluMark: ReturnType<typeof performance.eventLoopUtilization> | undefined;
    let eluCondition: Condition | undefined;
    // Where the engine's threads, the broker (when it runs here) and the trainer spent each condition: ran, or waited for a CPU.
    const sched = schedAccount<Condition>([
      { pid: process.pid, label: 'engine', byThread: true },
      ...brokerSchedTargets(broker),
      ...(j.pid === undefined ? [] : [{ pid: j.pid, label: 'trainer', byThread: false }]),
    ]);
    const closePhase = (): void => {
      if (eluMark !== undefined && eluCondition !== undefined) {
        const d = performance.eventLoopUtilization(eluMark);
        busy[eluCondition].active += d.active;
        busy[eluCondition].idle += d.idle;
      }
      eluMark = performance.eventLoopUtilization();
    };
    const set = (condition: Condition): void => {
      if (condition === 'with' && !args.control) j.resume();
      else j.pause();
      switches.push({ at: performance.now(), condition });
      closePhase();
      sched.mark(condition);
      eluCondition = condition;
    };
    const pattern: readonly Condition[] = ['without', 'with', 'with', 'without'];
    let i = 0;
    set(pattern[0] as Condition);
    const epochsAtStart = epochs;
    const timer = setInterval(() => set(pattern[++i % pattern.length] as Condition), PHASE_MS);
    takeArrived(new Map());
    const loop = watchLoop();
    const paced = await p.publish(start, end, RATE);
    closePhase();
    sched.mark(undefined);
    loop.stop();
    clearInterval(timer);
    j.pause();
    const drained = await o.drained(o.seenBefore + paced.published);
    const timed = takeArrived(paced.sentAt);
    /** The switch that began the phase a moment falls in. */
    const phaseAt = (t: number): number => {
      let k = switches.length - 1;
      while (k > 0 && (switches[k] as { at: number }).at > t) k--;
      return k;
    };
    /** Each phase's latencies, by the switch that began it (the bootstrap's blocks). */
    const byPhase = new Map<number, number[]>();
    let guarded = 0;
    for (const x of timed) {
      const k = phaseAt(x.sent);
      const here = switches[k] as { at: number; condition: Condition };
      const next = switches[k + 1]?.at ?? Number.POSITIVE_INFINITY;
      if (x.sent - here.at < GUARD_MS || next - x.sent < GUARD_MS) {
        guarded++;
        continue;
      }
      let block = byPhase.get(k);
      if (block === undefined) byPhase.set(k, (block = []));
      block.push(x.lat);
    }
    if (args.orders !== undefined) {
      writeFileSync(args.orders, JSON.stringify(timed.map((x) => [Math.round(x.sent), Number(x.lat.toFixed(2)), (switches[phaseAt(x.sent)] as { condition: Condition }).condition])));
    }
    const blocks = (c: Condition): number[][] => [...byPhase].filter(([k]) => (switches[k] as { condition: Condition }).condition === c).map(([, b]) => b);
    const without = summarise(blocks('without').flat());
    const withT = summarise(blocks('with').flat());
    const ratio = withT.p99 / without.p99;
    const ci = bootstrapRatio(blocks('without'), blocks('with'), 99, BOOTSTRAP_ROUNDS, mulberry32(BOOTSTRAP_SEED));
    if (args.control) console.log('CONTROL RUN (--control): the training job stayed paused in the "with" phases too; the ratio is chance alone');
    console.log(`phases: ${switches.length} of ${PHASE_MS} ms (ABBA), published at ${fmt(paced.published / paced.seconds)} msg/s${drained ? '' : ', NOT drained'}; ${fmt(guarded)} orders within ${GUARD_MS} ms of a switch left out; ${epochs - epochsAtStart} epochs trained in the running phases`);
    console.log(line('without training (paused)', without));
    console.log(line('with training (running)', withT));
    console.log(`p99 with / without training = ${ratio.toFixed(2)}× (target ≤ 1.20×: ${ratio <= 1.2 ? 'met' : 'NOT met'}); p50 ${(withT.p50 / without.p50).toFixed(2)}×; p90 ${(withT.p90 / without.p90).toFixed(2)}×`);
    console.log(
      `  p99 ratio, block bootstrap over the phases (${BOOTSTRAP_ROUNDS} rounds, seed ${BOOTSTRAP_SEED}): 90 % interval ${ci.lo.toFixed(2)}–${ci.hi.toFixed(2)}×, median ${ci.mid.toFixed(2)}× ` +
        `(${ci.hi <= 1.2 ? 'within the target throughout' : ci.lo > 1.2 ? 'past the target throughout' : 'the interval straddles the target'})`,
    );
    const share = (c: Condition): number => busy[c].active / Math.max(1e-9, busy[c].active + busy[c].idle);
    console.log(`  engine thread busy (event-loop utilisation over the phases): without training ${(100 * share('without')).toFixed(1)} %, with ${(100 * share('with')).toFixed(1)} %`);
    // The engine's own event-loop stalls, by the condition they began in: does training cause them?
    const conditionAt = (t: number): Condition => (switches[phaseAt(t)] as { condition: Condition }).condition;
    for (const c of ['without', 'with'] as const) {
      const mine = loop.stalls.filter((x) => conditionAt(x.at) === c);
      const big = mine.filter((x) => x.ms >= 50);
      const gc = mine.reduce((a, x) => a + loop.gcIn(x), 0);
      console.log(
        `  event-loop stalls > 5 ms ${c === 'with' ? 'with training   ' : 'without training'}: ${mine.length} (${mine.reduce((a, x) => a + x.ms, 0).toFixed(0)} ms, of it GC ${gc.toFixed(0)} ms); ` +
          `≥ 50 ms: ${big.map((x) => `${x.ms.toFixed(0)} (GC ${loop.gcIn(x).toFixed(0)}, CPU ${x.cpuMs.toFixed(0)})`).join(', ') || 'none'}`,
      );
      const gcs = loop.gcs.filter((g) => conditionAt(g.at) === c).map((g) => g.ms);
      console.log(`  GC pauses of the engine's heap ${c === 'with' ? 'with training   ' : 'without training'}: ${gcs.length}, ${gcs.reduce((a, x) => a + x, 0).toFixed(0)} ms in all, longest ${Math.max(0, ...gcs).toFixed(1)} ms`);
    }
    for (const l of formatSched(sched, [{ label: 'without', title: 'without training:' }, { label: 'with', title: 'with training:   ' }])) console.log(l);
    console.log(JSON.stringify({ mode: 'phases', rate: RATE, phaseMs: PHASE_MS, guardMs: GUARD_MS, bars: paced.published, symbols: SYMBOLS, without, with: withT, ratioP99: ratio, ratioP50: withT.p50 / without.p50, ratioP99Interval90: [ci.lo, ci.hi], epochs: epochs - epochsAtStart, guarded, pace: paceText, control: args.control, laps: p.laps }));
    return j;
  };
  let pub: BarPublisher | undefined;
  try {
    pub = await startBarPublisher({ url: cfg.nats.url, prefix: cfg.prefix, load: { dataDir, venue: cfg.venue, symbols: SYMBOLS, timeframe: TF, from: FROM, total: warmN + perSegment * segments, lap: args.lap } });
    if (pub.bars < warmN + perSegment * segments) throw new Error(`only ${pub.bars} bars from ${args.from}: fewer rounds, seconds or a lower rate, or --lap`);
    if (decisions === undefined) throw new Error(`the engine serves no model ${cfg.strategy.model}: decisions are off`);
    console.log(
      `training latency: ${SYMBOLS.join(', ')} real ${TF} bars from ${args.from}, ${fmt(RATE)} msg/s, ` +
        (PHASE_MS > 0 ? `${ROUNDS * 2 * SECONDS} s in phases of ${PHASE_MS} ms, training paused / running (ABBA order)\n` : `${SECONDS} s per segment, ${ROUNDS} rounds of without/with training (ABBA order)\n`) +
        (pub.laps > 0 ? `  the window repeated in ${pub.laps} time-shifted lap(s) after its real bars (--lap: latency load, not market data)\n` : '') +
        `  NATS JetStream ${cfg.nats.url} (${brokerText(broker)}), in-process stores; inference ${placementText(cfg, THREAD_ARG)}; served model trained in ${served.seconds.toFixed(1)} s\n` +
        `  background job: startTrainingJob, MLP ${spec.params.hidden.join('-')} on ${fmt(rows)} rows (3 years of ${TRAIN_SYMBOLS.join(', ')}), tfjs wasm in ${ISOLATION === 'process' ? 'a child process (SCHED_IDLE)' : 'a worker thread (SCHED_IDLE)'}, --isolation ${ISOLATION}, ${paceText}, trained until the segment ends`,
    );
    let seen = warmN;
    const inAfter = (n: number): (() => number) => () => (engine.counters.messagesIn >= n ? decisions.path.stats().predictions : -1);
    await pub.publish(0, warmN, RATE);
    if (!(await settle(inAfter(seen), 0, 300, DRAIN_S * 1000))) throw new Error(`warm-up did not finish: engine saw ${engine.counters.messagesIn} of ${warmN}`);
    if (PHASE_MS > 0) {
      job = await phases(pub, warmN, warmN + perSegment * segments, { seenBefore: seen, drained: (n) => settle(inAfter(n), 0, 300, DRAIN_S * 1000) });
      return;
    }
    for (let round = 1, k = 0; round <= ROUNDS; round++) {
      const order: readonly Condition[] = round % 2 === 1 ? CONDITIONS : [...CONDITIONS].reverse();
      for (const condition of order) {
        const start = warmN + k * perSegment;
        k++;
        let epochs = 0;
        if (condition === 'with') {
          let started: () => void = () => undefined;
          const firstEpoch = new Promise<void>((r) => (started = r));
          job = startTrainingJob(spec, (p) => {
            if (p.type !== 'epoch') return;
            epochs++;
            started();
          }, jobOptions(ISOLATION));
          job.result.catch(() => undefined);
          // Measure while it really trains (the worker booted, tfjs loaded, the first epoch done).
          await firstEpoch;
          epochs = 0;
        }
        takeArrived(new Map());
        const paced = await pub.publish(start, start + perSegment, RATE);
        const rate = paced.published / paced.seconds;
        seen += paced.published;
        const drained = await settle(inAfter(seen), 0, 300, DRAIN_S * 1000);
        const lat = takeArrived(paced.sentAt).map((x) => x.lat);
        if (job !== undefined) {
          await job.terminate();
          job = undefined;
        }
        const seg: Segment = { round, condition, lat, rate, epochs, drained };
        done.push(seg);
        console.log(line(`round ${round} ${condition} training`, summarise(seg.lat)) + `  published at ${fmt(rate)} msg/s${condition === 'with' ? `, ${epochs} epochs trained meanwhile` : ''}${drained ? '' : ', NOT drained'}`);
      }
    }
    const pooled = (c: Condition): Summary => summarise(done.filter((s) => s.condition === c).flatMap((s) => s.lat));
    const without = pooled('without');
    const withT = pooled('with');
    const ratios = Array.from({ length: ROUNDS }, (_, i) => {
      const p99 = (c: Condition): number => summarise(done.find((s) => s.round === i + 1 && s.condition === c)?.lat ?? []).p99;
      return p99('with') / p99('without');
    });
    console.log(line('without training (all rounds)', without));
    console.log(line('with training (all rounds)', withT));
    const ratio = withT.p99 / without.p99;
    console.log(
      `p99 with / without training = ${ratio.toFixed(2)}× (target ≤ 1.20×: ${ratio <= 1.2 ? 'met' : 'NOT met'}); p50 ${(withT.p50 / without.p50).toFixed(2)}×; ` +
        `median of the rounds' p99 ratios ${median(ratios).toFixed(2)}× (${ratios.map((r) => r.toFixed(2)).join(', ')})`,
    );
    console.log(JSON.stringify({ rate: RATE, seconds: SECONDS, rounds: ROUNDS, symbols: SYMBOLS, without, with: withT, ratioP99: ratio, ratioP50: withT.p50 / without.p50, roundRatiosP99: ratios, epochsWith: done.filter((s) => s.condition === 'with').map((s) => s.epochs) }));
  } finally {
    await job?.terminate();
    await pub?.close();
    for (const s of subs) s.unsubscribe();
    await engine.stop();
    await riskStore.close();
    await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus.close();
    await served.close();
  }
}

try {
  await main();
} catch (e) {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
}
