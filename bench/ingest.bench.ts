/**
 * Ingest benchmark: messages/s through JetStream consume → validation → features → Redis (and
 * PostgreSQL), and publish→feature latency at a fixed rate, each beside the raw
 * `@nats-io/jetstream` consume-with-ack baseline measured in the same run on the same messages.
 *
 *   npm run bench:ingest -- [--bars 50000] [--rate 2000] [--seconds 5] [--rounds 3] [--cpu-profile engine.cpuprofile]
 *
 * Needs NATS with JetStream, Redis and PostgreSQL on their default local ports.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { durableFor, startEngine } from '../cli/engine.js';
import type { EngineAdapters } from '../cli/engine.js';
import { loadConfig } from '../config/load.js';
import { resolveDataDir } from '../gateways/data-dir.js';
import { readBars } from '../gateways/historical/bars-csv.js';
import { mergeByTime } from '../gateways/historical/merge-by-time.js';
import { replay } from '../gateways/replay.js';
import { createLiveClock } from '../state/clocks/live-clock.js';
import type { FeatureStore } from '../state/feature-store.js';
import { silentLogger } from '../state/logger.js';
import { createMemoryTimeseriesStore } from '../state/memory-timeseries-store.js';
import { createPgTimeseriesStore } from '../state/pg-timeseries-store.js';
import { createRedisFeatureStore } from '../state/redis-feature-store.js';
import type { TimeseriesStore } from '../state/timeseries-store.js';
import type { Bus } from '../streams/bus.js';
import { encode } from '../streams/codec.js';
import type { Bar } from '../streams/messages/bar.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import { createNatsBus } from '../streams/nats-bus.js';
import { streamSpecs } from '../streams/provision.js';
import { subjectsFor } from '../streams/subjects.js';

const { values: args } = parseArgs({
  options: { bars: { type: 'string', default: '50000' }, rate: { type: 'string', default: '2000' }, seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' }, 'cpu-profile': { type: 'string' } },
});
const BARS_PER_SYMBOL = Number(args.bars);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const ROUNDS = Math.max(1, Number(args.rounds));
const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'] as const;
const id = randomUUID().slice(0, 8);
const cfg = loadConfig({
  overrides: {
    prefix: `sxbench${id}`,
    streamNamePrefix: `BENCH${id}_`,
    redis: { keyPrefix: `sxbench${id}` },
    postgres: { schema: `sx_bench_${id}` },
    assets: SYMBOLS.map((symbol) => ({ venue: 'binance', symbol })),
    streams: { MD: { maxAgeMs: 0, duplicateWindowMs: 120000, storage: 'file' } },
  },
});
const subjects = subjectsFor(cfg.prefix);
const dataDir = resolveDataDir();
const file = (s: string): string => resolve(dataDir, `ohlcv/binance_spot_5m/${s.replace('/', '_')}_5m_2024-01_2024-09.csv`);
const bars = (from: number, limit: number): AsyncIterable<Bar> =>
  mergeByTime(...SYMBOLS.map((symbol) => readBars(file(symbol), { venue: 'binance', symbol, tf: '5m', from, limit })));

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
type Percentiles = { p50: number; p99: number; n: number };
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Raw baseline: a durable pull consumer on the MD stream, one ack per message, nothing else. */
async function rawConsume(stream: string, total: number): Promise<number> {
  const nc = await connect({ servers: cfg.nats.url });
  const jsm = await jetstreamManager(nc);
  const durable = `raw_${id}`;
  await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  const t0 = performance.now();
  const messages = await consumer.consume({ max_messages: cfg.consumer.batchSize * 2 });
  let n = 0;
  for await (const m of messages) {
    m.ack();
    if (++n >= total) break;
  }
  await nc.flush();
  const secs = (performance.now() - t0) / 1000;
  await jsm.consumers.delete(stream, durable);
  await nc.close();
  return total / secs;
}

