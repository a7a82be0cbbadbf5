import { describe, expect, it } from 'vitest';
import type { Decisions } from '../../cli/decisions.js';
import { engineControlTarget } from '../../cli/engine-control.js';
import { createCounters } from '../../state/counters.js';
import { idleSupervisor, memoryRegistryHarness, onnxBytes, servableModel } from '../contract/model-registry.fixtures.js';

/**
 * `ctl model deploy direction-mlp 2` of a version the registry rejected (a retraining challenger
 * that lost) answered NOT_FOUND "model direction-mlp@2 was rejected": the operator was told a
 * version `ctl model list` had just shown did not exist. It is REFUSED, with the registry's reason.
 */
describe('sextant ctl model deploy of a rejected version', () => {
  it('is REFUSED saying it was rejected; production and the served model stay as they were', async () => {
    const { registry } = await memoryRegistryHarness();
    await registry.register(servableModel(), onnxBytes(1));
    await registry.register(servableModel({ parentVersion: 1 }), onnxBytes(2));
    await registry.promote('direction-mlp', 1, { actor: 'ops', reason: 'first' });
    await registry.reject('direction-mlp', 2, { actor: 'retrainer', reason: 'worse than production on the shadow window' });
    const swaps: string[] = [];
    const decisions = { swapTo: async (ref: string) => (swaps.push(ref), { name: 'direction-mlp', version: 0 }) } as unknown as Decisions;
    const control = (served: boolean) =>
      engineControlTarget({
        supervisor: idleSupervisor,
        counters: createCounters(),
        decisions,
        registry,
        known: { symbols: ['BTC/USDT'], strategies: ['dirmlp'] },
        ...(served ? { served: { ref: 'direction-mlp@production', timeframe: '1h' as const } } : {}),
      });

    const refused = { code: 'REFUSED', message: 'model direction-mlp@2 was rejected' };
    // An engine serving the alias, and one that does not (the registry's business only).
    await expect(Promise.resolve(control(true).deployModel({ name: 'direction-mlp', version: 2, alias: 'production' }, 'carol'))).rejects.toMatchObject(refused);
    await expect(Promise.resolve(control(false).deployModel({ name: 'direction-mlp', version: 2, alias: 'candidate' }, 'carol'))).rejects.toMatchObject(refused);
    // A version that does not exist is still NOT_FOUND.
    await expect(Promise.resolve(control(false).deployModel({ name: 'direction-mlp', version: 7, alias: 'production' }, 'carol'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await registry.get('direction-mlp@production')).version).toBe(1);
    expect(swaps).toEqual([]);
  });
});
