import { describe, expect, it } from 'vitest';
import { fillsDurable } from '../../cli/external-durables.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { encode } from '../../streams/codec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';
import { approvedBtcBuys, liveFill, startLiveEngine } from '../support/live-engine.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';

const T = Date.UTC(2024, 0, 2);

// README: Nats-Msg-Id is belt and braces; the risk book books a fill id once whatever the stream stored.
describe('a fill published twice without Nats-Msg-Id (paper venue off)', () => {
  it('is stored twice but booked once, with no dead letter', async () => {
    const cfg = isolatedConfig(['BTC/USDT'], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false } }));
    const subjects = subjectsFor(cfg.prefix);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const riskStore = createMemoryRiskStore();
    await riskStore.saveBook(cfg.risk.account, bookWithOrders(approvedBtcBuys(cfg, [{ id: 'o:live', qty: 0.02, expiresAt: T + 3_600_000 }])), 0);
    const engine = await startLiveEngine(cfg, { bus, registry: await trainedRegistry(['BTC/USDT'], Date.UTC(2024, 0, 1)), riskStore });
    try {
      const fill = { ...liveFill(cfg, T), final: false };
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(fill));
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), encode(fill));
      expect(await bus.countMessages(streamName(cfg, 'SIGNALS'), subjects.fill(cfg.venue, 'BTC/USDT'))).toBe(2);
      const deadline = performance.now() + 10_000;
      const lag = async (): Promise<number> => {
        const c = await bus.consumerInfo(streamName(cfg, 'SIGNALS'), fillsDurable(cfg));
        return c === undefined ? 1 : c.pending + c.ackPending;
      };
      while (((engine.decisions?.path.stats().fills ?? 0) < 1 || (await lag()) > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      expect(engine.decisions?.risk.status().positions.find((p) => p.symbol === 'BTC/USDT')?.qty).toBeCloseTo(0.01, 12);
      expect(engine.decisions?.path.stats().fills).toBe(1);
      expect(await bus.countMessages(streamName(cfg, 'DLQ'), subjects.dlq('decisions'))).toBe(0);
    } finally {
      await engine.stop();
      await bus.close();
    }
  });
});
