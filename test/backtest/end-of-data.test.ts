import { describe, expect, it } from 'vitest';
import { backtestConfig } from '../../cli/commands/backtest.js';
import { endOfData, replayHooks } from '../../cli/commands/backtest-end-of-data.js';
import { feedInProcess } from '../../cli/commands/backtest-feed.js';
import { createCountingHistory } from '../../cli/commands/backtest-history.js';
import { ensureDemoModel } from '../../cli/commands/demo-model.js';
import { startEngine } from '../../cli/engine.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { readBarBatches } from '../../gateways/historical/bars-csv.js';
import { mergeBatchesByTime } from '../../gateways/historical/merge-batches-by-time.js';
import { withSyntheticTradeBatches } from '../../gateways/historical/synthetic-trades.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { ActorStatus } from '../../actors/supervisor.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { MemoryBus } from '../../streams/memory-bus.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Trade } from '../../streams/messages/trade.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { testTrainingCache } from '../support/training-cache.js';

const VENUE = 'binance';
const trade = (symbol: string, ts: number): Trade => ({ type: 'md.trade', v: 1, id: `t:${VENUE}:${symbol}:${ts}`, venue: VENUE, symbol, price: 100, qty: 1, side: 'buy', ts });
const status = (symbol: string, lastSeq: number): ActorStatus => ({ key: `asset:${VENUE}:${symbol}`, state: 'live', restarts: 0, lastSeq });