/** With `--cpu-profile <file>`, the engine → Redis rounds (and nothing else) are profiled into that file (the last round's). */
const profiler = args['cpu-profile'] === undefined ? undefined : new Session();
profiler?.connect();
async function profiled<T>(run: () => Promise<T>): Promise<T> {
  if (profiler === undefined) return run();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((res, rej) => profiler.post(method, params, (err, out) => (err === null ? res(out) : rej(err))));
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(args['cpu-profile'] as string, JSON.stringify(profile));
  }
}

async function engineConsume(bus: Bus, features: FeatureStore, timeseries: TimeseriesStore, total: number): Promise<number> {
  return profiled(() => engineConsumeOnce(bus, features, timeseries, total));
}

async function engineConsumeOnce(bus: Bus, features: FeatureStore, timeseries: TimeseriesStore, total: number): Promise<number> {
  const adapters: EngineAdapters = { bus, features, timeseries };
  const t0 = performance.now();
  const engine = await startEngine(cfg, adapters, createLiveClock(), silentLogger);
  while (engine.counters.messagesIn < total) await new Promise((r) => setTimeout(r, 5));
  const secs = (performance.now() - t0) / 1000;
  await engine.stop();
  return total / secs;
}

async function resetEngineState(bus: Bus, features: FeatureStore, md: string): Promise<void> {
  for (const symbol of SYMBOLS) await bus.deleteConsumer(md, durableFor({ venue: 'binance', symbol }));
  await features.clear();
}

async function main(): Promise<void> {
  const bus = await createNatsBus({ url: cfg.nats.url, name: 'bench', connectTimeoutMs: 2000 });
  const redis = await createRedisFeatureStore({ url: cfg.redis.url, keyPrefix: cfg.redis.keyPrefix, historyCap: cfg.redis.historyCap });
  const pg = await createPgTimeseriesStore({ url: cfg.postgres.url, schema: cfg.postgres.schema, poolSize: 4 });
  const specs = streamSpecs(cfg);
  const md = specs[0]?.name ?? '';
  try {
    await bus.ensureStreams(specs);
    const total = BARS_PER_SYMBOL * SYMBOLS.length;
    const t0 = performance.now();
    const published = await replay({ bus, subjects, source: bars(0, BARS_PER_SYMBOL) });
    const pubRate = published.published / ((performance.now() - t0) / 1000);
    console.log(`published ${fmt(published.published)} real 5m bars (BTC, ETH, SOL) at ${fmt(pubRate)} msg/s`);

    // Raw and engine alternate, round after round, so that load from elsewhere on the machine
    // hits both alike; the figures are the medians, the ratio the median of the rounds' ratios.
    const raws: number[] = [];
    const engines: number[] = [];
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const r = await rawConsume(md, total);
      const e = await engineConsume(bus, redis, createMemoryTimeseriesStore(), total);
      await resetEngineState(bus, redis, md);
      raws.push(r);
      engines.push(e);
      ratios.push(e / r);
      console.log(`  round ${round}: raw ${fmt(r)} msg/s, engine → Redis ${fmt(e)} msg/s (${(e / r).toFixed(2)}×)`);
    }
    const raw = median(raws);
    const redisOnly = median(engines);
    console.log(`raw JetStream consume+ack          ${fmt(raw)} msg/s (median of ${ROUNDS})`);
    console.log(`engine → features → Redis          ${fmt(redisOnly)} msg/s  (median ratio ${median(ratios).toFixed(2)}× raw)`);
    const full = await engineConsumeOnce(bus, redis, pg, total);
    console.log(`engine → features → Redis + PG     ${fmt(full)} msg/s  (${(full / raw).toFixed(2)}× raw)`);
    await resetEngineState(bus, redis, md);

    // Latency at a fixed rate: a fresh namespace so the actors see only the paced messages.
    await bus.deleteStreams(specs.map((s) => s.name));
    await bus.ensureStreams(specs);
    const lat = await latency(bus, redis, pg, md);
    console.log(`latency at ${fmt(RATE)} msg/s for ${SECONDS}s:`);
    console.log(`  publish → raw consume            p50 ${lat.raw.p50.toFixed(2)} ms  p99 ${lat.raw.p99.toFixed(2)} ms  (${lat.raw.n} msgs)`);
    console.log(`  publish → sx.feat (Redis + PG)   p50 ${lat.engine.p50.toFixed(2)} ms  p99 ${lat.engine.p99.toFixed(2)} ms  (${lat.engine.n} msgs)`);
    console.log(
      JSON.stringify({ bars: total, publishRate: Math.round(pubRate), rounds: ROUNDS, raw: Math.round(raw), engineRedis: Math.round(redisOnly), engineFull: Math.round(full), ratioRedis: median(ratios), ratioRounds: ratios, ratioFull: full / raw, latency: lat }),
    );
  } finally {
    await bus.deleteStreams(specs.map((s) => s.name));
    await redis.clear();
    await redis.close();
    await pg.close();
    const { dropSchema } = await import('../test/support/pg.js');
    await dropSchema(cfg.postgres.url, cfg.postgres.schema);
    await bus.close();
  }
}

