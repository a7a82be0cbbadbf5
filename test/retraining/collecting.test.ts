import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import type { CountQuery, SampleQuery, TrainingSample, TrainingSampleStore } from '../../state/training-sample-store.js';
import { encode } from '../../streams/codec.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { HOUR, labelOf, retrainingWorld, samplesOf, startWorldActor, T0 } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtc', streamNamePrefix: 'RTC_' };
const subjects = subjectsFor(cfgBase.prefix);

const COLLECTING = RetrainingConfigSchema.parse({
  enabled: true,
  triggers: { everyLabels: 40, decayWindow: 10_000, adwinDelta: 0, psiWindow: 10_000 },
  training: { minSamples: 80, maxSamples: 100, epochs: 10, seed: 3, validationFraction: 0.3 },
  shadow: { predictions: 1000, margin: 0.05 },
  consumer: { batchSize: 16, ackWaitMs: 60_000 },
});

/** Stores each sample, then publishes its label, one at a time (the labeling actor's order). */
async function commitAndLabel(world: Awaited<ReturnType<typeof retrainingWorld>>, samples: readonly TrainingSample[]): Promise<void> {
  for (const s of samples) {
    await world.store.commit({ samples: [s] });
    await world.bus.publish(subjects.label('s1', s.venue, s.symbol), encode(labelOf(s)), { msgId: `lbl:${s.id}` });
  }
}

describe('retraining actor: a cycle that starts with too few samples', () => {
  it('keeps collecting until later labels bring enough, then fits on the samples labeled before that label', async () => {
    // No stored samples: the champion's training set is not in the store (a model trained on bars).
    const world = await retrainingWorld(cfgBase, subjects, { storeChampionSamples: false });
    const { bus, store, registry } = world;
    // Reads and counts of the strategy's samples from time 0 (the others are bounded: a batch's
    // labels, the champion's training range for the drift reference).
    const fullReads: SampleQuery[] = [];
    const counted: CountQuery[] = [];
    const watched: TrainingSampleStore = {
      ...store,
      samples: (q) => {
        if (q.from === undefined) fullReads.push(q);
        return store.samples(q);
      },
      countSamples: (q) => {
        if (q.from === undefined) counted.push(q);
        return store.countSamples(q);
      },
    };
    const actor = await startWorldActor({ ...world, store: watched }, cfgBase, subjects, COLLECTING);
    try {
      const fresh = samplesOf(200, 120, 1, 2);
      await commitAndLabel(world, fresh);
      await until('every label applied', () => actor.status().counters.labels === 120, 60_000);
      await actor.idle();
      // The schedule fired at the 40th label with 39 samples labeled before it; the count is
      // checked every 25 labels (the 40th, 65th, 90th): at the 90th, 89 samples are enough.
      expect(actor.status()).toMatchObject({ phase: 'shadow', trigger: { kind: 'schedule' }, challenger: { name: 'dir', version: 2 }, counters: { trainings: 1 } });
      const v2 = await registry.get('dir@2');
      expect(v2.metrics['samples']).toBe(89);
      expect(v2.trainRange).toEqual({ from: fresh[0]?.ts, to: (fresh[88]?.labeledTs as number) + 1 });
      // Each check counted in the store; the samples were read once, for the fit. Before, every
      // check read the whole history (on PostgreSQL, every stored row and its features, every 25 labels).
      const at = (k: number): number => fresh[k - 1]?.labeledTs as number;
      expect(counted).toEqual([40, 65, 90].map((k) => ({ strategy: 's1', to: at(k), labeledBefore: at(k), atMost: 80 })));
      expect(fullReads).toEqual([{ strategy: 's1', to: at(90), labeledBefore: at(90), newest: 100 }]);
    } finally {
      await actor.stop();
      await bus.close();
    }
  }, 60_000);

  it('reads only the newest maxSamples for the fit, and counts no further than minSamples, however many samples are stored', async () => {
    // 200 samples of the champion's regime are stored, more than maxSamples (100) and minSamples (80).
    const world = await retrainingWorld(cfgBase, subjects);
    const { bus, store, registry } = world;
    const reads: { q: SampleQuery; rows: number }[] = [];
    const counts: number[] = [];
    const watched: TrainingSampleStore = {
      ...store,
      samples: async (q) => {
        const rows = await store.samples(q);
        if (q.from === undefined) reads.push({ q, rows: rows.length });
        return rows;
      },
      countSamples: async (q) => {
        const n = await store.countSamples(q);
        if (q.from === undefined) counts.push(n);
        return n;
      },
    };
    const actor = await startWorldActor({ ...world, store: watched }, cfgBase, subjects, COLLECTING);
    try {
      const fresh = samplesOf(200, 40, 1, 2);
      await commitAndLabel(world, fresh);
      await until('every label applied', () => actor.status().counters.labels === 40, 60_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'shadow', counters: { trainings: 1 } });
      // At the 40th label, 239 samples were labeled before it: 80 counted, the newest 100 read (old 139…199, fresh 0…38).
      expect(counts).toEqual([80]);
      expect(reads.map((r) => r.rows)).toEqual([100]);
      const v2 = await registry.get('dir@2');
      expect(v2.metrics['samples']).toBe(100);
      expect(v2.trainRange).toEqual({ from: T0 + 139 * HOUR, to: (fresh[38]?.labeledTs as number) + 1 });
    } finally {
      await actor.stop();
      await bus.close();
    }
  }, 60_000);
});
