import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import type { Bus } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { labelOf, registerChampion, samplesOf } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtq', streamNamePrefix: 'RTQ_' };
const subjects = subjectsFor(cfgBase.prefix);
const OUTCOMES = streamName(cfgBase, 'OUTCOMES');
const config = RetrainingConfigSchema.parse({
  enabled: true,
  triggers: { everyLabels: 100, decayWindow: 10_000, adwinDelta: 0, psiWindow: 10_000 },
  training: { minSamples: 80, maxSamples: 100, epochs: 5, seed: 3 },
  shadow: { predictions: 60, margin: 0.05 },
  consumer: { batchSize: 16, ackWaitMs: 60_000 },
});

type World = { bus: Bus; store: TrainingSampleStore; registry: ModelRegistry };

/** A champion fitted on stored samples; with `window`, its production version reads a window of bars (a sequence model). */
async function world(window: boolean): Promise<World> {
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfgBase, { storage: 'memory' }));
  const store = createMemoryTrainingSampleStore();
  const registry = createMemoryModelRegistry({ bus, subjects, clock: { now: () => 0 } });
  const old = samplesOf(0, 200, -1, 1);
  await store.commit({ samples: old });
  const champ = await registerChampion(registry, old);
  if (window) {
    const { version: _v, aliases: _a, createdAt: _c, artifactSha256: _s, featureSpecHash: _h, ...rest } = champ;
    const seq = await registry.register({ ...rest, featureSpec: { ...champ.featureSpec, window: { steps: 8, stepMs: 3_600_000 } }, parentVersion: champ.version }, await registry.artifact(champ), { actor: 'test' });
    await registry.promote(seq.name, seq.version, { actor: 'test', reason: 'a sequence model in production' });
  }
  return { bus, store, registry };
}

describe('retraining actor with a sequence model in production', () => {
  it('idles and says why, where a one-row champion would retrain on the same labels', async () => {
    for (const window of [false, true]) {
      const w = await world(window);
      const warnings: string[] = [];
      const log: Logger = { ...silentLogger, warn: (_o: unknown, msg?: string) => void warnings.push(msg ?? ''), child: () => log } as Logger;
      const actor = await startRetrainingActor({ bus: w.bus, subjects, samples: w.store, registry: w.registry, clock: createLiveClock(), log, strategy: 's1', model: 'dir', config, streams: { OUTCOMES }, trainingThread: 'main' });
      try {
        const fresh = samplesOf(200, 120, 1, 2, 1, { name: 'dir', version: window ? 2 : 1 });
        await w.store.commit({ samples: fresh });
        for (const s of fresh) await w.bus.publish(subjects.label('s1', s.venue, s.symbol), encode(labelOf(s)), { msgId: `lbl:${s.id}` });
        if (window) {
          await until('the refusal is said', () => warnings.some((m) => m.includes('sequence model')), 30_000);
          await w.bus.flush();
          expect(actor.status().counters.trainings).toBe(0);
          expect(actor.status().phase).toBe('idle');
          expect(warnings.filter((m) => m.includes('sequence model'))).toHaveLength(1); // once per version
        } else {
          await until('a one-row champion retrains', () => actor.status().counters.trainings === 1, 60_000);
        }
      } finally {
        await actor.stop();
        await w.bus.close();
      }
    }
  });
});
