import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { encode } from '../../streams/codec.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { labelOf, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtwa', streamNamePrefix: 'RTWA_' };
const subjects = subjectsFor(cfgBase.prefix);

describe('retraining actor with retraining.training.warmStart', () => {
  it('fits its challenger from the production model\'s artifact, on that model\'s standardisation, and records the lineage', async () => {
    const world = await retrainingWorld(cfgBase, subjects, { storeChampionSamples: false });
    const { bus, store, registry, champion } = world;
    const config = RetrainingConfigSchema.parse({
      enabled: true,
      triggers: { everyLabels: 100, decayWindow: 10_000, adwinDelta: 0, psiWindow: 10_000 },
      training: { minSamples: 80, maxSamples: 100, epochs: 10, seed: 3, warmStart: { enabled: true, learningRate: 0.01 } },
      shadow: { predictions: 1000, margin: 0.05 },
      consumer: { batchSize: 16, ackWaitMs: 60_000 },
    });
    const actor = await startWorldActor(world, cfgBase, subjects, config);
    try {
      const fresh = samplesOf(200, 100, 1, 2);
      await store.commit({ samples: fresh });
      for (const s of fresh) await bus.publish(subjects.label('s1', s.venue, s.symbol), encode(labelOf(s)), { msgId: `lbl:${s.id}` });
      await until('every label applied', () => actor.status().counters.labels === 100, 60_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 }, counters: { trainings: 1 } });
      const v2 = await registry.get('dir@2');
      expect(v2.details['retraining']).toMatchObject({ warmStart: { from: champion.version, learningRate: 0.01 } });
      expect(v2.featureSpec.mean).toEqual(champion.featureSpec.mean);
      expect(v2.featureSpec.std).toEqual(champion.featureSpec.std);
      expect(v2.parentVersion).toBe(champion.version);
    } finally {
      await actor.stop();
      await bus.close();
    }
  }, 60_000);
});
