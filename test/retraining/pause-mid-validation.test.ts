import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf } from './fixtures.js';

const cfg = { ...loadConfig(), prefix: 'rtpausemid', streamNamePrefix: 'RTPAUSEMID_' };
const subjects = subjectsFor(cfg.prefix);

describe('retraining actor: a pause while a fitted challenger is registered and validated', () => {
  for (const when of ['training', 'validating'] as const) {
    it(`abandons that challenger, as the pause says: no shadow run on it, and its candidate is rejected (paused while ${when})`, async () => {
      const w = await retrainingWorld(cfg, subjects);
      // The operator's pause lands while the challenger is being registered (after its fit), or
      // while its artifact is loaded for the parity check (the champion is the first model loaded).
      const registry: ModelRegistry = {
        ...w.registry,
        register: async (m, bytes, o) => {
          if (when === 'training') actor.pause('inspection', 'alice');
          return w.registry.register(m, bytes, o);
        },
      };
      let loads = 0;
      const actor: RetrainingActorHandle = await startRetrainingActor({
        bus: w.bus, subjects, samples: w.store, registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config: RETRAINING_TEST_CONFIG,
        streams: { OUTCOMES: streamName(cfg, 'OUTCOMES') }, trainingThread: 'main',
        loadRuntime: (bytes) => {
          if (++loads === 2 && when === 'validating') actor.pause('inspection', 'alice');
          return createOnnxRuntime({ bytes });
        },
      });
      const a = actor;
      try {
        await publishLabels(w, subjects, samplesOf(200, 110, 1, 2));
        await until('110 labels', () => a.status().counters.labels === 110, 60_000);
        await a.idle();
        expect(a.status()).toMatchObject({ phase: 'paused', pauseReason: 'inspection', shadow: null, lastOutcome: `paused while ${when}: cycle abandoned` });
        const v2 = await w.registry.get('dir@2');
        expect(v2.aliases).toEqual([]); // not left as `candidate` for nobody to judge
        await expect(w.registry.promote('dir', 2, { actor: 'test', reason: 'test' })).rejects.toThrow(/rejected/);
        a.resume('', 'alice');
        await a.idle();
        expect(a.status()).toMatchObject({ phase: 'idle', shadow: null });
      } finally {
        await a.stop();
        await w.bus.close();
      }
    }, 60_000);
  }
});
