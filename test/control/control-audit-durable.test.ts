import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ControlError, ControlErrorCode, ControlReplySchema } from '../../gateways/control/control-messages.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import { startControlServer } from '../../gateways/control/control-server.js';
import type { ControlTarget } from '../../gateways/control/control-target.js';
import type { AuditEntry, AuditStore } from '../../state/audit-store.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { StoreError } from '../../state/errors.js';
import { silentLogger } from '../../state/logger.js';
import { createPgAuditStore } from '../../state/pg-audit-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dropSchema } from '../support/pg.js';
import { watchCommitSetting, withAsyncCommitDefault } from '../support/pg-commit-setting.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `ctl_aud_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const subjects = subjectsFor('sx');
const enc = new TextEncoder();
const dec = new TextDecoder();
afterAll(async () => {
  await dropSchema(url, schema);
});

const entry = (requestId: string): AuditEntry => ({ requestId, operator: 'alice', verb: 'halt', args: { reason: 'drill' }, outcome: 'ok', detail: { state: 'HALTED' }, at: 1_700_000_000_000 });

describe('operator audit durability and failures', () => {
  it('commits each audit row with synchronous_commit on, even where the sessions default to off', async () => {
    const first = await createPgAuditStore({ url, schema });
    await first.close();
    const seen = await watchCommitSetting(url, schema, 'control_audit');
    for (const u of [url, withAsyncCommitDefault(url)]) {
      const audit = await createPgAuditStore({ url: u, schema });
      try {
        await audit.record(entry(`r-${u.length}`));
      } finally {
        await audit.close();
      }
    }
    expect(await seen()).toEqual(['on', 'on']);
    const audit = await createPgAuditStore({ url, schema });
    try {
      expect((await audit.recent(5)).map((e) => e.requestId)).toHaveLength(2);
    } finally {
      await audit.close();
    }
  });

  describe('an audit write that fails is told to the operator', () => {
    const calls: string[] = [];
    const target: ControlTarget = {
      status: () => ({ state: 'ACTIVE' }),
      halt: (_a, op) => {
        calls.push(`halt by ${op}`);
        return { state: 'HALTED' };
      },
      resume: () => {
        throw new ControlError(ControlErrorCode.REFUSED, 'the account is not halted: nothing resumed');
      },
      reduce: () => ({ state: 'REDUCING' }),
      getLimits: () => ({}),
      setLimits: () => ({}),
      listModels: async () => [],
      deployModel: async () => ({}),
      rollbackModel: async () => ({}),
      removeModelAlias: async () => ({}),
    };
    const failing: AuditStore = {
      record: async () => {
        throw new StoreError('record an audit entry: connection terminated', true);
      },
      recent: async () => [],
      close: async () => {},
    };
    const bus = createMemoryBus();
    // A live clock: the failure is retryable, so it is tried again (control-server AUDIT_RETRY) on
    // the clock's timers before the reply says it failed.
    startControlServer({ bus, subjects, target, audit: failing, clock: createLiveClock(), log: silentLogger });
    afterAll(async () => {
      await bus.close();
    });
    const ask = async (verb: string, body: unknown): Promise<ControlReply> =>
      ControlReplySchema.parse(JSON.parse(dec.decode(await bus.request(subjects.control(verb), enc.encode(JSON.stringify(body)), 2000))));

    it('a halt carried out: not ok, says it was done and that the audit write failed', async () => {
      const reply = await ask('halt', { v: 1, id: 'h1', operator: 'alice', args: { reason: 'drill' } });
      expect(calls).toEqual(['halt by alice']);
      expect(reply).toEqual({ v: 1, id: 'h1', ok: false, error: { code: 'UNAVAILABLE', message: 'done, but the audit write failed: record an audit entry: connection terminated' } });
    });

    it('a refused resume: keeps its refusal and does not say it was done', async () => {
      const reply = await ask('resume', { v: 1, id: 'r1', operator: 'bob', args: { reason: 'all clear' } });
      expect(reply).toEqual({
        v: 1,
        id: 'r1',
        ok: false,
        error: { code: 'REFUSED', message: 'the account is not halted: nothing resumed (and the audit write failed: record an audit entry: connection terminated)' },
      });
    });
  });
});
