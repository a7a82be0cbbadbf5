import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { RiskActorHandle } from '../../actors/risk-actor.js';
import { loadConfig } from '../../config/load.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import type { Bus } from '../../streams/bus.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';
import type { RiskState } from '../../streams/messages/risk-state.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import type { Subjects } from '../../streams/subjects.js';
import { BTC, fill, T0, VENUE } from '../risk/risk-fixtures.js';
import { dropSchema } from '../support/pg.js';
import { startStallProxy } from '../support/pg-stall-proxy.js';
import type { StallProxy } from '../support/pg-stall-proxy.js';
import { startControlEngine } from './control-world.js';

// Real PostgreSQL behind a proxy that plays the hung server, real NATS for `sx.risk.state` (what
// dashboards, the websocket feed and live consumers watch); fails (never skips) when either is not
// reachable. Schemas and subject prefix of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const dec = new TextDecoder();
const ACCOUNT = 'acc';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !(await cond()); ) {
    if (Date.now() > end) throw new Error(`still waiting for ${what} after ${ms} ms`);
    await sleep(10);
  }
}

type World = Readonly<{
  schema: string;
  proxy: StallProxy;
  store: RiskStore;
  risk: RiskActorHandle;
  /** What `sx.risk.state` carried, in order, as a subscriber on NATS read it. */
  announced: RiskState[];
  ask(verb: string, args: unknown): Promise<ControlReply>;
  stored(): Promise<unknown>;
  endStuckSessions(): Promise<void>;
  close(): Promise<void>;
}>;

/** The risk actor and control server as the engine wires them, default settings, the store through the proxy, the bus on NATS. */
async function world(): Promise<World> {
  const schema = `ctl_haltann_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const subjects: Subjects = subjectsFor(`t${randomUUID().replaceAll('-', '').slice(0, 10)}`);
  const proxy = await startStallProxy(url);
  const cfg = loadConfig({ env: {} });
  const named = new URL(proxy.url);
  named.searchParams.set('application_name', schema);
  const store = await createPgRiskStore({ url: named.toString(), schema, timeouts: { statementTimeoutMs: cfg.postgres.statementTimeoutMs, queryTimeoutMs: cfg.postgres.queryTimeoutMs } });
  const bus: Bus = await createNatsBus({ url: NATS_URL, name: 'halt-announced-test', connectTimeoutMs: 3000 });
  const announced: RiskState[] = [];
  bus.subscribe(subjects.riskState(), (_s, data) => announced.push(RiskStateSchema.parse(JSON.parse(dec.decode(data)))));
  const engine = await startControlEngine(store, { controlWriteTimeoutMs: cfg.control.riskWriteTimeoutMs, known: { symbols: [BTC], strategies: ['alpha'] }, bus, subjects });
  return {
    schema,
    proxy,
    store,
    risk: engine.risk,
    announced,
    ask: async (verb, args) => (await engine.ask(verb, args)).reply,
    stored: engine.stored,
    endStuckSessions: async () => {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'`, [schema]);
      } finally {
        await admin.end();
      }
    },
    close: async () => {
      proxy.resume();
      proxy.drop();
      await engine.stop();
      await bus.close();
      await store.close();
      await proxy.close();
      await dropSchema(url, schema);
    },
  };
}

const changes = (w: World): readonly unknown[] => w.announced.map((s) => ({ state: s.state, previous: s.previous, ...(s.stored !== undefined ? { stored: s.stored } : {}) }));

// An operator's halt is in force in the engine from its receipt, and stays in force when storing it
// fails or gets no answer (84b9589): the engine refused everything as HALTED, but `sx.risk.state`
// said nothing, so dashboards, the websocket feed and live consumers kept showing ACTIVE.
describe('a halt in force but not stored is announced on sx.risk.state', () => {
  const worlds: World[] = [];
  const started = async (): Promise<World> => {
    const w = await world();
    worlds.push(w);
    return w;
  };
  afterAll(async () => {
    for (const w of worlds) await w.close();
  });

  it('stored: announced once, with no flag', async () => {
    const w = await started();
    expect(await w.ask('halt', { reason: 'drill' })).toMatchObject({ ok: true });
    await until(() => w.announced.length > 0, 'the announcement');
    await sleep(200);
    expect(changes(w)).toEqual([{ state: 'HALTED', previous: 'ACTIVE' }]);
  }, 20_000);

  it('its write fails (a server answering nothing): announced HALTED, stored: false', async () => {
    const w = await started();
    await w.store.load(ACCOUNT); // the pool's connections open, as a running engine's are
    w.proxy.stall();
    const reply = await w.ask('halt', { reason: 'exchange incident' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/^halted in this engine \(in force now\), but storing the halt failed: /) } });
    expect(w.risk.status().state).toBe('HALTED');
    await until(() => w.announced.length > 0, 'the announcement', 1000);
    expect(changes(w)).toEqual([{ state: 'HALTED', previous: 'ACTIVE', stored: false }]);
    expect(w.announced[0]).toMatchObject({ account: ACCOUNT, reason: expect.stringContaining('exchange incident') });
  }, 20_000);

  it('queued behind a book write on a hung server: announced stored: false by its deadline, and again, stored: true, once the store takes it', async () => {
    const w = await started();
    w.risk.core.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    await w.store.load(ACCOUNT);
    w.proxy.stallWhenSent(`INSERT INTO ${w.schema}.risk_book`);
    const book = w.risk.fill(fill({ orderId: 'o:x', qty: 1, price: 100 }));
    book.catch(() => {});
    await sleep(100);
    const reply = await w.ask('halt', { reason: 'exchange incident' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    await until(() => w.announced.length > 0, 'the announcement', 1000);
    expect(changes(w)).toEqual([{ state: 'HALTED', previous: 'ACTIVE', stored: false }]);
    // The stuck session ends: the book write fails, the halt is stored after it, and the same
    // change is announced again, stored: true (it was not: dashboards kept "not stored" while a
    // restart would find the halt).
    await w.endStuckSessions();
    await expect(book).rejects.toThrow();
    await until(async () => (await w.stored()) === 'HALTED', 'the halt stored');
    await until(() => w.announced.length > 1, 'the announcement once stored', 1000);
    await sleep(300);
    expect(changes(w)).toEqual([
      { state: 'HALTED', previous: 'ACTIVE', stored: false },
      { state: 'HALTED', previous: 'ACTIVE', stored: true },
    ]);
    expect(w.announced[1]).toEqual({ ...w.announced[0], stored: true });
  }, 20_000);

  it('a limits set whose halt is not stored: the halt it caused is announced stored: false', async () => {
    const w = await started();
    // 10 lost today (limit 1,000): lowering the limit to 5 halts.
    w.risk.core.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    w.risk.core.onFill(fill({ orderId: 'o:z', qty: 1, price: 100 }));
    w.risk.core.onMarket({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 90 });
    await w.store.load(ACCOUNT);
    w.proxy.stallWhenSent('risk_trading'); // the halt's write gets no answer
    const reply = await w.ask('limits.set', { patch: { maxDailyLoss: 5 } });
    expect(reply).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^limits changed \(stored, in force\), but storing the halt they caused failed: /) } });
    expect(w.risk.status().state).toBe('HALTED');
    await until(() => w.announced.length > 0, 'the announcement', 1000);
    expect(changes(w)).toEqual([{ state: 'HALTED', previous: 'ACTIVE', stored: false }]);
  }, 20_000);
});
