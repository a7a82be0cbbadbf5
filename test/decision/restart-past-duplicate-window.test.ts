import { afterAll, describe, expect, it } from 'vitest';
import { DecisionPathFailedError } from '../../actors/event-sequencer.js';
import { durableFor, startEngine } from '../../cli/engine.js';
import type { EngineAdapters } from '../../cli/engine.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { replay } from '../../gateways/replay.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { StoreError } from '../../state/errors.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import { decodeText } from '../../streams/codec.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { natsWithStreams } from '../support/live-engine.js';
import { readAllStored } from '../support/read-all-stored.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';

const SYMBOLS = ['BTC/USDT'];
const FROM = Date.UTC(2024, 0, 1);
const BARS = 360;
const WARMUP = 199;
/** Once a bar of this time is decided, the risk store refuses every book write (final, not retryable). */
const REFUSING_FROM = FROM + 300 * 3_600_000;
/** SIGNALS' duplicate window: the restart comes after it. */
const WINDOW_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a restart later than the outputs stream duplicate window (real NATS JetStream)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  // `stored`: how many book writes are stored before the refusals (the engine's start writes one).
  it.each([
    ['after spaced risk writes were stored', Number.POSITIVE_INFINITY],
    ['on a first start, before any spaced risk write was stored', 1],
  ])('does not publish again the outputs of the events decided after the last risk write (%s): each id is stored once', async (_, storedWrites) => {
    const registry = await trainedRegistry(SYMBOLS, FROM);
    const cfg = isolatedConfig(SYMBOLS, (c) => ({
      ...c,
      streams: { ...c.streams, SIGNALS: { ...c.streams.SIGNALS, duplicateWindowMs: WINDOW_MS } },
      // A first start: pulls large enough that every bar is decided while the first spaced write is held.
      consumer: { ...c.consumer, batchSize: storedWrites === 1 ? 500 : 24, ackWaitMs: 2_000 },
      decision: { ...c.decision, riskCheckpointMs: 200 },
    }));
    const bus = await natsWithStreams(cfg, 'restart-past-duplicate-window-test', cleanup);
    const memory = createMemoryRiskStore();
    let refusing = false;
    let writes = 0;
    const refusingStore: RiskStore = {
      ...memory,
      saveBook: async (account, book, at) => {
        // Past the writes stored, a write is held until the refusals begin (bars are decided meanwhile).
        if (++writes > storedWrites) while (!refusing) await sleep(10);
        if (refusing) throw new StoreError('save risk book: permission denied for table risk_book', false);
        await memory.saveBook(account, book, at);
      },
    };
    const stores: Omit<EngineAdapters, 'bus' | 'riskStore'> = {
      features: createMemoryFeatureStore({ historyCap: 10 }),
      timeseries: createMemoryTimeseriesStore(),
      registry,
      audit: createMemoryAuditStore(),
    };
    const first = await startEngine(cfg, { ...stores, bus, riskStore: refusingStore }, createLiveClock(), silentLogger, {
      observer: {
        event: (e) => {
          if (e.md.ts >= REFUSING_FROM) refusing = true;
        },
      },
    });
    const files = findBarFiles(testDataDir(), { symbols: SYMBOLS, timeframe: '1h' });
    const fed = await replay({ bus, subjects: subjectsFor(cfg.prefix), source: mergeByTime(...files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: '1h', from: FROM, to: FROM + BARS * 3_600_000 }))) });
    expect(fed.published).toBe(BARS);
    const failure = await Promise.race([first.failed(), sleep(10_000).then(() => undefined)]);
    expect(failure).toBeInstanceOf(DecisionPathFailedError);
    await first.stop();
    const signals = streamName(cfg, 'SIGNALS');
    const pred = `${cfg.prefix}.pred.>`;
    const before = await bus.countMessages(signals, pred);
    // Decided after the last stored write: the restart decides them again.
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThanOrEqual(BARS - WARMUP);

    // Past the duplicate window: JetStream would store a second copy of each.
    await sleep(WINDOW_MS + 500);
    refusing = false;
    const second = await startEngine(cfg, { ...stores, bus, riskStore: memory }, createLiveClock(), silentLogger);
    cleanup.push(() => second.stop());
    const md = streamName(cfg, 'MD');
    const deadline = performance.now() + 20_000;
    while (((await bus.consumerInfo(md, durableFor(cfg.assets[0] ?? { venue: cfg.venue, symbol: 'BTC/USDT' })))?.ackFloor ?? 0) < BARS) {
      if (performance.now() > deadline) throw new Error('the restarted engine did not acknowledge every bar');
      await sleep(50);
    }
    expect(second.failure()).toBeUndefined();

    const stored = await readAllStored(bus, signals, `${cfg.prefix}.>`);
    const ids = stored.map((m) => (JSON.parse(decodeText(m.data)) as { id: string }).id);
    const copies = ids.length - new Set(ids).size;
    expect(copies, 'outputs stored twice').toBe(0);
    expect(await bus.countMessages(signals, pred)).toBe(BARS - WARMUP);
    expect(stored.some((m) => m.subject.startsWith(`${cfg.prefix}.exec.order.`))).toBe(true);
  }, 60_000);
});
