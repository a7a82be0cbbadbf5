import { describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import { ControlError, ControlErrorCode, ControlReplySchema } from '../../gateways/control/control-messages.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import { startControlServer } from '../../gateways/control/control-server.js';
import type { ControlTarget } from '../../gateways/control/control-target.js';
import { RiskLimitsError } from '../../models/risk/risk-limits.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { baseLimits, T0 } from '../risk/risk-fixtures.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const subjects = subjectsFor('sx');

/**
 * `sextant ctl limits set maxOrderNotional=2500` was audited with the patch and the limits after
 * it, never what they had been: an auditor could not tell from the trail that the cap went from
 * 100000 to 2500 (the first limits come from the configuration, never audited). Its audit row now
 * holds the limits before and after; the reply is still the limits in force.
 */
describe('control: limits set is audited with the limits before and after', () => {
  it('records before and after for a change, the error for a refused one, and replies with the limits', async () => {
    const bus = createMemoryBus();
    const clock = createSimulatedClock(T0);
    const audit = createMemoryAuditStore();
    const risk = await startRiskActor({ bus, subjects, store: createMemoryRiskStore(), clock, log: silentLogger }, { account: 'acc', limits: baseLimits, consume: false });
    const refusing = <T>(fn: () => Promise<T>): Promise<T> =>
      fn().catch((e: unknown) => {
        throw e instanceof RiskLimitsError ? new ControlError(ControlErrorCode.REFUSED, e.message) : e;
      });
    const target: ControlTarget = {
      status: () => risk.status(),
      halt: () => null,
      resume: () => null,
      reduce: () => null,
      getLimits: () => risk.getLimits(),
      setLimits: (patch) => refusing(() => risk.setLimits(patch)),
      listModels: async () => [],
      deployModel: async () => null,
      rollbackModel: async () => null,
      removeModelAlias: async () => null,
    };
    const server = startControlServer({ bus, subjects, target, audit, clock, log: silentLogger });
    const ask = async (id: string, patch: Record<string, unknown>): Promise<ControlReply> =>
      ControlReplySchema.parse(JSON.parse(dec.decode(await bus.request(subjects.control('limits.set'), enc.encode(JSON.stringify({ v: 1, id, operator: 'rita', args: { patch } })), 2000))));

    const ok = await ask('l1', { maxOrderNotional: 2500 });
    expect(ok).toMatchObject({ ok: true, result: { maxOrderNotional: 2500, allowlist: baseLimits.allowlist } });
    expect(await ask('l2', { maxOrderNotional: -1 })).toMatchObject({ ok: false, error: { code: 'REFUSED' } });
    expect(await ask('l1', { maxOrderNotional: 2500 })).toMatchObject({ ok: true, result: { maxOrderNotional: 2500 } }); // a retry

    const [retry, refused, changed] = await audit.recent(3);
    expect(changed).toMatchObject({ requestId: 'l1', operator: 'rita', verb: 'limits.set', outcome: 'ok', args: { patch: { maxOrderNotional: 2500 } } });
    expect(changed?.detail).toMatchObject({ before: { maxOrderNotional: 100_000, maxGrossNotional: 1_000_000 }, after: { maxOrderNotional: 2500, maxGrossNotional: 1_000_000 } });
    expect(refused).toMatchObject({ requestId: 'l2', outcome: 'error', detail: { code: 'REFUSED', message: expect.stringMatching(/maxOrderNotional/) } });
    expect(retry).toMatchObject({ requestId: 'l1', outcome: 'ok', detail: { repeatOf: 'l1', result: { maxOrderNotional: 2500 } } });
    expect(risk.getLimits().maxOrderNotional).toBe(2500);

    server.unsubscribe();
    await risk.stop();
    await bus.close();
  });
});
