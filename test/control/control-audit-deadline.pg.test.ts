import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_DEADLINE_MS, startControlServer } from '../../gateways/control/control-server.js';
import type { ControlTarget } from '../../gateways/control/control-target.js';
import type { AuditStore } from '../../state/audit-store.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createPgAuditStore } from '../../state/pg-audit-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { dropSchema } from '../support/pg.js';
import { askControl, CTL_TIMEOUT_MS, PG_URL, subjects, testSchema } from './control-world.js';
import type { Asked } from './control-world.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const schema = testSchema('ctl_audl');

describe('operator audit writes to a PostgreSQL that hangs answer before sextant ctl gives up', () => {
  let audit: AuditStore;
  let locker: pg.Client;
  const halts: string[] = [];
  const target: ControlTarget = {
    status: () => ({ state: 'ACTIVE' }),
    halt: (a) => {
      halts.push(a.reason);
      return { state: 'HALTED' };
    },
    resume: () => ({ state: 'ACTIVE' }),
    reduce: () => ({ state: 'REDUCING' }),
    getLimits: () => ({ maxOrderQty: 3 }),
    setLimits: () => ({}),
    listModels: async () => [],
    deployModel: async () => ({}),
    rollbackModel: async () => ({}),
    removeModelAlias: async () => ({}),
  };

  beforeAll(async () => {
    audit = await createPgAuditStore({ url: PG_URL, schema });
    // Both of the store's pooled connections open before the lock (a fresh connection under a
    // loaded CI host can take seconds): what the writes below wait for is the lock, nothing else.
    for (let i = 0; ; i++) {
      try {
        await Promise.all([audit.recent(1), audit.recent(1)]);
        break;
      } catch (e) {
        if (i === 4) throw e;
      }
    }
    // Another session holds the audit table: every write waits for it (no timeout of its own), as
    // behind a stuck migration, a long VACUUM FULL or a server that accepts and never answers.
    locker = new pg.Client({ connectionString: PG_URL });
    await locker.connect();
    await locker.query(`BEGIN; LOCK TABLE ${schema}.control_audit IN ACCESS EXCLUSIVE MODE`);
  });
  afterAll(async () => {
    await locker.query('ROLLBACK').catch(() => {});
    await locker.end();
    await audit.close();
    await dropSchema(PG_URL, schema);
  });

  /** How many sessions wait on a lock with an insert into this file's audit table (a fresh session: pg_stat_activity is a per-transaction snapshot). */
  const writesWaitingOnLock = async (): Promise<number> => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const r = await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO ' || $1 || '.control_audit%'`,
        [schema],
      );
      return r.rows[0]?.n ?? 0;
    } finally {
      await c.end();
    }
  };

  const serve = (auditDeadlineMs?: number) => {
    const bus = createMemoryBus();
    startControlServer({ bus, subjects, target, audit, clock: createLiveClock(), log: silentLogger, ...(auditDeadlineMs !== undefined ? { auditDeadlineMs } : {}) });
    const ask = (verb: string, id: string): Promise<Asked> => askControl(bus, verb, verb === 'halt' ? { reason: `drill ${id}` } : {}, id);
    return { ask, close: () => bus.close() };
  };

  it('answers a status with a warning and a halt, carried out, UNAVAILABLE, once the audit deadline passes', async () => {
    const s = serve(300);
    try {
      const status = await s.ask('status', 's-hang');
      expect(status.reply).toMatchObject({ ok: true, result: { state: 'ACTIVE' } });
      expect(status.reply.ok ? status.reply.warning : '').toMatch(/^answered, but the audit write failed: no answer from the audit store within 300 ms/);
      const halt = await s.ask('halt', 'h-hang');
      expect(halt.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
      expect(halt.reply.ok ? '' : halt.reply.error.message).toMatch(/^done, but the audit write failed: no answer from the audit store within 300 ms \(its row may still be stored\)/);
      expect(halts).toContain('drill h-hang'); // the halt was carried out, before the audit
      for (const r of [status, halt]) expect(r.ms).toBeLessThan(1500);
      // Both writes are still under way, held at the lock (the last test sees them stored).
      expect(await writesWaitingOnLock()).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('with the default deadline, answers well before sextant ctl default timeout, with both pooled connections stuck', async () => {
    expect(AUDIT_DEADLINE_MS).toBeLessThanOrEqual(CTL_TIMEOUT_MS / 2);
    const s = serve();
    try {
      // The two earlier writes still hold both of the store's connections: this one waits for a
      // connection (3 s a try) rather than for the lock.
      const [a, b] = await Promise.all([s.ask('status', 's-default'), s.ask('halt', 'h-default')]);
      expect(a.reply).toMatchObject({ ok: true, warning: expect.stringMatching(/no answer from the audit store within 2000 ms/) as unknown });
      expect(b.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
      for (const r of [a, b]) expect(r.ms).toBeLessThan(AUDIT_DEADLINE_MS + 1000);
    } finally {
      await s.close();
    }
  });

  it('the rows held back are stored once the table is free again, as the reply said they might be', async () => {
    await locker.query('ROLLBACK');
    const ids = async (): Promise<string[]> => (await audit.recent(100)).map((e) => e.requestId).sort();
    for (let i = 0; i < 100 && (await ids()).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await ids()).toEqual(expect.arrayContaining(['h-hang', 's-hang']));
  });
});
