import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import type { TrainingSample } from '../../state/training-sample-store.js';
import { subjectsFor } from '../../streams/subjects.js';
import { NoRollbackTargetError } from '../../models/registry/registry-errors.js';
import { until } from '../labeling/harness.js';
import { publishLabels, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtanchor', streamNamePrefix: 'RTANCHOR_' };

const configOf = (anchor: boolean): ReturnType<typeof RetrainingConfigSchema.parse> =>
  RetrainingConfigSchema.parse({
    enabled: true,
    triggers: { everyLabels: 100, decayWindow: 10_000, adwinDelta: 0, psiWindow: 10_000 },
    training: { minSamples: 80, maxSamples: 100, epochs: 20, seed: 3 },
    shadow: { predictions: 60, margin: 0.05, minT: 0 },
    rollback: { watchLabels: 40, watchMs: 0, minLabels: 40, margin: 0, minT: 0, anchor },
    consumer: { batchSize: 16, ackWaitMs: 60_000 },
  });

/**
 * v1 is trained on the old regime (sign −1). The regime flips (+1): v2 is promoted over v1 and
 * kept, then v3 over v2. The old regime returns during v3's watch: v3 is worse than v2 there, and
 * both are far worse than v1, where the chain started. A rollback steps back one link, to v2; with
 * `rollback.anchor` production goes back to v1.
 */
describe('retraining actor: the chain anchor', () => {
  for (const anchor of [true, false]) {
    it(`${anchor ? 'goes back to the model the chain of promotions started from' : 'without rollback.anchor, steps back one link only'}`, async () => {
      const cfg = { ...cfgBase, prefix: `${cfgBase.prefix}${String(anchor)}` };
      const subjects = subjectsFor(cfg.prefix);
      const w = await retrainingWorld(cfg, subjects);
      const actor = await startWorldActor(w, cfg, subjects, configOf(anchor));
      let published = 0;
      const publish = async (samples: readonly TrainingSample[]): Promise<void> => {
        await publishLabels(w, subjects, samples);
        published += samples.length;
        await until(`${published} labels`, () => actor.status().counters.labels === published, 60_000);
        await actor.idle();
      };
      try {
        // The regime flips (+1): v2 is promoted over v1 and kept through its 40-label watch, then
        // v3, fine-tuned from v2 on the same regime, is promoted over v2 on the 326th label (each
        // shadow purges its first 3 labels, whose horizons overlap the challenger's training labels).
        await publish(samplesOf(200, 326, 1, 2));
        const chain = actor.status();
        expect(chain.counters).toMatchObject({ promotions: 2, rollbacks: 0 });
        expect(chain.anchor).toEqual({ name: 'dir', version: 1 }); // its own promotions kept it
        expect(chain.watch).toMatchObject({ version: 3, previousVersion: 2, n: 0 });
        expect(chain.watch?.anchor?.champion).toEqual(anchor ? { name: 'dir', version: 1 } : undefined);
        // The old regime returns: v3 is worse than v1 on the labels of its watch.
        await publish(samplesOf(526, 60, -1, 5));
        const end = actor.status();
        const production = await w.registry.get('dir@production');
        if (anchor) {
          expect(end.counters.rollbacks).toBe(1);
          expect(production.version).toBe(1);
          expect(end.anchor).toEqual({ name: 'dir', version: 1 });
          expect(end.watch).toBeNull();
          // Walked back through the registry's rollbacks: the stack is where v1 left it (nothing
          // before the first champion), not a promotion of v1 over v3 that a rollback would undo.
          await expect(w.registry.rollback('dir', { actor: 'operator', reason: 'test' })).rejects.toBeInstanceOf(NoRollbackTargetError);
        } else {
          // One step back, to v2, as bad on this regime as v3: never to where the chain started.
          expect(end.counters.rollbacks).toBe(1);
          expect(production.version).toBe(2);
        }
      } finally {
        await actor.stop();
        await w.bus.close();
      }
    }, 120_000);
  }

  it('a production change the actor did not make starts a new chain there, and the anchor survives a restart', async () => {
    const cfg = { ...cfgBase, prefix: `${cfgBase.prefix}op` };
    const subjects = subjectsFor(cfg.prefix);
    const w = await retrainingWorld(cfg, subjects);
    let actor = await startWorldActor(w, cfg, subjects, configOf(true));
    const samples = samplesOf(200, 346, 1, 2);
    const publish = (from: number, to: number): Promise<void> => publishLabels(w, subjects, samples.slice(from, to));
    try {
      await publish(0, 326);
      await until('326 labels', () => actor.status().counters.labels === 326, 60_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ anchor: { name: 'dir', version: 1 }, watch: { version: 3, previousVersion: 2 } });
      // An operator puts v2 back in production: the watch of v3 ends, and a chain would start at v2.
      await w.registry.promote('dir', 2, { actor: 'operator', reason: 'test' });
      await publish(326, 336);
      await until('336 labels', () => actor.status().counters.labels === 336, 60_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ anchor: { name: 'dir', version: 2 }, champion: { version: 2 }, watch: null });
      await actor.stop();
      actor = await startWorldActor(w, cfg, subjects, configOf(true));
      await publish(336, 346);
      await until('346 labels', () => actor.status().counters.labels === 346, 60_000);
      await actor.idle();
      expect(actor.status().anchor).toEqual({ name: 'dir', version: 2 });
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  }, 120_000);
});
