import { describe, expect, it } from 'vitest';
import type { Decisions } from '../../cli/decisions.js';
import { engineControlTarget } from '../../cli/engine-control.js';
import { ControlReplySchema } from '../../gateways/control/control-messages.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import { startControlServer } from '../../gateways/control/control-server.js';
import { createCounters } from '../../state/counters.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryAuditStore } from '../../state/memory-audit-store.js';
import { idleSupervisor, memoryRegistryHarness, onnxBytes, servableModel } from '../contract/model-registry.fixtures.js';

/**
 * A deploy or rollback the registry committed but could not announce (the bus down:
 * `AnnouncementPendingError`) was answered REFUSED and audited as an error, though the alias had
 * moved: the operator was told it failed when it had taken effect. It is ok now, with
 * `announced: false` and a warning, and audited as what it was.
 */
describe('sextant ctl model deploy and rollback committed but not announced', () => {
  it('answer ok with announced false and a warning, audited ok, and this engine serves the version', async () => {
    const outage = { on: false };
    const { bus, subjects, clock, registry } = await memoryRegistryHarness(outage);
    await registry.register(servableModel(), onnxBytes(1));
    await registry.register(servableModel({ parentVersion: 1 }), onnxBytes(2));
    await registry.register(servableModel({ parentVersion: 2 }), onnxBytes(3));
    await registry.promote('direction-mlp', 1, { actor: 'ops', reason: 'first' });
    const swaps: string[] = [];
    const decisions = { swapTo: async (ref: string) => (swaps.push(ref), { name: 'direction-mlp', version: 0 }) } as unknown as Decisions;
    const target = engineControlTarget({
      supervisor: idleSupervisor,
      counters: createCounters(),
      decisions,
      registry,
      known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] },
      served: { ref: 'direction-mlp@production', timeframe: '1h' },
    });
    const audit = createMemoryAuditStore();
    startControlServer({ bus, subjects, target, audit, clock, log: silentLogger });
    const request = async (verb: 'model.deploy' | 'model.rollback', id: string, args: object): Promise<ControlReply> =>
      ControlReplySchema.parse(JSON.parse(new TextDecoder().decode(await bus.request(subjects.control(verb), new TextEncoder().encode(JSON.stringify({ v: 1, id, operator: 'carol', args: { name: 'direction-mlp', ...args } })), 2000))));

    outage.on = true;
    const deployed = await request('model.deploy', 'd2', { version: 2 });
    expect(deployed).toMatchObject({ ok: true, result: { event: 'promoted', version: 2, previousVersion: 1, announced: false } });
    if (!deployed.ok) throw new Error('unreachable');
    expect(deployed.result).toMatchObject({
      warning: expect.stringMatching(/^direction-mlp@production points at version 2 \(committed\), but the promoted event is not announced yet: bus down .*This engine serves it; other engines following direction-mlp@production keep what they serve until the event is published.*Do not repeat the deploy\.$/),
    });
    expect((await registry.get('direction-mlp@production')).version).toBe(2);
    expect(swaps).toEqual(['direction-mlp@production']);
    expect((await audit.recent(1))[0]).toMatchObject({ verb: 'model.deploy', outcome: 'ok', detail: deployed.result });
    // A retry of the same request (a lost reply) gets the same answer and moves nothing.
    expect(await request('model.deploy', 'd2', { version: 2 })).toEqual(deployed);

    const rolledBack = await request('model.rollback', 'r1', {});
    expect(rolledBack).toMatchObject({ ok: true, result: { event: 'rolled_back', version: 1, previousVersion: 2, announced: false, warning: expect.stringContaining('Do not repeat the rollback.') } });
    if (!rolledBack.ok) throw new Error('unreachable');
    expect((await registry.get('direction-mlp@production')).version).toBe(1);
    expect((await audit.recent(1))[0]).toMatchObject({ verb: 'model.rollback', outcome: 'ok', detail: rolledBack.result });

    outage.on = false;
    const announced = await request('model.deploy', 'd3', { version: 3 });
    expect(announced).toMatchObject({ ok: true, result: { event: 'promoted', version: 3, announced: true } });
    if (!announced.ok) throw new Error('unreachable');
    expect(announced.result).not.toHaveProperty('warning');
    await bus.close();
  });
});
