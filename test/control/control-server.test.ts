import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlError, ControlErrorCode, ControlReplySchema } from '../../gateways/control/control-messages.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import { startControlServer } from '../../gateways/control/control-server.js';
import type { ControlTarget } from '../../gateways/control/control-target.js';
import type { AuditStore } from '../../state/audit-store.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createPgAuditStore } from '../../state/pg-audit-store.js';
import type { Bus } from '../../streams/bus.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dropSchema } from '../support/pg.js';

const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `ctl_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const subjects = subjectsFor('sx');
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A target that records what it was asked and keeps a little state, like the risk actor would. */
function recordingTarget(): ControlTarget & { calls: string[]; halted: string[] } {
  const calls: string[] = [];
  const halted: string[] = [];
  let limits: Record<string, unknown> = { maxOrderQty: 10 };
  return {
    calls,
    halted,
    status: () => ({ state: halted.length > 0 ? 'HALTED' : 'ACTIVE' }),
    halt: (a, op) => {
      calls.push(`halt ${JSON.stringify(a.target)} by ${op}`);
      halted.push(a.target.scope);
      return { state: 'HALTED' };
    },
    resume: (a, op) => {
      calls.push(`resume ${a.target.scope} by ${op}`);
      halted.length = 0;
      return { state: 'ACTIVE' };
    },
    reduce: (a, op) => {
      calls.push(`reduce (${a.reason}) by ${op}`);
      return { state: 'REDUCING' };
    },
    getLimits: () => limits,
    setLimits: (patch) => {
      if (typeof patch['maxOrderQty'] !== 'number' || patch['maxOrderQty'] <= 0) throw new ControlError(ControlErrorCode.REFUSED, 'maxOrderQty: must be > 0');
      limits = { ...limits, ...patch };
      return limits;
    },
    listModels: async () => [],
    deployModel: async () => {
      throw new ControlError(ControlErrorCode.NOT_FOUND, 'no model m@7');
    },
    rollbackModel: async () => {
      throw new Error('registry connection lost');
    },
    removeModelAlias: async () => ({}),
  };
}

describe('control server (memory bus, PostgreSQL audit)', () => {
  let bus: Bus;
  let audit: AuditStore;
  const target = recordingTarget();
  const clock = createSimulatedClock(1_700_000_000_000);
  beforeAll(async () => {
    bus = createMemoryBus();
    audit = await createPgAuditStore({ url, schema });
    startControlServer({ bus, subjects, target, audit, clock, log: silentLogger });
  });
  afterAll(async () => {
    await audit.close();
    await bus.close();
    await dropSchema(url, schema);
  });

  const ask = async (verb: string, body: unknown): Promise<ControlReply> =>
    ControlReplySchema.parse(JSON.parse(dec.decode(await bus.request(subjects.control(verb), enc.encode(JSON.stringify(body)), 2000))));

  it('acts, replies with the result and audits who did what', async () => {
    const reply = await ask('halt', { v: 1, id: 'r1', operator: 'alice', args: { target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'exchange incident' } });
    expect(reply).toEqual({ v: 1, id: 'r1', ok: true, result: { state: 'HALTED' } });
    expect(target.calls).toEqual(['halt {"scope":"symbol","value":"BTC/USDT"} by alice']);
    const [last] = await audit.recent(1);
    expect(last).toEqual({
      requestId: 'r1',
      operator: 'alice',
      verb: 'halt',
      args: { target: { scope: 'symbol', value: 'BTC/USDT' }, reason: 'exchange incident' },
      outcome: 'ok',
      detail: { state: 'HALTED' },
      at: 1_700_000_000_000,
    });
  });

  it('defaults a halt to everything and refuses one without a reason, acting on nothing', async () => {
    const before = target.calls.length;
    const refused = await ask('halt', { v: 1, id: 'r2', operator: 'bob', args: {} });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('BAD_REQUEST');
      expect(refused.error.message).toContain('reason');
    }
    expect(target.calls.length).toBe(before);
    const ok = await ask('halt', { v: 1, id: 'r3', operator: 'bob', args: { reason: 'drill' } });
    expect(ok.ok).toBe(true);
    expect(target.calls.at(-1)).toBe('halt {"scope":"all"} by bob');
  });

  it('puts the account to reduce-only with a reason, refusing a scope or no reason', async () => {
    const before = target.calls.length;
    for (const [id, args] of [['x1', {}], ['x2', { reason: 'flatten', target: { scope: 'symbol', value: 'BTC/USDT' } }], ['x2b', { reason: 'flatten', flatten: 'yes' }]] as const) {
      const refused = await ask('reduce', { v: 1, id, operator: 'bob', args });
      expect(refused).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(target.calls.length).toBe(before);
    expect(await ask('reduce', { v: 1, id: 'x3', operator: 'bob', args: { reason: 'flatten before the auction' } })).toEqual({ v: 1, id: 'x3', ok: true, result: { state: 'REDUCING' } });
    expect(target.calls.at(-1)).toBe('reduce (flatten before the auction) by bob');
    const [last] = await audit.recent(1);
    expect(last).toMatchObject({ requestId: 'x3', operator: 'bob', verb: 'reduce', outcome: 'ok' });
  });

  it('answers malformed JSON, unknown verbs, target refusals and target failures with coded errors, all audited', async () => {
    const raw = ControlReplySchema.parse(JSON.parse(dec.decode(await bus.request(subjects.control('status'), enc.encode('{nope'), 2000))));
    expect(raw).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: 'request is not valid JSON' } });
    expect(await ask('launch', { v: 1, id: 'u1', operator: 'eve', args: {} })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_VERB' } });
    expect(await ask('limits.set', { v: 1, id: 'l1', operator: 'eve', args: { patch: { maxOrderQty: -1 } } })).toMatchObject({
      ok: false,
      error: { code: 'REFUSED', message: 'maxOrderQty: must be > 0' },
    });
    expect(await ask('model.deploy', { v: 1, id: 'd1', operator: 'eve', args: { name: 'm', version: 7 } })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await ask('model.rollback', { v: 1, id: 'b1', operator: 'eve', args: { name: 'm' } })).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL', message: 'registry connection lost' },
    });
    expect(await ask('limits.get', { v: 1, id: 'g1', operator: 'eve', args: {} })).toEqual({ v: 1, id: 'g1', ok: true, result: { maxOrderQty: 10 } });
    const recent = await audit.recent(6);
    expect(recent.map((e) => [e.requestId, e.verb, e.outcome])).toEqual([
      ['g1', 'limits.get', 'ok'],
      ['b1', 'model.rollback', 'error'],
      ['d1', 'model.deploy', 'error'],
      ['l1', 'limits.set', 'error'],
      ['u1', 'launch', 'error'],
      ['?', 'status', 'error'],
    ]);
  });

  it('carries out a changing request once per request id: a retry gets the same answer; the id reused for another request is refused', async () => {
    let rollbacks = 0;
    let deploys = 0;
    let gate: Promise<void> = Promise.resolve();
    const own = createMemoryBus();
    startControlServer({
      bus: own,
      subjects,
      audit,
      clock,
      log: silentLogger,
      target: {
        ...recordingTarget(),
        rollbackModel: async (a) => {
          await gate;
          rollbacks++;
          return { name: a.name, version: 10 - rollbacks };
        },
        deployModel: async () => {
          deploys++;
          if (deploys === 1) throw new ControlError(ControlErrorCode.UNAVAILABLE, 'registry busy');
          return { name: 'm', version: 7 };
        },
      },
    });
    const askOwn = async (verb: string, body: unknown): Promise<ControlReply> =>
      ControlReplySchema.parse(JSON.parse(dec.decode(await own.request(subjects.control(verb), enc.encode(JSON.stringify(body)), 2000))));
    const rollback = { v: 1, id: 'rb-1', operator: 'olga', args: { name: 'm' } };
    const first = await askOwn('model.rollback', rollback);
    expect(first).toEqual({ v: 1, id: 'rb-1', ok: true, result: { name: 'm', version: 9 } });
    // The reply was lost and the client asks again: one rollback, not two.
    expect(await askOwn('model.rollback', rollback)).toEqual(first);
    expect(rollbacks).toBe(1);
    const [repeat] = await audit.recent(1);
    expect(repeat).toMatchObject({ requestId: 'rb-1', verb: 'model.rollback', outcome: 'ok', detail: { repeatOf: 'rb-1', result: { name: 'm', version: 9 } } });
    // Two copies at once (a retry before the first answer): carried out once, both answered alike.
    let open = (): void => {};
    gate = new Promise<void>((r) => (open = r));
    const twice = { ...rollback, id: 'rb-2' };
    const both = Promise.all([askOwn('model.rollback', twice), askOwn('model.rollback', twice)]);
    open();
    const [a, b] = await both;
    expect(a).toEqual({ v: 1, id: 'rb-2', ok: true, result: { name: 'm', version: 8 } });
    expect(b).toEqual(a);
    expect(rollbacks).toBe(2);
    // The same id for another request: refused, nothing done.
    expect(await askOwn('model.rollback', { ...rollback, args: { name: 'other' } })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/rb-1 was used for another request/) } });
    expect(rollbacks).toBe(2);
    // Another operator's request with that id is its own.
    expect(await askOwn('model.rollback', { ...rollback, operator: 'piet' })).toMatchObject({ ok: true, result: { version: 7 } });
    // A failed request is not remembered: its retry is carried out.
    const deploy = { v: 1, id: 'dp-1', operator: 'olga', args: { name: 'm', version: 7 } };
    expect(await askOwn('model.deploy', deploy)).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(await askOwn('model.deploy', deploy)).toMatchObject({ ok: true, result: { name: 'm', version: 7 } });
    expect(deploys).toBe(2);
    // Reading verbs are not remembered (a status asked again is answered anew).
    expect(await askOwn('status', { v: 1, id: 'st', operator: 'olga', args: {} })).toMatchObject({ ok: true });
    expect(await askOwn('status', { v: 1, id: 'st', operator: 'olga', args: {} })).toMatchObject({ ok: true });
    await own.close();
  });

  it('refuses extra fields and oversize requests', async () => {
    expect(await ask('status', { v: 1, id: 's1', operator: 'x', args: {}, sudo: true })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const big = await bus.request(subjects.control('status'), enc.encode(JSON.stringify({ v: 1, id: 's2', operator: 'x', args: { pad: 'x'.repeat(70_000) } })), 2000);
    expect(JSON.parse(dec.decode(big))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('refuses a blank reason for halt, reduce, retrain trigger and pause before the target, as sextant ctl does', async () => {
    const verbs = [['halt', {}], ['reduce', {}], ['retrain.trigger', {}], ['retrain.pause', {}]] as const;
    for (const [verb, extra] of verbs) {
      const r = await ask(verb, { v: 1, id: `blank-${verb}`, operator: 'x', args: { ...extra, reason: ' \t ' } });
      expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/reason.*blank: say why/) } });
    }
  });

  it('takes a model deploy\'s or rollback\'s reason, refusing an empty, blank or overlong one before the target', async () => {
    for (const [i, reason] of ['', '  ', 'x'.repeat(501)].entries()) {
      const deploy = await ask('model.deploy', { v: 1, id: `mr-d${i}`, operator: 'x', args: { name: 'm', version: 7, reason } });
      expect(deploy).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/reason/) } });
      const rollback = await ask('model.rollback', { v: 1, id: `mr-r${i}`, operator: 'x', args: { name: 'm', reason } });
      expect(rollback).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/reason/) } });
    }
    // Reaches the target (which finds no m@7): the reason is an argument it takes.
    expect(await ask('model.deploy', { v: 1, id: 'mr-ok', operator: 'x', args: { name: 'm', version: 7, reason: 'x'.repeat(500) } })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
