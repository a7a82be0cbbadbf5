import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlConfigSchema } from '../../gateways/control/control-config.js';
import { createPgRiskStore } from '../../state/pg-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import { dropSchema } from '../support/pg.js';
import { ACCOUNT, PG_URL, startControlEngine, testSchema } from './control-world.js';
import type { Asked, ControlEngine } from './control-world.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const schema = testSchema('ctl_riskto');

describe('an operator command whose risk-store write waits behind a lock answers UNAVAILABLE before sextant ctl gives up', () => {
  let store: RiskStore;
  let engine: ControlEngine;
  let locker: pg.Client;

  beforeAll(async () => {
    store = await createPgRiskStore({ url: PG_URL, schema });
    // As the engine starts it (cli/decisions.ts), with the configuration's default bound.
    const { riskWriteTimeoutMs } = ControlConfigSchema.parse({});
    engine = await startControlEngine(store, { controlWriteTimeoutMs: riskWriteTimeoutMs });
    locker = new pg.Client({ connectionString: PG_URL });
    await locker.connect();
  });
  afterAll(async () => {
    await locker.query('ROLLBACK').catch(() => {});
    await locker.end();
    await engine.stop();
    await store.close();
    await dropSchema(PG_URL, schema);
  });

  const ask = (verb: string, args: unknown): Promise<Asked> => engine.ask(verb, args);
  /** Another session holds the account's trading row, as a stuck transaction or a long maintenance job would. */
  const hold = async (): Promise<void> => {
    await locker.query('BEGIN');
    expect((await locker.query(`SELECT 1 FROM ${schema}.risk_trading WHERE account = $1 FOR UPDATE`, [ACCOUNT])).rowCount).toBe(1);
  };
  const release = (): Promise<unknown> => locker.query('ROLLBACK');
  const stored = (): Promise<unknown> => engine.stored();

  it('answers a resume UNAVAILABLE, not carried out: HALTED in the engine and in the store, and resumes once the lock goes', async () => {
    expect((await ask('halt', { reason: 'drill' })).reply).toMatchObject({ ok: true, result: { status: 'HALTED' } });
    expect(await stored()).toBe('HALTED');

    await hold();
    const resumed = await ask('resume', { reason: 'over' });
    expect(resumed.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(resumed.reply.ok ? '' : resumed.reply.error.message).toMatch(/^not resumed: storing it failed: save risk trading state: canceling statement due to (lock|statement) timeout; the account stays HALTED$/);
    expect(resumed.ms).toBeLessThan(3000); // 1500 ms bound, well under ctl's 5000
    expect(engine.risk.status().state).toBe('HALTED'); // not said resumed in memory while the store says HALTED
    await release();
    expect(await stored()).toBe('HALTED'); // what a restart would find: the same

    expect((await ask('resume', { reason: 'over' })).reply).toMatchObject({ ok: true, result: { status: 'ACTIVE' } });
    expect(engine.risk.status().state).toBe('ACTIVE');
    expect(await stored()).toBe('ACTIVE');
  }, 20_000);

  it('answers a reduce UNAVAILABLE, not carried out: ACTIVE in the engine and in the store', async () => {
    expect(engine.risk.status().state).toBe('ACTIVE');
    await hold();
    const reduced = await ask('reduce', { reason: 'desk risk-off', flatten: true });
    expect(reduced.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/^not reduced: storing it failed: .*(lock|statement) timeout; the account stays ACTIVE$/) } });
    expect(reduced.ms).toBeLessThan(3000);
    expect(engine.risk.core.trading()).toMatchObject({ state: 'ACTIVE', flattening: false });
    await release();
    expect(await stored()).toBe('ACTIVE');
  }, 20_000);

  it('answers a halt UNAVAILABLE saying it is in force in the engine but not stored; halting again stores it', async () => {
    await hold();
    const halted = await ask('halt', { reason: 'exchange incident' });
    expect(halted.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/^halted in this engine \(in force now\), but storing the halt failed: .*(lock|statement) timeout; a restart before it is stored would not find it: halt again to store it$/) } });
    expect(halted.ms).toBeLessThan(3000);
    expect(engine.risk.status().state).toBe('HALTED'); // the kill switch holds whatever the store says
    await release();
    expect(await stored()).toBe('ACTIVE');
    expect((await ask('halt', { reason: 'exchange incident' })).reply).toMatchObject({ ok: true, result: { status: 'HALTED' } });
    expect(await stored()).toBe('HALTED');
  }, 20_000);
});

describe('control.riskWriteTimeoutMs', () => {
  it('defaults to 1500 and refuses a bound that, with the audit deadline after it, reaches past 4000 ms', () => {
    expect(ControlConfigSchema.parse({})).toEqual({ auditDeadlineMs: 2000, riskWriteTimeoutMs: 1500 });
    expect(ControlConfigSchema.parse({ riskWriteTimeoutMs: 2000 })).toMatchObject({ riskWriteTimeoutMs: 2000 });
    const r = ControlConfigSchema.safeParse({ riskWriteTimeoutMs: 2500 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['riskWriteTimeoutMs'], message: expect.stringMatching(/^riskWriteTimeoutMs \+ auditDeadlineMs must be at most 4000 ms/) });
    expect(ControlConfigSchema.safeParse({ riskWriteTimeoutMs: 50 }).success).toBe(false);
  });
});
