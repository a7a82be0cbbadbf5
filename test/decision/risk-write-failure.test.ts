import { afterAll, describe, expect, it } from 'vitest';
import { DecisionPathFailedError } from '../../actors/event-sequencer.js';
import { durableFor, startEngine } from '../../cli/engine.js';
import type { EngineAdapters } from '../../cli/engine.js';
import { fillsDurable } from '../../cli/external-durables.js';
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
import { encode } from '../../streams/codec.js';
import type { Fill } from '../../streams/messages/fill.js';
import { bookWithOrders } from '../support/approved-orders.js';
import { approvedBtcBuys, liveFill, natsWithStreams, startLiveEngine } from '../support/live-engine.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);
const DAYS = 20;
const WINDOW = { from: FROM, to: FROM + DAYS * 86_400_000 };
/** Once a bar of this time is decided, the risk store refuses every book write: well past the 199-bar warm-up. */
const REFUSING_FROM = FROM + 300 * 3_600_000;

type Refusing = RiskStore & { refusing: boolean; refused: number; stored: number; firstRefusedAt: number | undefined };

/** The risk store refusing the book's writes while `refusing` (as PostgreSQL refusing the upsert, not retryable). */
function refusingBookWrites(inner: RiskStore): Refusing {
  const s: Refusing = {
    ...inner,
    refusing: false,
    refused: 0,
    stored: 0,
    firstRefusedAt: undefined,
    saveBook: async (account, book, at) => {
      if (s.refusing) {
        s.refused++;
        s.firstRefusedAt ??= performance.now();
        throw new StoreError('save risk book: permission denied for table risk_book', false);
      }
      await inner.saveBook(account, book, at);
      s.stored++;
    },
  };
  return s;
}

