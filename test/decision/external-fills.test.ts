import { describe, expect, it } from 'vitest';
import { startEngine } from '../../cli/engine.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { encode } from '../../streams/codec.js';
import type { Fill } from '../../streams/messages/fill.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';

describe('fills from live trading consumers (paper venue off)', () => {
  it('reach the risk actor through sx.exec.fill; bad ones and bad model events go to sx.dlq.decisions', async () => {
    const cfg = isolatedConfig(['BTC/USDT'], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false } }));
    const subjects = subjectsFor(cfg.prefix);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const registry = await trainedRegistry(['BTC/USDT'], Date.UTC(2024, 0, 1));
    const engine = await startEngine(
      cfg,
      { bus, features: createMemoryFeatureStore({ historyCap: 2 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore: createMemoryRiskStore(), audit: createMemoryAuditStore() },
      createLiveClock(),
      silentLogger,
    );
    try {
      const fill: Fill = { type: 'exec.fill', v: 1, id: 'x:live:1', ts: Date.UTC(2024, 0, 2), orderId: 'o:live', strategy: cfg.strategy.name, venue: cfg.venue, symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 42_000, fee: 0.42, liquidity: 'taker', slippageBps: 1, final: true };
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(fill), { msgId: fill.id });
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), new TextEncoder().encode('{"type":"exec.fill"'), { msgId: 'bad' });
      // Valid by the schema, but no subject can name venue `my_venue`: refused once, not retried
      // forever in front of the fills behind it.
      const unroutable: Fill = { ...fill, id: 'x:live:2', venue: 'my_venue' };
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(unroutable), { msgId: unroutable.id });
      const second: Fill = { ...fill, id: 'x:live:3', ts: fill.ts + 1 };
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(second), { msgId: second.id });
      // A model event that is not JSON, and one that is not a model event: dead letters, the engine lives on.
      bus.emit(subjects.model(cfg.strategy.model.split('@')[0] ?? '', 'promoted'), new TextEncoder().encode('not json'));
      bus.emit(subjects.model(cfg.strategy.model.split('@')[0] ?? '', 'promoted'), encode({ event: 'promoted' }));
      const deadline = performance.now() + 10_000;
      const position = (): number => engine.decisions?.risk.status().positions.find((p) => p.symbol === 'BTC/USDT')?.qty ?? 0;
      const dead = (): Promise<number> => bus.countMessages(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
      while ((position() < 0.015 || (await dead()) < 4) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(position()).toBeCloseTo(0.02, 12);
      expect(engine.decisions?.path.stats().fills).toBe(2);
      expect(await dead()).toBe(4);
    } finally {
      await engine.stop();
      await bus.close();
    }
  });
});
