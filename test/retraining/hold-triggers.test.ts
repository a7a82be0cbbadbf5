import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import type { TrainingSample } from '../../state/training-sample-store.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { HOUR, publishLabels, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rthold', streamNamePrefix: 'RTHOLD_' };

const configOf = (holdTriggers: boolean, watchMs = 0): ReturnType<typeof RetrainingConfigSchema.parse> =>
  RetrainingConfigSchema.parse({
    enabled: true,
    triggers: { everyLabels: 100, decayWindow: 10_000, adwinDelta: 0, psiWindow: 10_000 },
    training: { minSamples: 80, maxSamples: 100, epochs: 20, seed: 3 },
    shadow: { predictions: 60, margin: 0.05, minT: 0 },
    rollback: { watchLabels: 150, watchMs, minLabels: 50, margin: 0.02, minT: 2, holdTriggers },
    consumer: { batchSize: 16, ackWaitMs: 60_000 },
  });

describe('retraining actor: rollback.holdTriggers', () => {
  for (const hold of [true, false]) {
    it(`${hold ? 'holds' : 'does not hold'} the schedule trigger while a promoted model is watched`, async () => {
      const cfg = { ...cfgBase, prefix: `${cfgBase.prefix}${String(hold)}` };
      const ownSubjects = subjectsFor(cfg.prefix);
      const w: RetrainingWorld = await retrainingWorld(cfg, ownSubjects);
      const actor = await startWorldActor(w, cfg, ownSubjects, configOf(hold));
      const publish = (samples: readonly TrainingSample[]): Promise<void> => publishLabels(w, ownSubjects, samples);
      try {
        // The regime flips: the schedule fires at the 100th label, the challenger is shadowed on the
        // next 60 and promoted (it beats the old-regime champion by far more than the margin).
        const fresh = samplesOf(200, 400, 1, 2);
        await publish(fresh.slice(0, 170));
        await until('170 labels', () => actor.status().counters.labels === 170, 60_000);
        await actor.idle();
        expect(actor.status()).toMatchObject({ phase: 'idle', counters: { trainings: 1, promotions: 1 }, watch: { version: 2, previousVersion: 1 } });
        // 100 labels after that training the schedule is due again, inside the 150-label watch.
        await publish(fresh.slice(170, 280));
        await until('280 labels', () => actor.status().counters.labels === 280, 60_000);
        await actor.idle();
        const during = actor.status();
        expect(during.watch).not.toBeNull();
        if (hold) expect(during).toMatchObject({ phase: 'idle', counters: { trainings: 1 } });
        else expect(during.counters.trainings).toBe(2);
        if (!hold) return;
        // Once the watch clears (the promoted model is as good as the one it replaced), the held trigger fires.
        await publish(fresh.slice(280, 340));
        await until('340 labels', () => actor.status().counters.labels === 340, 60_000);
        await actor.idle();
        expect(actor.status().counters.rollbacks).toBe(0);
        expect(actor.status().counters.trainings).toBe(2);
      } finally {
        await actor.stop();
        await w.bus.close();
      }
    }, 120_000);
  }

  it('watches for watchMs of event time past watchLabels (and holds the trigger meanwhile), then clears', async () => {
    const cfg = { ...cfgBase, prefix: `${cfgBase.prefix}ms` };
    const ownSubjects = subjectsFor(cfg.prefix);
    const w: RetrainingWorld = await retrainingWorld(cfg, ownSubjects);
    // Labels come an hour apart: 150 labels are 150 h, the watch lasts 10 days (240 h).
    const actor = await startWorldActor(w, cfg, ownSubjects, configOf(true, 240 * HOUR));
    const publish = (samples: readonly TrainingSample[]): Promise<void> => publishLabels(w, ownSubjects, samples);
    const upTo = async (n: number): Promise<void> => {
      await until(`${n} labels`, () => actor.status().counters.labels === n, 60_000);
      await actor.idle();
    };
    try {
      const fresh = samplesOf(200, 500, 1, 2);
      await publish(fresh.slice(0, 170));
      await upTo(170);
      const promoted = actor.status().watch;
      expect(promoted).toMatchObject({ version: 2, previousVersion: 1 });
      const since = promoted?.since ?? Number.NaN;
      // Promoted on a label of this stream: its event time, not a clock's.
      expect(fresh.some((s) => s.labeledTs === since)).toBe(true);
      // Past 150 labels of watch (the count alone would have cleared it) but short of 240 h.
      await publish(fresh.slice(170, 370));
      await upTo(370);
      const during = actor.status();
      expect(during.watch).toMatchObject({ version: 2, since, lastTs: fresh[369]?.labeledTs });
      expect(during.watch?.n).toBeGreaterThan(150);
      expect(during.counters.trainings).toBe(1);
      // 240 h after the promotion the watch clears and the held trigger fires.
      await publish(fresh.slice(370, 500));
      await upTo(500);
      const after = actor.status();
      expect(after.counters.rollbacks).toBe(0);
      expect(after.counters.trainings).toBe(2);
      expect(after.watch === null || after.watch.version !== 2).toBe(true);
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  }, 120_000);
});
