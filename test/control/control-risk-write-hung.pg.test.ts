import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import type { RiskActorHandle } from '../../actors/risk-actor.js';
import type { Supervisor } from '../../actors/supervisor.js';
import type { Decisions } from '../../cli/decisions.js';
import { engineControlTarget } from '../../cli/engine-control.js';
import { loadConfig } from '../../config/load.js';
import { ControlReplySchema } from '../../gateways/control/control-messages.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import { startControlServer } from '../../gateways/control/control-server.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { createCounters } from '../../state/counters.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { MemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { baseLimits } from '../risk/risk-fixtures.js';
import { dropSchema } from '../support/pg.js';
import { startStallProxy } from '../support/pg-stall-proxy.js';
import type { StallProxy } from '../support/pg-stall-proxy.js';

// Real PostgreSQL behind a proxy that plays the hung server; fails (never skips) when it is not
// reachable. Schema of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `ctl_riskhung_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const subjects = subjectsFor('sx');
const enc = new TextEncoder();
const dec = new TextDecoder();
/** `sextant ctl`'s default --timeout (cli/commands/ctl.ts) and the gateway's controlTimeoutMs default. */
const CTL_TIMEOUT_MS = 5000;
const ACCOUNT = 'acc';
const idleSupervisor: Supervisor = { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} };

// The control commands' risk writes were bounded server-side only (control.riskWriteTimeoutMs, SET
// LOCAL): a server that stopped answering kept them waiting the pool's query_timeout
// (postgres.queryTimeoutMs, 15 s), past sextant ctl's 5 s, so the operator read "engine not
// reached" for a resume that was not done. They now give the server up after the same bound.
describe('an operator command whose risk-store write gets no answer (a hung PostgreSQL) answers UNAVAILABLE before sextant ctl gives up', () => {
  let proxy: StallProxy;
  let store: RiskStore;
  let risk: RiskActorHandle;
  let bus: MemoryBus;

  beforeAll(async () => {
    proxy = await startStallProxy(url);
    // As the engine wires them (cli/wiring.ts, cli/decisions.ts), with the configuration's defaults.
    const cfg = loadConfig({ env: {} });
    store = await createPgRiskStore({ url: proxy.url, schema, timeouts: { statementTimeoutMs: cfg.postgres.statementTimeoutMs, queryTimeoutMs: cfg.postgres.queryTimeoutMs } });
    expect(cfg.postgres.queryTimeoutMs).toBeGreaterThan(CTL_TIMEOUT_MS); // what made the wait too long
    risk = await startRiskActor(
      { bus: createMemoryBus(), subjects, store, clock: createLiveClock(), log: silentLogger },
      { account: ACCOUNT, limits: baseLimits, consume: false, controlWriteTimeoutMs: cfg.control.riskWriteTimeoutMs },
    );
    const target = engineControlTarget({
      supervisor: idleSupervisor,
      counters: createCounters(),
      decisions: { risk } as unknown as Decisions,
      registry: undefined,
      known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] },
    });
    bus = createMemoryBus();
    startControlServer({ bus, subjects, target, audit: createMemoryAuditStore(), clock: createLiveClock(), log: silentLogger });
  });
  afterAll(async () => {
    proxy.resume();
    proxy.drop(); // a write still waiting (no bound) would hold the pool's close for ever
    await risk.stop();
    await bus.close();
    await store.close();
    await proxy.close();
    await dropSchema(url, schema);
  });

  /** The reply within ctl's timeout; 'engine not reached' (the request timing out) fails the test. */
  const ask = async (verb: string, args: unknown): Promise<Readonly<{ reply: ControlReply; ms: number }>> => {
    const t0 = process.hrtime.bigint();
    const raw = await bus.request(subjects.control(verb), enc.encode(JSON.stringify({ v: 1, id: randomUUID(), operator: 'alice', args })), CTL_TIMEOUT_MS);
    return { reply: ControlReplySchema.parse(JSON.parse(dec.decode(raw))), ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  };
  const stored = async (): Promise<unknown> => ((await store.load(ACCOUNT)).trading as { state?: unknown } | undefined)?.state;
  /** The server stops answering with the pool's connections open, as a running engine's are (a fresh connection would fail its 3 s connect instead). */
  const hang = async (): Promise<void> => {
    await store.load(ACCOUNT);
    proxy.stall();
  };
  /** The server answers again: the connection given up on was dropped, the others serve. */
  const recover = (): void => proxy.resume();

  it('a resume: UNAVAILABLE, not carried out (HALTED in the engine and in the store); resumes once the server answers', async () => {
    expect((await ask('halt', { reason: 'drill' })).reply).toMatchObject({ ok: true, result: { status: 'HALTED' } });
    expect(await stored()).toBe('HALTED');

    await hang();
    const resumed = await ask('resume', { reason: 'over' });
    expect(resumed.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(resumed.reply.ok ? '' : resumed.reply.error.message).toMatch(
      /^not resumed: storing it failed: save risk trading state: no answer from PostgreSQL within 1750 ms \(the write's bound, 1500 ms, and 250 for the server's own answer\) \(Query read timeout\); it may be hung or unreachable; the account stays HALTED$/,
    );
    expect(resumed.ms).toBeLessThan(3000); // 1500 + 250 ms, well under ctl's 5000
    expect(risk.status().state).toBe('HALTED');
    recover();
    expect(await stored()).toBe('HALTED'); // what a restart would find: the same

    expect((await ask('resume', { reason: 'over' })).reply).toMatchObject({ ok: true, result: { status: 'ACTIVE' } });
    expect(await stored()).toBe('ACTIVE');
  }, 20_000);

  it('a halt: UNAVAILABLE saying it is in force in the engine but not stored', async () => {
    await hang();
    const halted = await ask('halt', { reason: 'exchange incident' });
    expect(halted.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/^halted in this engine \(in force now\), but storing the halt failed: .*no answer from PostgreSQL within 1750 ms/) } });
    expect(halted.ms).toBeLessThan(3000);
    expect(risk.status().state).toBe('HALTED'); // the kill switch holds whatever the store says
    recover();
    expect(await stored()).toBe('ACTIVE');
  }, 20_000);

  it('limits set: UNAVAILABLE, the limits unchanged in the engine and in the store', async () => {
    const before = risk.core.getLimits();
    await hang();
    const set = await ask('limits.set', { patch: { maxOrderNotional: before.maxOrderNotional + 1 } });
    expect(set.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/no answer from PostgreSQL within 1750 ms/) } });
    expect(set.ms).toBeLessThan(3000);
    expect(risk.core.getLimits()).toEqual(before);
    recover();
    expect((await store.load(ACCOUNT)).limits).toEqual(before);
  }, 20_000);
});
