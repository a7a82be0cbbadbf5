/**
 * Backtest throughput (not a test; run it alone on a quiet machine):
 * `npm run bench:backtest -- [--events 500000] [--per-bar 7] [--timeframe 5m]`.
 *
 * The full actor path of `sextant backtest` — asset actors (edge validation, tick gate, features
 * on every event, recorder, feature store), sequencer, strategy (batched ONNX inference on the
 * scored bars), execution, risk, paper venue — on the in-memory bus and stores with a simulated
 * clock, over every 1m and 5m bar under the data folder. Bars alone are under a million events,
 * so each bar is followed by `--per-bar` trade ticks generated from it (SYNTHETIC LOAD: prices
 * walk open→low→high→close or open→high→low→close, seeded sizes; gateways/historical/
 * synthetic-trades.ts). `--events` caps the merged stream (default: all of it). The figure is
 * events per second from the first publish to the last decided event, data reading included.
 * `--cpu-profile <file>` profiles the timed run only (not the data count or the model training);
 * `--alloc-profile <file>` samples its allocations (a `.heapprofile`, for Chrome DevTools).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { backtestBus, backtestConfig } from '../cli/commands/backtest.js';
import { endOfData, replayHooks } from '../cli/commands/backtest-end-of-data.js';
import { feedInProcess } from '../cli/commands/backtest-feed.js';
import { ensureDemoModel } from '../cli/commands/demo-model.js';
import { startEngine } from '../cli/engine.js';
import { loadConfig } from '../config/load.js';
import { findBarFiles, requireDataDir } from '../gateways/data-dir.js';
import { readBarBatches, readBars } from '../gateways/historical/bars-csv.js';
import { mergeBatchesByTime } from '../gateways/historical/merge-batches-by-time.js';
import { withSyntheticTradeBatches } from '../gateways/historical/synthetic-trades.js';
import { createMemoryModelRegistry } from '../models/registry/memory-model-registry.js';
import { createSimulatedClock } from '../state/clocks/simulated-clock.js';
import { silentLogger } from '../state/logger.js';
import { createMemoryAuditStore } from '../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../state/memory-risk-store.js';
import { createCountingHistory } from '../cli/commands/backtest-history.js';
import type { Timeframe } from '../streams/messages/bar.js';
import type { MarketData } from '../streams/messages/market-data.js';
import { streamName, streamSpecs } from '../streams/provision.js';
import { subjectsFor } from '../streams/subjects.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string' },
    'per-bar': { type: 'string', default: '7' },
    timeframe: { type: 'string', default: '5m' },
    data: { type: 'string' },
    'cpu-profile': { type: 'string' },
    'alloc-profile': { type: 'string' },
  },
});
const cap = args.events === undefined ? Number.POSITIVE_INFINITY : Number(args.events);
const perBar = Number(args['per-bar']);
const scored = args.timeframe as Timeframe;
if (!(cap > 0) || !(Number.isInteger(perBar) && perBar >= 0)) throw new Error('--events must be > 0 and --per-bar an integer >= 0');

const base = loadConfig();
const dataDir = args.data ?? requireDataDir(base.data.dir);
const files = [...findBarFiles(dataDir, { timeframe: '1m' }), ...findBarFiles(dataDir, { timeframe: '5m' })];
const symbols = [...new Set(files.map((f) => f.symbol))].sort();
const venue = base.venue;

// Count the real bars first: the synthetic trades make up the rest of the load.
let bars = 0;
for (const f of files) {
  let n = 0;
  for await (const _ of readBars(f.path, { venue, symbol: f.symbol, tf: f.timeframe, from: 0, to: Number.MAX_SAFE_INTEGER })) n++;
  console.log(`  ${f.timeframe} ${f.symbol.padEnd(10)} ${String(n).padStart(8)} bars  ${f.path.slice(dataDir.length + 1)}`);
  bars += n;
}
const available = bars * (1 + perBar);
const total = Math.min(cap, available);
console.log(`real bars (1m + 5m): ${bars}; synthetic trades: ${perBar} per bar → ${available} events available, running ${total}`);

// A model served from a registry, trained on the 1h bars of the three years before the data;
// the strategy scores the `--timeframe` bars with it (its features are scale free).
const first = Date.UTC(2024, 0, 1);
const clock = createSimulatedClock(0);
const cfg = { ...backtestConfig(base, symbols), strategy: { ...base.strategy, timeframe: scored } };
const bus = backtestBus(cfg, clock, { keepSignals: false }); // as `sextant backtest` wires it
await bus.ensureStreams(streamSpecs(cfg));
const subjects = subjectsFor(cfg.prefix);
const registry = createMemoryModelRegistry({ bus, subjects, clock });
const trainStarted = performance.now();
await ensureDemoModel(registry, { name: 'direction-mlp', dataDir, symbols: ['BTC/USDT', 'ETH/USDT'], timeframe: '1h', from: first });
console.log(`model trained in ${((performance.now() - trainStarted) / 1000).toFixed(1)} s (not timed below)`);

let fills = 0;
const engine = await startEngine(
  cfg,
  { bus, features: createMemoryFeatureStore({ historyCap: 2 }), timeseries: createCountingHistory(), registry, riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() },
  clock,
  silentLogger,
  { control: false, inferenceThread: 'main', observer: { fill: () => void fills++ } },
);
let consumerErrors = 0;
bus.onStatus((s) => void (s.type === 'consumer-error' && consumerErrors++));
const ends = endOfData(files.map((f) => ({ venue, symbol: f.symbol })));
const mdStream = streamName(cfg, 'MD');
const kinds = { bar: 0, trade: 0 };
const sources = files.map((f) => withSyntheticTradeBatches(readBarBatches(f.path, { venue, symbol: f.symbol, tf: f.timeframe, from: 0, to: Number.MAX_SAFE_INTEGER }), { perBar, seed: 7 }));
const replayed = (md: MarketData): void => {
  clock.advanceTo(md.ts);
  if (md.type === 'md.bar') kinds.bar++;
  else kinds.trade++;
  ends.note(md);
};

const profiler = args['cpu-profile'] === undefined && args['alloc-profile'] === undefined ? undefined : new Session();
const post = (method: string, params: object = {}): Promise<unknown> => new Promise((res, rej) => profiler?.post(method, params, (err, out) => (err === null ? res(out) : rej(err))));
if (profiler !== undefined) {
  profiler.connect();
  if (args['cpu-profile'] !== undefined) {
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  // Sampled allocations (every 32 KiB allocated), with the stack that made them, collected or not.
  if (args['alloc-profile'] !== undefined) await post('HeapProfiler.startSampling', { includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let lastReport = t0;
const replay = replayHooks(ends, engine, { bus, stream: mdStream, subjects });
const published = await feedInProcess(bus, subjects, mergeBatchesByTime<MarketData>(sources, undefined, ends.hooks), {
  consumed: () => engine.counters.messagesIn,
  each: replayed,
  limit: total,
  afterBatch: replay.afterBatch,
  waiting: replay.waiting,
});
await ends.seal(bus, mdStream, subjects);
const tPublished = performance.now();
for (;;) {
  replay.release();
  const n = engine.counters.messagesIn;
  if (n >= published.published) break;
  if (performance.now() - lastReport > 10_000) {
    lastReport = performance.now();
    console.log(`  … ${n} events in ${((lastReport - t0) / 1000).toFixed(0)} s`);
  }
  await new Promise((r) => setTimeout(r, 20));
}
await engine.stop();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
if (args['cpu-profile'] !== undefined) {
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(args['cpu-profile'], JSON.stringify(profile));
}
if (args['alloc-profile'] !== undefined) {
  const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
  writeFileSync(args['alloc-profile'], JSON.stringify(profile));
}
const stats = engine.decisions?.path.stats();
const risk = engine.decisions?.risk.status();
await bus.close();

console.log(`\nbacktest throughput, full actor path (${symbols.length} assets: ${symbols.join(', ')}; strategy scores ${scored} bars)`);
console.log(`  events         ${published.published} (real bars ${kinds.bar}, SYNTHETIC trades ${kinds.trade})`);
console.log(`  decided        predictions ${stats?.predictions ?? 0}, suggestions ${stats?.suggestions ?? 0}, orders ${stats?.orders ?? 0}, rejects ${stats?.rejects ?? 0}, fills ${fills}`);
console.log(`  rejects by     ${JSON.stringify(stats?.rejectsByReason ?? {})}`);
console.log(`  risk at end    ${risk === undefined ? 'no risk actor' : `${risk.state} (${risk.reason}); parents to flat ${stats?.flattens ?? 0}, intents held ${stats?.intentsHeld ?? 0}`}`);
console.log(`  time           ${seconds.toFixed(2)} s (publishing done after ${((tPublished - t0) / 1000).toFixed(2)} s)`);
console.log(`  engine         accepted ${engine.counters.accepted}, refused ${JSON.stringify(engine.counters.refused)}, consumer errors ${consumerErrors}`);
console.log(`  throughput     ${Math.round(published.published / seconds)} events/s`);
// CPU time of the process (every thread) over the timed run: steadier than wall time on a shared machine.
console.log(`  cpu            ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (user ${(cpu.user / 1e6).toFixed(2)}, system ${(cpu.system / 1e6).toFixed(2)}) → ${Math.round(published.published / ((cpu.user + cpu.system) / 1e6))} events per cpu-second`);
console.log(`  machine        ${cpus()[0]?.model ?? '?'} × ${availableParallelism()}, node ${process.version}`);
