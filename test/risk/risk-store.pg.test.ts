import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import { createRiskCore, CoreBookSnapshotSchema, TradingSnapshotSchema } from '../../models/risk/risk-core.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { StoreError } from '../../state/errors.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dropSchema } from '../support/pg.js';
import { baseLimits, BTC, ETH, fill, suggestion, T0, VENUE } from './risk-fixtures.js';
import { riskStoreContract } from './risk-store.contract.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_risk_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
afterAll(async () => {
  await dropSchema(url, schema);
});

riskStoreContract('memory', async () => createMemoryRiskStore());
riskStoreContract('PostgreSQL', () => createPgRiskStore({ url, schema }));

describe('risk state in PostgreSQL', () => {
  it('a HALTED account with its limits, scoped halts and book survives closing the store and a new core', async () => {
    const subjects = subjectsFor('sx');
    const bus = createMemoryBus();
    await bus.ensureStreams([{ name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 60_000, storage: 'memory' }]);
    const clock = createSimulatedClock(T0);
    const store1 = await createPgRiskStore({ url, schema });
    const a = await startRiskActor({ bus, subjects, store: store1, clock, log: silentLogger }, { account: 'desk-1', limits: baseLimits, consume: false });
    await a.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const d = await a.suggestion(suggestion({ qty: 2 }));
    expect(d.kind).toBe('order');
    await a.fill(fill({ orderId: d.kind === 'order' ? d.order.id : 'x', qty: 1.5, price: 100.25, final: false, ts: T0 + 1 }));
    await a.setLimits({ maxGrossNotional: 4321, maxPositionQty: { perSymbol: { [ETH]: 7 } } });
    await a.halt({ scope: 'strategy', value: 'beta', reason: 'misfiring' });
    await a.halt({ scope: 'all', reason: 'operator halt' });
    await a.stop();
    await store1.close();

    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query<{ state: string }>(`SELECT state FROM ${schema}.risk_trading WHERE account = 'desk-1'`);
      expect(rows).toEqual([{ state: 'HALTED' }]);
    } finally {
      await c.end();
    }

    // A fresh core straight from what is stored.
    const store2 = await createPgRiskStore({ url, schema });
    const stored = await store2.load('desk-1');
    await store2.close();
    const core = createRiskCore({
      account: 'desk-1',
      limits: stored.limits as Parameters<typeof createRiskCore>[0]['limits'],
      trading: TradingSnapshotSchema.parse(stored.trading),
      book: CoreBookSnapshotSchema.parse(stored.book),
    });
    const st = core.status();
    expect(st.state).toBe('HALTED');
    expect(st.reason).toBe('operator halt');
    expect(st.scopedHalts).toEqual([{ scope: 'strategy', value: 'beta', reason: 'misfiring' }]);
    expect(st.limits.maxGrossNotional).toBe(4321);
    expect(st.limits.maxPositionQty.perSymbol).toEqual({ [BTC]: 3, [ETH]: 7 });
    expect(st.positions).toEqual([expect.objectContaining({ qty: 1.5, avgCost: 100.25 })]);
    expect(st.inFlight).toEqual([expect.objectContaining({ remaining: 0.5, side: 'buy' })]);
    // The order in flight still counts after the restart: 1.5 held + 0.5 in flight + 1.5 > 3.
    core.resume({ scope: 'all', reason: 'ok', ts: T0 + 2 });
    core.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 2, mid: 100 });
    const r = core.onSuggestion(suggestion({ qty: 1.5, ts: T0 + 2 }), T0 + 2);
    expect(r.kind === 'reject' && r.reject.reasons).toEqual(['POSITION_LIMIT']);
  });

  it('refuses a bad schema name and a trading snapshot without a valid state', async () => {
    await expect(createPgRiskStore({ url, schema: 'Bad-Name' })).rejects.toThrow(StoreError);
    const s = await createPgRiskStore({ url, schema });
    try {
      await expect(s.saveTrading('x', { state: 'PANIC' }, 1)).rejects.toThrow(/no valid state/);
    } finally {
      await s.close();
    }
  });
});
