import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { referenceSamples } from '../../models/retraining/reference-samples.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import { createPgTrainingSampleStore } from '../../state/pg-training-sample-store.js';
import type { PredictionSample, SampleQuery, TrainingSampleStore } from '../../state/training-sample-store.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { dropSchema } from '../support/pg.js';
import { publishLabels, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtdr', streamNamePrefix: 'RTDR_' };
const subjects = subjectsFor(cfgBase.prefix);
// Real PostgreSQL (never skipped), a schema of this file only.
const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const PG_SCHEMA = `sx_rtdr_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
afterAll(async () => dropSchema(PG_URL, PG_SCHEMA));

/** f2 moved by +5: the inputs of an older regime. */
const shifted = (s: PredictionSample): PredictionSample => ({ ...s, features: { ...s.features, f2: (s.features['f2'] as number) + 5 } });

/**
 * A champion's training window of 10,000 samples (one an hour), the first half from an older
 * regime (f2 around 5), the second as now (f2 around 0): the model learned from both. The oldest
 * 5,000 of the window are all of the older regime.
 */
const WINDOW = samplesOf(0, 10_000, -1, 11).map((s, k) => (k < 5_000 ? shifted(s) : s));
const rangeOf = (samples: readonly PredictionSample[]): Readonly<{ from: number; to: number }> => ({
  from: (samples[0] as PredictionSample).ts,
  to: Math.max(...samples.map((s) => s.labeledTs)) + 1,
});

describe('retraining: the PSI reference is the champion\'s whole training window', () => {
  it('inputs drawn like the champion\'s training samples trigger no drift, though its oldest 5,000 differ', async () => {
    const world = await retrainingWorld(cfgBase, subjects, { storeChampionSamples: false });
    await world.store.commit({ samples: WINDOW });
    // The champion's weights, registered as trained on the window (as a retrained model records it).
    const v = await world.registry.register(
      { name: 'dir', format: 'onnx', metrics: {}, featureSpec: world.champion.featureSpec, calibration: world.champion.calibration, trainRange: rangeOf(WINDOW), parentVersion: null, configHash: 'window', details: {} },
      await world.registry.artifact(world.champion),
      { actor: 'test' },
    );
    await world.registry.promote(v.name, v.version, { actor: 'test', reason: 'trained on the window' });
    const actor = await startWorldActor(world, cfgBase, subjects, RetrainingConfigSchema.parse({
      enabled: true,
      triggers: { everyLabels: 0, decayWindow: 10_000, adwinDelta: 0, psiWindow: 200, psiThreshold: 0.25 },
      training: { minSamples: 100_000, maxSamples: 100_000 },
      consumer: { batchSize: 16, ackWaitMs: 60_000 },
    }));
    // Live inputs as in the window: every other one of the older regime.
    const live = samplesOf(10_100, 300, -1, 12).map((s, k) => (k % 2 === 0 ? shifted(s) : s));
    try {
      await publishLabels(world, subjects, live);
      await until('every label applied', () => actor.status().counters.labels === live.length, 60_000);
      await actor.idle();
      const st = actor.status();
      expect(st.champion?.version).toBe(v.version);
      expect(st).toMatchObject({ phase: 'idle', trigger: null });
      expect(st.triggers.maxPsi).not.toBeNull();
      expect(st.triggers.maxPsi).toBeLessThan(0.25);
    } finally {
      await actor.stop();
      await world.bus.close();
    }
  }, 120_000);

  it.each([
    ['memory', async (): Promise<TrainingSampleStore> => createMemoryTrainingSampleStore()],
    ['PostgreSQL', async (): Promise<TrainingSampleStore> => createPgTrainingSampleStore({ url: PG_URL, schema: PG_SCHEMA })],
  ])('reads at most the cap, spread over the window in proportion, and only samples labeled inside it (%s)', async (_name, open) => {
    const store = await open();
    const range = rangeOf(WINDOW);
    // Decided in the window's last hour but labeled after it: not a sample the model was fitted on.
    const later = samplesOf(10_000, 1, -1, 13).map((s) => ({ ...s, ts: range.to - 1, id: 'late' }));
    await store.commit({ samples: [...WINDOW, ...later] });
    const reads: SampleQuery[] = [];
    let rows = 0;
    const spy = { ...store, samples: async (q: SampleQuery) => { reads.push(q); const r = await store.samples(q); rows += r.length; return r; } };
    try {
      const capped = await referenceSamples(spy, { strategy: 's1', ...range, cap: 2_000 });
      expect(rows).toBeLessThanOrEqual(2_000);
      expect(capped.length).toBeGreaterThan(1_900);
      const older = capped.filter((s) => (s.features['f2'] as number) > 2.5).length / capped.length;
      expect(older).toBeGreaterThan(0.45);
      expect(older).toBeLessThan(0.55);
      expect(capped.some((s) => s.ts >= (WINDOW[9_000] as PredictionSample).ts)).toBe(true); // its newest part too
      expect(capped.some((s) => s.id === 'late')).toBe(false);

      // A window within the cap is read whole: the champion's training set exactly.
      const whole = await referenceSamples(spy, { strategy: 's1', ...range, cap: 10_000 });
      expect(whole.map((s) => s.id)).toEqual(WINDOW.map((s) => s.id));
      expect(reads.length).toBeGreaterThan(1);
    } finally {
      await store.close();
    }
  }, 120_000);
});
