import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../cli/engine.js';
import type { Engine } from '../../cli/engine.js';
import type { Config } from '../../config/schema.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryFeatureStore } from '../../state/memory-feature-store.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import type { Bus } from '../../streams/bus.js';
import { decodeText } from '../../streams/codec.js';
import { FillSchema } from '../../streams/messages/fill.js';
import type { Fill } from '../../streams/messages/fill.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dropSchema } from '../support/pg.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';
import { feedLiveBars } from './live-bars-feed.js';

// Real PostgreSQL for the risk state (fails, never skips, when it is not reachable); a schema of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_pvr_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
afterAll(async () => {
  await dropSchema(url, schema);
});

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const FROM = Date.UTC(2024, 0, 1);

const feed = (engine: Engine, bus: Bus, cfg: Config, from: number, to: number): Promise<void> => feedLiveBars(engine, bus, cfg, SYMBOLS, from, to);

/** Every fill the paper venue published so far. */
async function fills(bus: Bus, cfg: Config): Promise<Fill[]> {
  const stored = await bus.readStored(streamName(cfg, 'SIGNALS'), subjectsFor(cfg.prefix).allFills());
  return stored.map((m) => FillSchema.parse(JSON.parse(decodeText(m.data))));
}

describe('the paper venue across an engine restart (risk state in PostgreSQL)', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    registry = await trainedRegistry(SYMBOLS, FROM);
  }, 60_000);

  it('works on the orders that were working at the stop: they fill (or expire) at the venue after the restart, as at a real venue', async () => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const riskStore = await createPgRiskStore({ url, schema });
    const stores = { bus, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore, audit: createMemoryAuditStore() };
    try {
      const first = await startEngine(cfg, stores, createLiveClock(), silentLogger);
      await feed(first, bus, cfg, FROM, Date.UTC(2024, 0, 20));
      await first.stop();
      // The child the strategy sent on the last bar before the stop is still working (the model and bars are fixed).
      const working = first.decisions?.risk.status().inFlight ?? [];
      expect(working.length).toBeGreaterThan(0);
      const before = await fills(bus, cfg);

      const second = await startEngine(cfg, stores, createLiveClock(), silentLogger);
      try {
        await feed(second, bus, cfg, Date.UTC(2024, 0, 20), Date.UTC(2024, 0, 21));
      } finally {
        await second.stop();
      }
      const after = (await fills(bus, cfg)).slice(before.length);
      for (const o of working) {
        const own = after.filter((f) => f.orderId === o.orderId);
        // Worked by the venue after the restart: it filled what it had left (the next bar is marketable for it).
        expect(own.length, `fills of ${o.orderId} after the restart`).toBeGreaterThan(0);
        expect(own.reduce((q, f) => q + f.qty, 0)).toBeCloseTo(o.remaining, 12);
        // Its fills go on from those before the stop (ids are new), and the book applied each of them.
        expect(new Set(own.map((f) => f.id)).size).toBe(own.length);
        for (const f of own) expect(before.some((b) => b.id === f.id)).toBe(false);
      }
      const status = second.decisions?.risk.status();
      expect(status?.inFlight.filter((o) => working.some((w) => w.orderId === o.orderId))).toEqual([]);
      for (const sym of SYMBOLS) expect(second.decisions?.execution.asset(cfg.venue, sym).working).toBe(0);
    } finally {
      await riskStore.close();
      await bus.close();
    }
  }, 120_000);

  it('reads the risk state once at start-up: the risk book and the venue\'s orders come from the same read', async () => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const inner = await createPgRiskStore({ url, schema });
    const loads: string[] = [];
    const riskStore: RiskStore = {
      ...inner,
      load: (account) => {
        loads.push(account);
        return inner.load(account);
      },
    };
    try {
      const engine = await startEngine(cfg, { bus, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore, audit: createMemoryAuditStore() }, createLiveClock(), silentLogger);
      await engine.stop();
      expect(engine.decisions).toBeDefined();
      expect(loads).toEqual([cfg.risk.account]);
    } finally {
      await inner.close();
      await bus.close();
    }
  }, 60_000);

  it("gives the engine's risk actor no push-in suggestion or fill (they would store the book without the venue's orders), and its operator side works", async () => {
    const cfg = isolatedConfig(SYMBOLS);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const riskStore = await createPgRiskStore({ url, schema });
    try {
      const engine = await startEngine(cfg, { bus, features: createMemoryFeatureStore({ historyCap: 10 }), timeseries: createMemoryTimeseriesStore(), registry, riskStore, audit: createMemoryAuditStore() }, createLiveClock(), silentLogger);
      try {
        const risk = engine.decisions?.risk;
        expect(risk).toBeDefined();
        // @ts-expect-error -- not on the engine's risk handle (cli/decisions.ts EngineRisk), at run time either
        expect(risk?.fill).toBeUndefined();
        // @ts-expect-error -- as above
        expect(risk?.suggestion).toBeUndefined();
        await risk?.halt({ scope: 'all', reason: 'desk says stop' });
        expect(risk?.status().state).toBe('HALTED');
        expect((await riskStore.load(cfg.risk.account)).trading).toMatchObject({ state: 'HALTED' });
      } finally {
        await engine.stop();
      }
    } finally {
      await riskStore.close();
      await bus.close();
    }
  }, 60_000);
});
