import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlReplySchema } from '../../gateways/control/control-messages.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import { startControlServer } from '../../gateways/control/control-server.js';
import type { ControlTarget } from '../../gateways/control/control-target.js';
import type { AuditStore } from '../../state/audit-store.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import { createPgAuditStore } from '../../state/pg-audit-store.js';
import { pgStoreError } from '../../state/pg-errors.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dropSchema } from '../support/pg.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `ctl_audr_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const subjects = subjectsFor('sx');
const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A failure as PostgreSQL itself reports it (a real server error with that SQLSTATE, through the
 * store's own error mapping): 40001 serialization failure, 08006 connection failure, 23514 a
 * check violation (not transient).
 */
async function pgFailure(sqlstate: string): Promise<Error> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DO $$ BEGIN RAISE EXCEPTION 'stand-in failure %', '${sqlstate}' USING ERRCODE = '${sqlstate}'; END $$`);
  } catch (e) {
    return pgStoreError('record an audit entry', e);
  } finally {
    await c.end();
  }
  throw new Error(`no failure raised for ${sqlstate}`);
}

/** The real store, whose next `failures` writes fail with `failure` before reaching it. */
const failingFirst = (real: AuditStore, failures: number, failure: Error): AuditStore & { tries: number } => {
  const s = {
    tries: 0,
    record: async (e: Parameters<AuditStore['record']>[0]) => {
      s.tries++;
      if (s.tries <= failures) throw failure;
      await real.record(e);
    },
    recent: real.recent,
    close: real.close,
  };
  return s;
};

const target: ControlTarget = {
  status: () => ({ state: 'ACTIVE' }),
  halt: () => ({ state: 'HALTED' }),
  resume: () => ({ state: 'ACTIVE' }),
  reduce: () => ({ state: 'REDUCING' }),
  getLimits: () => ({ maxOrderQty: 3 }),
  setLimits: () => ({}),
  listModels: async () => [],
  deployModel: async () => ({}),
  rollbackModel: async () => ({}),
  removeModelAlias: async () => ({}),
};

describe('operator audit writes are tried again on transient PostgreSQL failures', () => {
  let real: AuditStore;
  beforeAll(async () => {
    real = await createPgAuditStore({ url, schema });
  });
  afterAll(async () => {
    await real.close();
    await dropSchema(url, schema);
  });

  const serve = (audit: AuditStore, log: Logger = silentLogger) => {
    const bus = createMemoryBus();
    startControlServer({ bus, subjects, target, audit, clock: createLiveClock(), log });
    const ask = async (verb: string, id: string): Promise<ControlReply> => {
      const args = verb === 'halt' ? { reason: 'drill' } : {};
      return ControlReplySchema.parse(JSON.parse(dec.decode(await bus.request(subjects.control(verb), enc.encode(JSON.stringify({ v: 1, id, operator: 'alice', args })), 5000))));
    };
    return { ask, close: () => bus.close() };
  };
  const rowsOf = async (id: string): Promise<number> => (await real.recent(100)).filter((e) => e.requestId === id).length;

  it('a halt whose first audit write hits a serialization failure is audited on the next try and answered ok', async () => {
    const said: string[] = [];
    const log: Logger = { ...silentLogger, warn: (f, m) => void said.push(`${m} ${String(f['attempt'])} ${String(f['delayMs'])}`), child: () => log };
    const audit = failingFirst(real, 1, await pgFailure('40001'));
    const s = serve(audit, log);
    try {
      expect(await s.ask('halt', 'h-40001')).toEqual({ v: 1, id: 'h-40001', ok: true, result: { state: 'HALTED' } });
    } finally {
      await s.close();
    }
    expect(audit.tries).toBe(2);
    expect(said).toEqual(['audit write failed, trying again 1 50']);
    expect(await rowsOf('h-40001')).toBe(1);
  });

  it('a connection failure on two tries: the third is stored', async () => {
    const audit = failingFirst(real, 2, await pgFailure('08006'));
    const s = serve(audit);
    try {
      expect(await s.ask('halt', 'h-08006')).toMatchObject({ ok: true });
    } finally {
      await s.close();
    }
    expect(audit.tries).toBe(3);
    expect(await rowsOf('h-08006')).toBe(1);
  });

  it('a failure that is not transient is not tried again, and a halt is still told its audit failed', async () => {
    const audit = failingFirst(real, 1, await pgFailure('23514'));
    const s = serve(audit);
    try {
      const reply = await s.ask('halt', 'h-23514');
      expect(reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
      expect(reply.ok ? '' : reply.error.message).toMatch(/^done, but the audit write failed: record an audit entry: stand-in failure 23514/);
    } finally {
      await s.close();
    }
    expect(audit.tries).toBe(1);
    expect(await rowsOf('h-23514')).toBe(0);
  });

  it('three transient failures: a read-only request is answered with a warning, a changing one is not ok', async () => {
    const failure = await pgFailure('08006');
    const forStatus = failingFirst(real, 3, failure);
    const forHalt = failingFirst(real, 3, failure);
    const a = serve(forStatus);
    const b = serve(forHalt);
    try {
      expect(await a.ask('status', 's-1')).toEqual({ v: 1, id: 's-1', ok: true, result: { state: 'ACTIVE' }, warning: `answered, but the audit write failed: ${failure.message}` });
      expect(await b.ask('halt', 'h-3x')).toEqual({ v: 1, id: 'h-3x', ok: false, error: { code: 'UNAVAILABLE', message: `done, but the audit write failed: ${failure.message}` } });
    } finally {
      await a.close();
      await b.close();
    }
    expect([forStatus.tries, forHalt.tries]).toEqual([3, 3]);
  });
});