describe('a risk-state write that fails in the engine (real NATS JetStream, spaced risk writes)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('stops the decision path promptly, acknowledges nothing past the last stored risk state, and a restarted engine decides every bar', async () => {
    const registry = await trainedRegistry(SYMBOLS, FROM);
    const cfg = isolatedConfig(SYMBOLS, (c) => ({ ...c, consumer: { ...c.consumer, batchSize: 24, ackWaitMs: 2_000 }, decision: { ...c.decision, riskCheckpointMs: 200 } }));
    const bus = await natsWithStreams(cfg, 'risk-write-failure-test', cleanup);
    const memory = createMemoryRiskStore();
    const riskStore = refusingBookWrites(memory);
    const stores: Omit<EngineAdapters, 'bus' | 'riskStore'> = {
      features: createMemoryFeatureStore({ historyCap: 10 }),
      timeseries: createMemoryTimeseriesStore(),
      registry,
      audit: createMemoryAuditStore(),
    };
    // The newest market-data stream sequence decided per symbol, and that as it was when the last
    // book write that was stored began: a write covers at most what was decided before it began.
    const decided = new Map<string, number>();
    let coveredAtMost = new Map<string, number>();
    const store: RiskStore = {
      ...riskStore,
      saveBook: async (account, book, at) => {
        const before = new Map(decided);
        await riskStore.saveBook(account, book, at);
        coveredAtMost = before;
      },
    };
    const first = await startEngine(cfg, { ...stores, bus, riskStore: store }, createLiveClock(), silentLogger, {
      observer: {
        event: (e) => {
          decided.set(e.md.symbol, Math.max(decided.get(e.md.symbol) ?? 0, e.streamSeq));
          if (e.md.ts >= REFUSING_FROM) riskStore.refusing = true;
        },
      },
    });
    const files = findBarFiles(testDataDir(), { symbols: SYMBOLS, timeframe: '1h' });
    const published = (await replay({ bus, subjects: subjectsFor(cfg.prefix), source: mergeByTime(...files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: '1h', ...WINDOW }))) })).published;
    expect(published).toBe(2 * DAYS * 24);

    const failure = await Promise.race([first.failed(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000))]);
    const failedAt = performance.now();
    expect(failure).toBeInstanceOf(DecisionPathFailedError);
    // Promptly: the refusal is final (not retryable), so the first refused write stops the engine.
    expect(failedAt - (riskStore.firstRefusedAt ?? Number.NEGATIVE_INFINITY)).toBeLessThan(1_000);
    expect(failure?.message).toMatch(/decision path failed: save risk book: permission denied .*; restart the engine/);
    expect(riskStore.refused).toBeGreaterThan(0);
    const path = first.decisions?.path;
    if (path === undefined) throw new Error('no decision path');
    const predictionsAtFailure = path.stats().predictions;
    expect(predictionsAtFailure).toBeGreaterThan(0);
    expect(predictionsAtFailure).toBeLessThan(2 * (DAYS * 24 - 199));
    // The first engine runs on past its failure, long enough for JetStream to redeliver what the
    // asset actors did not acknowledge (ack wait 2 s): nothing more is decided or acknowledged.
    await new Promise((r) => setTimeout(r, 2.5 * 2_000));
    expect(path.stats().predictions).toBe(predictionsAtFailure);
    const md = streamName(cfg, 'MD');
    for (const a of cfg.assets) {
      const state = await bus.consumerInfo(md, durableFor(a));
      expect(state, a.symbol).toBeDefined();
      expect((state?.pending ?? 0) + (state?.ackPending ?? 0), a.symbol).toBeGreaterThan(0);
      expect(state?.ackFloor ?? Number.POSITIVE_INFINITY, a.symbol).toBeLessThanOrEqual(coveredAtMost.get(a.symbol) ?? 0);
    }
    await first.stop();

    // The store takes writes again: a restarted engine resumes from the last stored risk state and
    // the unacknowledged bars, and scores every bar after the warm-up.
    riskStore.refusing = false;
    const second = await startEngine(cfg, { ...stores, bus, riskStore: memory }, createLiveClock(), silentLogger);
    cleanup.push(() => second.stop());
    const expected = 2 * (DAYS * 24 - 199);
    const signals = streamName(cfg, 'SIGNALS');
    const deadline = performance.now() + 60_000;
    let n = 0;
    while ((n = await bus.countMessages(signals, `${cfg.prefix}.pred.>`)) < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(n).toBe(expected);
    expect(second.failure()).toBeUndefined();
  }, 180_000);

  it('stops the engine when the risk write after a fill from a live trading consumer fails, and applies no redelivered or later fill', async () => {
    const cfg = isolatedConfig(['BTC/USDT'], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false }, consumer: { ...c.consumer, ackWaitMs: 1_000 } }));
    const subjects = subjectsFor(cfg.prefix);
    const bus = await natsWithStreams(cfg, 'risk-write-failure-fill-test', cleanup);
    const memory = createMemoryRiskStore();
    // Risk approved the orders the consumer's fills name before a restart.
    const orders = approvedBtcBuys(cfg, ['o:live', 'o:live:2'].map((id) => ({ id, qty: 0.01, expiresAt: FROM + 2 * 86_400_000 })));
    await memory.saveBook(cfg.risk.account, bookWithOrders(orders), 0);
    const riskStore = refusingBookWrites(memory);
    riskStore.refusing = true;
    const registry = await trainedRegistry(['BTC/USDT'], FROM);
    const engine = await startLiveEngine(cfg, { bus, registry, riskStore }, cleanup);
    // The start's write of the outputs mark (the stored book has none) is refused too, and logged: the engine goes on.
    const refusedAtStart = riskStore.refused;
    const fill = liveFill(cfg, FROM + 86_400_000);
    await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(fill), { msgId: fill.id });

    const failure = await Promise.race([engine.failed(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
    expect(failure).toBeInstanceOf(DecisionPathFailedError);
    expect(failure?.message).toMatch(/decision path failed: save risk book: permission denied/);
    // A later fill, and the unacknowledged one redelivered (ack wait 1 s), are refused: not applied on top of the unstored state.
    const later: Fill = { ...fill, id: 'x:live:2', orderId: 'o:live:2', ts: fill.ts + 1 };
    await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(later), { msgId: later.id });
    await new Promise((r) => setTimeout(r, 3 * 1_000));
    expect(engine.decisions?.path.stats().fills).toBe(1);
    expect(riskStore.refused - refusedAtStart).toBe(1);
    const consumer = await bus.consumerInfo(streamName(cfg, 'SIGNALS'), fillsDurable(cfg));
    expect(consumer?.ackFloor).toBe(0); // neither fill acknowledged: a restarted engine applies both
  }, 60_000);
});
