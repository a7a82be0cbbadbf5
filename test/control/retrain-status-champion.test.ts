import { describe, expect, it } from 'vitest';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import type { RetrainingStatus } from '../../actors/retraining-status.js';
import { retrainingControl } from '../../cli/engine-control.js';
import { ModelNotFoundError } from '../../models/registry/model-registry.js';
import type { ModelRegistry, ModelVersion } from '../../models/registry/model-registry.js';
import { emptyCounters } from '../../models/retraining/retraining-snapshot.js';

/** A retraining actor that has not scored a label yet: it has not loaded its champion. */
const fresh: RetrainingStatus = {
  phase: 'idle',
  model: 'direction-mlp',
  champion: null,
  challenger: null,
  trigger: null,
  lastOutcome: null,
  lastShadow: null,
  lastRollback: null,
  pauseReason: null,
  pausedBy: null,
  resumedBy: null,
  resumeReason: null,
  cycles: 0,
  shadow: null,
  watch: null,
  anchor: null,
  triggers: { labelsSinceTrain: 0, rollingLogLoss: null, rollingHitRate: null, maxPsi: null, adwinWidth: 0 },
  counters: emptyCounters(),
};

const actor = (s: RetrainingStatus): Pick<RetrainingActorHandle, 'trigger' | 'pause' | 'resume' | 'status'> => ({
  status: () => s,
  trigger: () => ({ accepted: true, reason: 'retraining triggered', status: s }),
  pause: () => s,
  resume: () => s,
});

const registryWith = (production: number | undefined): Pick<ModelRegistry, 'get'> => ({
  get: (ref) => {
    if (production === undefined || ref !== 'direction-mlp@production') return Promise.reject(new ModelNotFoundError(`no model ${ref}`));
    return Promise.resolve({ name: 'direction-mlp', version: production } as unknown as ModelVersion);
  },
});

describe('sextant ctl retrain status: the champion is the production model', () => {
  it('names the production model the engine serves as the champion, not null', async () => {
    const c = retrainingControl(actor(fresh), registryWith(3));
    await expect(c.status()).resolves.toMatchObject({ champion: { name: 'direction-mlp', version: 3 }, counters: { scored: 0 } });
    await expect(c.trigger({ reason: 'x' }, 'op')).resolves.toMatchObject({ champion: { name: 'direction-mlp', version: 3 } });
    await expect(c.pause({ reason: 'x' }, 'op')).resolves.toMatchObject({ champion: { name: 'direction-mlp', version: 3 } });
  });

  it('names the version an operator deployed since, not the one the actor loaded before', async () => {
    const loaded = { ...fresh, champion: { name: 'direction-mlp', version: 7 } };
    await expect(retrainingControl(actor(loaded), registryWith(3)).status()).resolves.toMatchObject({ champion: { name: 'direction-mlp', version: 3 } });
    await expect(retrainingControl(actor(loaded), registryWith(7)).status()).resolves.toMatchObject({ champion: { name: 'direction-mlp', version: 7 } });
  });

  it("falls back to the actor's champion when the registry has no production model or fails", async () => {
    const loaded = { ...fresh, champion: { name: 'direction-mlp', version: 7 } };
    await expect(retrainingControl(actor(fresh), registryWith(undefined)).status()).resolves.toMatchObject({ champion: null });
    const down: Pick<ModelRegistry, 'get'> = { get: () => Promise.reject(new Error('connection refused')) };
    await expect(retrainingControl(actor(loaded), down).status()).resolves.toMatchObject({ champion: { name: 'direction-mlp', version: 7 } });
  });
});
