import { describe, expect, it } from 'vitest';
import { startSupervisor } from '../../../actors/supervisor.js';
import { durableFor } from '../../../cli/engine.js';
import { engineProbes } from '../../../cli/gateway-runtime.js';
import { actorOptions, BTC, makeBars, makeWorld, publishAll, settle, until } from '../../actors/harness.js';

describe('readiness of a stopping engine', () => {
  it('says the asset actors are not consuming once the supervisor stopped them (sextant run stops the engine before the gateway)', async () => {
    const w = await makeWorld();
    const { asset: _asset, durable: _durable, ...actor } = actorOptions(w.cfg);
    const supervisor = startSupervisor(w.deps, { assets: [BTC], actor, durableFor, restartMinMs: 100, restartMaxMs: 1000, maxRestarts: 3 });
    await publishAll(w, makeBars(3));
    await until(() => w.counters.accepted === 3, 'bars accepted');
    await settle();
    const probes = engineProbes(w.cfg, { bus: w.bus, features: w.features, timeseries: w.timeseries }, { supervisor });
    await expect(probes['consumers']?.()).resolves.toBeUndefined();

    // Not ready from the moment the engine starts stopping (its checkpoints flush meanwhile), and after.
    const stopping = supervisor.stop();
    expect(supervisor.status().map((s) => s.state)).toEqual(['stopped']);
    await expect(probes['consumers']?.()).rejects.toThrow(/not consuming/);
    await stopping;
    await expect(probes['consumers']?.()).rejects.toThrow(/not consuming/);
  });
});
