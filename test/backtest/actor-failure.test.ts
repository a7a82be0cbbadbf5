import { describe, expect, it } from 'vitest';
import { backtestConfig } from '../../cli/commands/backtest.js';
import { ActorFailedError, endOfData, replayHooks } from '../../cli/commands/backtest-end-of-data.js';
import { feedInProcess } from '../../cli/commands/backtest-feed.js';
import { createCountingHistory } from '../../cli/commands/backtest-history.js';
import { startEngine } from '../../cli/engine.js';
import { loadConfig } from '../../config/load.js';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBarBatches } from '../../gateways/historical/bars-csv.js';
import { mergeBatchesByTime } from '../../gateways/historical/merge-batches-by-time.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import type { FeatureStore } from '../../state/feature-store.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';

/**
 * An asset actor that fails in a backtest: the supervisor does not restart it (its restart waited
 * on the simulated clock, which stops with the replay), and the replay stops with its error —
 * it waited for ever for the messages the actor would never handle.
 */
describe('a backtest whose asset actor fails', () => {
  it('stops the replay with the actor and its error instead of waiting for ever', async () => {
    const base = loadConfig();
    const cfg = backtestConfig(base, ['BTC/USDT']);
    expect(cfg.supervisor.maxRestarts).toBe(0);
    const clock = createSimulatedClock(Date.UTC(2023, 0, 1));
    const bus = createMemoryBus({ now: () => clock.now(), trimAcked: [streamName(cfg, 'MD')] });
    await bus.ensureStreams(streamSpecs(cfg));
    const subjects = subjectsFor(cfg.prefix);
    // The store's third batch fails (a disk full, a bug in a feature): the actor's commit throws.
    const store = createMemoryFeatureStore({ historyCap: 2 });
    let batches = 0;
    const failing: FeatureStore = {
      ...store,
      writeBatch: (vectors, snapshots) => (++batches === 3 ? Promise.reject(new Error('injected: the feature store is full')) : store.writeBatch(vectors, snapshots)),
    };
    const engine = await startEngine(
      // No model is registered: the asset actors run alone (features only), which is all this needs.
      { ...cfg, consumer: { ...cfg.consumer, batchSize: 256 } },
      { bus, features: failing, timeseries: createCountingHistory(), registry: createMemoryModelRegistry({ bus, subjects, clock }), riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() },
      clock,
      silentLogger,
      { control: false, inferenceThread: 'main' },
    );
    const [file] = findBarFiles(testDataDir(), { symbols: ['BTC/USDT'], timeframe: '1h' });
    if (file === undefined) throw new Error('no BTC/USDT 1h bars');
    const ends = endOfData([{ venue: cfg.venue, symbol: 'BTC/USDT' }]);
    const hooks = replayHooks(ends, engine, { bus, stream: streamName(cfg, 'MD'), subjects });
    const source = mergeBatchesByTime<MarketData>([readBarBatches(file.path, { venue: cfg.venue, symbol: 'BTC/USDT', tf: '1h', from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 6, 1) })], 256, ends.hooks);
    const replay = async (): Promise<void> => {
      const { published } = await feedInProcess(bus, subjects, source, {
        consumed: () => engine.counters.messagesIn,
        maxAhead: 512,
        each: (m) => {
          clock.advanceTo(m.ts);
          ends.note(m);
        },
        afterBatch: hooks.afterBatch,
        waiting: hooks.waiting,
      });
      while (engine.counters.messagesIn < published) {
        hooks.release();
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    try {
      const failure = await replay().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(ActorFailedError);
      expect((failure as Error).message).toBe('asset actor asset:binance:BTC/USDT failed: Error: injected: the feature store is full');
      expect(engine.supervisor.status()).toMatchObject([{ key: 'asset:binance:BTC/USDT', state: 'failed', restarts: 0 }]);
      expect(engine.counters.messagesIn).toBeLessThan(24 * 181);
    } finally {
      await engine.stop();
      await bus.close();
    }
  }, 60_000);
});
