import { describe, expect, it } from 'vitest';
import { startEngine } from '../../cli/engine.js';
import { stageTiming } from '../../cli/stage-timing.js';
import type { Config } from '../../config/schema.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import { encode } from '../../streams/codec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);
const WINDOW = { from: FROM, to: Date.UTC(2024, 1, 1) };

type Run = Readonly<{ bookSaves: number; releases: number; stored: unknown; final: unknown; decided: string }>;

/** Replays the window into the engine (memory bus, live clock) with `riskCheckpointMs`, counting the risk book's writes. */
async function run(registry: ModelRegistry, riskCheckpointMs: number | undefined): Promise<Run> {
  const cfg: Config = isolatedConfig(SYMBOLS, (c) => ({ ...c, decision: { idleFlushMs: c.decision.idleFlushMs, ...(riskCheckpointMs === undefined ? {} : { riskCheckpointMs }) } }));
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfg));
  const memory = createMemoryRiskStore();
  let bookSaves = 0;
  const riskStore: RiskStore = {
    ...memory,
    saveBook: (account, book, at) => {
      bookSaves++;
      return memory.saveBook(account, book, at);
    },
  };
  let releases = 0;
  const engine = await startEngine(
    cfg,
    { bus, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore, audit: createMemoryAuditStore() },
    createLiveClock(),
    silentLogger,
    { stages: stageTiming({ observeStage: (stage) => void (stage === 'decide' ? releases++ : undefined) }) },
  );
  // Paced as live data arrives (an event time at a time), so the engine decides many small releases.
  const files = findBarFiles(testDataDir(), { symbols: SYMBOLS, timeframe: '1h' });
  const subjects = subjectsFor(cfg.prefix);
  let published = 0;
  let ts = -1;
  for await (const b of mergeByTime(...files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: '1h', ...WINDOW })))) {
    if (b.ts !== ts) await new Promise((r) => setTimeout(r, 1));
    ts = b.ts;
    await bus.publish(subjects.bar(b.venue, b.symbol, b.tf), encode(b), { msgId: b.id });
    published++;
  }
  const deadline = performance.now() + 60_000;
  while (engine.counters.messagesIn < published) {
    if (performance.now() > deadline) throw new Error(`engine saw ${engine.counters.messagesIn} of ${published}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await engine.stop();
  const decisions = engine.decisions;
  if (decisions === undefined) throw new Error('no decisions');
  // The paper venue's working orders, execution's parents and how far each asset was decided are
  // stored in the same row (cli/risk-persist.ts), and so are the trading state and limits decided under: the risk book is the rest.
  const { paperVenue, execution, decided: marks, trading, limits, ...stored } = (await memory.load(cfg.risk.account)).book as Record<string, unknown>;
  expect(trading).toEqual(JSON.parse(JSON.stringify(engine.decisions?.risk.core.trading())));
  expect(limits).toEqual(JSON.parse(JSON.stringify(engine.decisions?.risk.getLimits())));
  expect(paperVenue).toMatchObject({ working: expect.any(Array) });
  expect(execution).toMatchObject({ v: 1, strategy: cfg.strategy.name, assets: expect.any(Array) });
  expect(marks).toHaveLength(cfg.assets.length);
  const stats = decisions.path.stats();
  await bus.close();
  return { bookSaves, releases, stored, final: JSON.parse(JSON.stringify(decisions.risk.core.bookSnapshot())), decided: JSON.stringify([stats.predictions, stats.suggestions, stats.orders, stats.rejects, stats.fills]) };
}

describe('spaced risk-state writes (decision.riskCheckpointMs) in the engine', () => {
  it('write the book far less often than after every release, decide the same, and leave the final book stored at stop', async () => {
    const registry = await trainedRegistry(SYMBOLS, FROM);
    const every = await run(registry, undefined);
    const spaced = await run(registry, 200);
    expect(every.releases).toBeGreaterThan(100);
    expect(every.bookSaves).toBe(every.releases);
    // The consumption is not held back by the spaced writes: it decides as many small releases.
    expect(spaced.releases).toBeGreaterThan(every.releases / 2);
    expect(spaced.bookSaves).toBeGreaterThan(0);
    expect(spaced.bookSaves).toBeLessThan(every.bookSaves / 4);
    expect(spaced.decided).toBe(every.decided);
    // Nothing decided is lost: the book stored at stop is the risk actor's final book, in both.
    expect(spaced.stored).toEqual(spaced.final);
    expect(every.stored).toEqual(every.final);
    expect(spaced.final).toEqual(every.final);
  }, 120_000);
});