async function latency(bus: Bus, redis: FeatureStore, pg: TimeseriesStore, md: string): Promise<{ raw: Percentiles; engine: Percentiles }> {
  const sentAt = new Map<string, number>();
  // Per asset, the bars published and not yet covered by a feature vector, in publish order.
  // sx.feat carries the newest vector after each batch, so a vector for bar X makes every
  // earlier bar of that asset visible too: each gets its own latency.
  const pending = new Map<string, string[]>();
  const engineLat: number[] = [];
  const rawLat: number[] = [];
  const engine = await startEngine(cfg, { bus, features: redis, timeseries: pg }, createLiveClock(), silentLogger);
  const sub = bus.subscribe(subjects.allFeatures(), (_s, data) => {
    const now = performance.now();
    const v = JSON.parse(new TextDecoder().decode(data)) as FeatureVector;
    const queue = pending.get(v.symbol) ?? [];
    const upTo = queue.indexOf(v.source);
    for (const barId of queue.splice(0, upTo + 1)) engineLat.push(now - (sentAt.get(barId) ?? now));
  });
  // Raw baseline consumer on the same stream, concurrently.
  const nc = await connect({ servers: cfg.nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(md, { durable_name: `rawlat_${id}`, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
  const rawMessages = await (await jetstream(nc).consumers.get(md, `rawlat_${id}`)).consume({ max_messages: 256 });
  const rawDone = (async () => {
    for await (const m of rawMessages) {
      m.ack();
      const b = JSON.parse(new TextDecoder().decode(m.data)) as Bar;
      const t = sentAt.get(b.id);
      if (t !== undefined) rawLat.push(performance.now() - t);
    }
  })();
  const count = RATE * SECONDS;
  const source: Bar[] = [];
  for await (const b of bars(Date.UTC(2024, 5, 1), Math.ceil(count / SYMBOLS.length))) source.push(b);
  const t0 = performance.now();
  for (let i = 0; i < count && i < source.length; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const b = source[i] as Bar;
    sentAt.set(b.id, performance.now());
    let q = pending.get(b.symbol);
    if (q === undefined) pending.set(b.symbol, (q = []));
    q.push(b.id);
    void bus.publish(subjects.bar(b.venue, b.symbol, b.tf), encode(b), { msgId: b.id });
  }
  await new Promise((r) => setTimeout(r, 1000));
  sub.unsubscribe();
  rawMessages.stop();
  await rawDone;
  await nc.close();
  await engine.stop();
  return { raw: { p50: pct(rawLat, 50), p99: pct(rawLat, 99), n: rawLat.length }, engine: { p50: pct(engineLat, 50), p99: pct(engineLat, 99), n: engineLat.length } };
}

await main();
