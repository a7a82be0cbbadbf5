import { randomUUID } from 'node:crypto';
import { startEngine } from '../../cli/engine.js';
import type { Engine } from '../../cli/engine.js';
import { ensureDemoModel } from '../../cli/commands/demo-model.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { replay } from '../../gateways/replay.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import type { Bus } from '../../streams/bus.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { testTrainingCache } from '../support/training-cache.js';

export const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** A registry holding a model trained on the three years before `from`, promoted to production. */
export async function trainedRegistry(symbols: readonly string[], from: number): Promise<ModelRegistry> {
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(loadConfig()));
  const registry = createMemoryModelRegistry({ bus, subjects: subjectsFor('sx'), clock: { now: () => 0 } });
  await ensureDemoModel(registry, { name: 'direction-mlp', dataDir: testDataDir(), symbols, timeframe: '1h', from, cache: await testTrainingCache() });
  return registry;
}

/** The default config in a namespace of its own (prefix and stream names), trading `symbols`. */
export function isolatedConfig(symbols: readonly string[], patch: (c: Config) => Config = (c) => c): Config {
  const base = loadConfig();
  const tag = randomUUID().replaceAll('-', '').slice(0, 10);
  return patch({
    ...base,
    prefix: `sxt${tag}`,
    streamNamePrefix: `T${tag}_`,
    assets: symbols.map((symbol) => ({ venue: base.venue, symbol })),
    risk: { ...base.risk, account: `t${tag}`, limits: { ...base.risk.limits, allowlist: [...symbols] } },
  });
}

export type EngineRun = Readonly<{ cfg: Config; bus: Bus; engine: Engine; published: number; close(): Promise<void> }>;

/**
 * Starts the engine on real NATS (in-memory stores) with `registry`, replays the 1h bars of the
 * window, waits until every bar went through, and stops the engine (which lets the decision path
 * finish the last events).
 */
/**
 * `warmupBars`: 1h bars before `window.from` replayed first, deciding nothing (`decideFrom`), as
 * `sextant backtest` warms its actors.
 */
export async function runEngineOnBars(cfg: Config, registry: ModelRegistry, window: Readonly<{ from: number; to: number }>, o: Readonly<{ warmupBars?: number }> = {}): Promise<EngineRun> {
  const warmup = o.warmupBars ?? 0;
  const bus = await createNatsBus({ url: NATS_URL, name: 'decision-test', connectTimeoutMs: 3000 });
  await bus.ensureStreams(streamSpecs(cfg));
  const riskStore = createMemoryRiskStore();
  const engine = await startEngine(
    cfg,
    { bus, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore, audit: createMemoryAuditStore() },
    createLiveClock(),
    silentLogger,
    warmup > 0 ? { decideFrom: window.from } : {},
  );
  const files = findBarFiles(testDataDir(), { symbols: cfg.assets.map((a) => a.symbol), timeframe: '1h' });
  const sources = files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: '1h', from: window.from - warmup * 3_600_000, to: window.to }));
  const result = await replay({ bus, subjects: subjectsFor(cfg.prefix), source: mergeByTime(...sources) });
  const deadline = performance.now() + 60_000;
  while (engine.counters.messagesIn < result.published) {
    if (performance.now() > deadline) throw new Error(`engine saw ${engine.counters.messagesIn} of ${result.published}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await engine.stop();
  return {
    cfg,
    bus,
    engine,
    published: result.published,
    close: async () => {
      await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
      await bus.close();
      await riskStore.close();
    },
  };
}

/** Every message of the SIGNALS stream, in stream order, as `subject-without-prefix payload`. */
export async function signalsOf(run: EngineRun): Promise<string[]> {
  const stream = streamName(run.cfg, 'SIGNALS');
  const total = await run.bus.countMessages(stream);
  const out: string[] = [];
  const dec = new TextDecoder();
  const prefix = `${run.cfg.prefix}.`;
  const c = run.bus.consume({ stream, durable: 'reader', filterSubject: `${run.cfg.prefix}.>`, batchSize: 1000 }, (batch) => {
    for (const d of batch) out.push(`${d.subject.slice(prefix.length)} ${dec.decode(d.data)}`);
  });
  const deadline = performance.now() + 30_000;
  while (out.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await c.stop();
  if (out.length !== total) throw new Error(`read ${out.length} of the ${total} SIGNALS messages in time`);
  return out;
}
