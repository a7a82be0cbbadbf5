import { afterAll, describe, expect, it } from 'vitest';
import { DecisionPathFailedError } from '../../../actors/event-sequencer.js';
import { startEngine } from '../../../cli/engine.js';
import type { Engine, EngineAdapters } from '../../../cli/engine.js';
import { startGatewayRuntime } from '../../../cli/gateway-runtime.js';
import type { GatewayRuntime } from '../../../cli/gateway-runtime.js';
import { findBarFiles } from '../../../gateways/data-dir.js';
import { readBars } from '../../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../../gateways/historical/merge-by-time.js';
import { createEngineMetrics } from '../../../gateways/http/metrics.js';
import { replay } from '../../../gateways/replay.js';
import { createLiveClock } from '../../../state/clocks/live-clock.js';
import { silentLogger } from '../../../state/logger.js';
import { createMemoryAuditStore } from '../../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../../state/memory-timeseries-store.js';
import type { Bus, PublishOptions } from '../../../streams/bus.js';
import { BusError } from '../../../streams/errors.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../../streams/provision.js';
import { subjectsFor } from '../../../streams/subjects.js';
import { isolatedConfig, NATS_URL, trainedRegistry } from '../../decision/engine-run.js';
import { testDataDir } from '../../support/data-dir.js';
import { parsePromText, sampleValue } from './prom-text.js';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);
const DAYS = 20;

/**
 * The real NATS bus, refusing the publish of the first suggestion (as a stream that refused it
 * would): the release that made it fails, while its prediction and its order were stored.
 */
function refusingFirstSuggestion(bus: Bus): Bus & { refused(): number } {
  let refused = 0;
  return new Proxy(bus, {
    get(target, key) {
      if (key === 'refused') return () => refused;
      if (key === 'publish') {
        return (subject: string, data: Uint8Array, o?: PublishOptions) => {
          if (subject.includes('.exec.suggest.') && refused++ === 0) return Promise.reject(new BusError(`publish to ${subject} refused: injected`, false));
          return target.publish(subject, data, o);
        };
      }
      const v: unknown = Reflect.get(target, key);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as Bus & { refused(): number };
}

type Counted = Readonly<{ predictions: number; approved: number; rejected: number }>;

describe('sextant_predictions_total and sextant_orders_total across an engine restart (real NATS JetStream)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  it('count each prediction and decision once, although the restarted engine decides the redelivered bars again and publishes them again', async () => {
    const registry = await trainedRegistry(SYMBOLS, FROM);
    const cfg = isolatedConfig(SYMBOLS, (c) => ({ ...c, consumer: { ...c.consumer, batchSize: 24, ackWaitMs: 2_000 } }));
    const subjects = subjectsFor(cfg.prefix);
    const bus = await createNatsBus({ url: NATS_URL, name: 'decision-metrics-restart', connectTimeoutMs: 3000 });
    cleanup.push(() => bus.close());
    await bus.ensureStreams(streamSpecs(cfg));
    cleanup.push(() => bus.deleteStreams(streamSpecs(cfg).map((s) => s.name)));
    // The stores outlive the first engine, as Redis and PostgreSQL would.
    const stores: Omit<EngineAdapters, 'bus'> = { features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() };

    /** One engine process: the engine and its gateway on metrics of their own, wired as `sextant run` wires them. */
    const startProcess = async (engineBus: Bus): Promise<{ engine: Engine; gateway: GatewayRuntime; counted(): Promise<Counted> }> => {
      const metrics = createEngineMetrics({ defaultMetrics: false });
      const engine = await startEngine(cfg, { ...stores, bus: engineBus }, createLiveClock(), silentLogger, { counts: metrics });
      cleanup.push(() => engine.stop());
      const gateway = await startGatewayRuntime(cfg, bus, {}, silentLogger, { env: {}, metrics });
      cleanup.push(() => gateway.close());
      const counted = async (): Promise<Counted> => {
        const m = parsePromText(await metrics.text());
        return {
          predictions: sampleValue(m, 'sextant_predictions_total', { strategy: cfg.strategy.name }) ?? 0,
          approved: sampleValue(m, 'sextant_orders_total', { outcome: 'approved' }) ?? 0,
          rejected: sampleValue(m, 'sextant_orders_total', { outcome: 'rejected' }) ?? 0,
        };
      };
      return { engine, gateway, counted };
    };

    const faulty = refusingFirstSuggestion(bus);
    const first = await startProcess(faulty);
    const files = findBarFiles(testDataDir(), { symbols: SYMBOLS, timeframe: '1h' });
    const { published } = await replay({ bus, subjects, source: mergeByTime(...files.map((f) => readBars(f.path, { venue: cfg.venue, symbol: f.symbol, tf: '1h', from: FROM, to: FROM + DAYS * 86_400_000 }))) });
    expect(published).toBe(2 * DAYS * 24);

    // The first suggestion's release published its prediction and its order, but not the
    // suggestion: the engine stops deciding and acknowledges none of it.
    const failure = await Promise.race([first.engine.failed(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000))]);
    expect(failure).toBeInstanceOf(DecisionPathFailedError);
    expect(faulty.refused()).toBeGreaterThan(0);
    await first.engine.stop();
    await first.gateway.close();
    const before = await first.counted();
    const firstStats = first.engine.decisions?.path.stats();
    expect(before.approved).toBeGreaterThan(0);

    // The restarted engine resumes from the last risk write: the unacknowledged bars come back and
    // are decided again, their outputs published again with the same ids (the streams keep one copy).
    const second = await startProcess(bus);
    const signals = streamName(cfg, 'SIGNALS');
    const expected = 2 * (DAYS * 24 - 199); // every bar after each asset's 199-bar warm-up is scored once
    await expect.poll(() => bus.countMessages(signals, `${cfg.prefix}.pred.>`), { timeout: 60_000, interval: 100 }).toBe(expected);
    await expect.poll(() => second.engine.counters.messagesIn, { timeout: 60_000, interval: 50 }).toBeGreaterThan(0);
    await second.engine.stop();
    expect(second.engine.failure()).toBeUndefined();
    const secondStats = second.engine.decisions?.path.stats();
    if (firstStats === undefined || secondStats === undefined) throw new Error('no decision path');
    const stored = {
      predictions: await bus.countMessages(signals, `${cfg.prefix}.pred.>`),
      approved: await bus.countMessages(signals, `${cfg.prefix}.exec.order.>`),
      rejected: await bus.countMessages(signals, `${cfg.prefix}.exec.reject.>`),
    };
    // The restart really decided some of it twice: the two engines made more predictions and
    // orders than the streams hold.
    expect(firstStats.predictions + secondStats.predictions).toBeGreaterThan(stored.predictions);
    expect(firstStats.orders + secondStats.orders).toBeGreaterThan(stored.approved);

    // What Prometheus adds up across the restart (`increase()` over both processes' counters) is
    // each prediction and decision once: what the streams hold.
    const after = await second.counted();
    await second.gateway.close();
    expect({ predictions: before.predictions + after.predictions, approved: before.approved + after.approved, rejected: before.rejected + after.rejected }).toEqual(stored);
  }, 180_000);
});