describe('backtest end of data', () => {
  it('seals an asset once every source of it has ended, and releases it once its actor committed its last message', async () => {
    const cfg = backtestConfig(loadConfig(), ['BTC/USDT', 'ETH/USDT', 'SOL/USDT']);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const subjects = subjectsFor(cfg.prefix);
    const md = streamName(cfg, 'MD');
    // BTC has one source, ETH two; SOL has none and never publishes.
    const ends = endOfData([{ venue: VENUE, symbol: 'BTC/USDT' }, { venue: VENUE, symbol: 'ETH/USDT' }, { venue: VENUE, symbol: 'ETH/USDT' }]);
    const publish = (m: Trade): number => {
      ends.note(m);
      return bus.publishValueNow(subjects.trade(m.venue, m.symbol), m, m.id).seq;
    };
    publish(trade('BTC/USDT', 1));
    publish(trade('ETH/USDT', 2));
    const btcLast = publish(trade('BTC/USDT', 3));
    const ethLast = publish(trade('ETH/USDT', 4));
    const idled: string[] = [];
    const sequencer = { idle: (a: string) => void idled.push(a) };

    // Nothing is sealed yet: an actor that committed everything so far may still get more.
    ends.release([status('BTC/USDT', btcLast), status('ETH/USDT', ethLast), status('SOL/USDT', 0)], sequencer);
    expect(idled).toEqual([]);

    ends.hooks.end(0);
    ends.release([status('BTC/USDT', btcLast)], sequencer);
    expect(idled).toEqual([]); // ended, but sealed only after the batch is published (sealEnded)
    await ends.sealEnded(bus, md, subjects);
    ends.release([status('BTC/USDT', btcLast - 1)], sequencer);
    expect(idled).toEqual([]); // its last message is not committed yet
    ends.release([status('BTC/USDT', btcLast), status('ETH/USDT', ethLast), status('SOL/USDT', 0)], sequencer);
    ends.release([status('BTC/USDT', btcLast)], sequencer);
    expect(idled).toEqual(['asset:binance:BTC/USDT']); // once

    ends.hooks.end(1); // one of ETH's two sources: more may come from the other
    await ends.sealEnded(bus, md, subjects);
    ends.release([status('ETH/USDT', ethLast)], sequencer);
    expect(idled).toEqual(['asset:binance:BTC/USDT']);
    ends.hooks.end(2);
    await ends.sealEnded(bus, md, subjects);
    ends.release([status('ETH/USDT', ethLast), status('SOL/USDT', 0)], sequencer);
    expect(idled).toEqual(['asset:binance:BTC/USDT', 'asset:binance:ETH/USDT']);

    // After the replay every asset is sealed, those that never had data too.
    await ends.seal(bus, md, subjects);
    ends.release([status('BTC/USDT', btcLast), status('ETH/USDT', ethLast), status('SOL/USDT', 0)], sequencer);
    expect(idled).toEqual(['asset:binance:BTC/USDT', 'asset:binance:ETH/USDT', 'asset:binance:SOL/USDT']);
  });

  it("tells the sequencer where each asset's data begins: its sources' earliest start, once", () => {
    const ends = endOfData([{ venue: VENUE, symbol: 'BTC/USDT' }, { venue: VENUE, symbol: 'ETH/USDT' }, { venue: VENUE, symbol: 'ETH/USDT' }]);
    const marks: [string, number][] = [];
    const sequencer = { notBefore: (a: string, ts: number) => void marks.push([a, ts]) };
    ends.hooks.start(2, 500);
    ends.hooks.start(0, 100);
    ends.hooks.start(1, 300); // ETH's second file begins earlier than its third
    ends.hooks.start(7, 1); // not a source of this replay
    ends.markStarts(sequencer);
    ends.markStarts(sequencer);
    expect(marks).toEqual([
      ['asset:binance:ETH/USDT', 300],
      ['asset:binance:BTC/USDT', 100],
    ]);
    // Without its sources a replay knows no asset's start: nothing is marked.
    const blind = endOfData();
    blind.hooks.start(0, 100);
    blind.markStarts(sequencer);
    expect(marks).toHaveLength(2);
  });

  const FROM = Date.UTC(2023, 0, 1);
  const TO = Date.UTC(2023, 2, 1);
  const MAX_AHEAD = 512;
  const base = loadConfig();
  const cfg: Config = { ...backtestConfig(base, ['BTC/USDT', 'ETH/USDT']), strategy: { ...base.strategy, timeframe: '1h' } };
  let registry: ModelRegistry | undefined;
  /** One model for every replay below (trained on the three years before FROM). */
  const model = async (): Promise<ModelRegistry> => {
    if (registry !== undefined) return registry;
    const modelBus = createMemoryBus();
    await modelBus.ensureStreams(streamSpecs(cfg));
    const r = createMemoryModelRegistry({ bus: modelBus, subjects: subjectsFor(cfg.prefix), clock: createSimulatedClock(0) });
    await ensureDemoModel(r, { name: 'direction-mlp', dataDir: testDataDir(), symbols: ['BTC/USDT', 'ETH/USDT'], timeframe: '1h', from: FROM, cache: await testTrainingCache() });
    registry = r;
    return r;
  };

  type Replayed = { signals: string[]; maxLead: number; published: number; predictions: number };
  /**
   * BTC and ETH 1h bars with 7 synthetic trades each through the backtest's engine, as `sextant
   * backtest` feeds it; `bounds`: whether the replay tells the sequencer where each asset's data
   * begins and ends (else only after the replay, as before). `maxLead`: how far the feed ran ahead.
   */
  const replay = async (windows: Readonly<Record<'BTC/USDT' | 'ETH/USDT', readonly [number, number]>>, bounds: boolean): Promise<Replayed> => {
    const data = testDataDir();
    const files = (['BTC/USDT', 'ETH/USDT'] as const).map((symbol) => ({ symbol, path: `${data}/ohlcv/binance_spot_1h/${symbol.replace('/', '_')}_1h.csv`, window: windows[symbol] }));
    const clock = createSimulatedClock(FROM);
    const bus: MemoryBus = createMemoryBus({ now: () => clock.now(), trimAcked: [streamName(cfg, 'MD')] });
    await bus.ensureStreams(streamSpecs(cfg));
    const subjects = subjectsFor(cfg.prefix);
    const engine = await startEngine(
      cfg,
      { bus, features: createMemoryFeatureStore({ historyCap: 2 }), timeseries: createCountingHistory(), registry: await model(), riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() },
      clock,
      silentLogger,
      { control: false, inferenceThread: 'main' },
    );
    const ends = endOfData(bounds ? files.map((f) => ({ venue: VENUE, symbol: f.symbol })) : []);
    const md = streamName(cfg, 'MD');
    const hooks = replayHooks(ends, engine, { bus, stream: md, subjects });
    const sources = files.map((f) => withSyntheticTradeBatches(readBarBatches(f.path, { venue: VENUE, symbol: f.symbol, tf: '1h', from: f.window[0], to: f.window[1] }), { perBar: 7, seed: 3 }));
    let published = 0;
    let maxLead = 0;
    const { published: total } = await feedInProcess(bus, subjects, mergeBatchesByTime<MarketData>(sources, 256, ends.hooks), {
      consumed: () => engine.counters.messagesIn,
      maxAhead: MAX_AHEAD,
      each: (m) => {
        clock.advanceTo(m.ts);
        ends.note(m);
        published++;
        maxLead = Math.max(maxLead, published - engine.counters.messagesIn);
      },
      afterBatch: hooks.afterBatch,
      waiting: hooks.waiting,
    });
    await ends.seal(bus, md, subjects);
    while (engine.counters.messagesIn < total) {
      hooks.release();
      await new Promise((r) => setTimeout(r, 5));
    }
    await engine.stop();
    const predictions = engine.decisions?.path.stats().predictions ?? 0;
    const signals: string[] = [];
    const dec = new TextDecoder();
    const count = await bus.countMessages(streamName(cfg, 'SIGNALS'));
    const c = bus.consume({ stream: streamName(cfg, 'SIGNALS'), durable: 'check', filterSubject: `${cfg.prefix}.>`, batchSize: 4096 }, (batch) => {
      for (const d of batch) signals.push(`${d.subject} ${dec.decode(d.data)}`);
    });
    while (signals.length < count) await new Promise((r) => setTimeout(r, 5));
    await c.stop();
    await bus.close();
    return { signals, maxLead, published: total, predictions };
  };

  /** Without the bounds the feed runs away from the actors; with them it stays within its lead (plus one check interval of 1,024 and a merge batch), and every decision is the same. */
  const expectBoundedAndSame = (without: Replayed, withBounds: Replayed): void => {
    expect(withBounds.published).toBe(without.published);
    expect(without.maxLead).toBeGreaterThan(4 * MAX_AHEAD);
    expect(withBounds.maxLead).toBeLessThanOrEqual(MAX_AHEAD + 1024 + 256);
    expect(withBounds.predictions).toBeGreaterThan(1000);
    expect(withBounds.signals.length).toBeGreaterThan(withBounds.predictions);
    expect(withBounds.signals).toEqual(without.signals);
  };

  it('a symbol whose data ends early no longer holds the others back: the replay stays near the actors, and every decision is the same', async () => {
    // ~960 BTC bars (and their trades) follow ETH's last one.
    const windows = { 'BTC/USDT': [FROM, TO], 'ETH/USDT': [FROM, Date.UTC(2023, 0, 20)] } as const;
    expectBoundedAndSame(await replay(windows, false), await replay(windows, true));
  }, 120_000);

  it('nor does a symbol whose data begins late: the others pass up to its first message', async () => {
    // ~460 BTC bars (and their trades) come before ETH's first one.
    const windows = { 'BTC/USDT': [FROM, TO], 'ETH/USDT': [Date.UTC(2023, 0, 20), TO] } as const;
    expectBoundedAndSame(await replay(windows, false), await replay(windows, true));
  }, 120_000);
});
