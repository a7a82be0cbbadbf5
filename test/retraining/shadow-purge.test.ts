import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtsp', streamNamePrefix: 'RTSP_' };
const subjects = subjectsFor(cfgBase.prefix);

describe('retraining actor: the shadow scores only labels that do not overlap the challenger\'s training labels', () => {
  it('skips the labels whose decision came before the last training label was known (their horizons share outcome with it)', async () => {
    const w = await retrainingWorld(cfgBase, subjects);
    const actor = await startWorldActor(w, cfgBase, subjects, RETRAINING_TEST_CONFIG);
    try {
      // Hourly predictions, 4-hour horizons. The 100th label (prediction 299, known at 303h) triggers
      // the fit on the samples labeled before it: predictions 200…298, the last known at 302h.
      await publishLabels(w, subjects, samplesOf(200, 100, 1, 2));
      await until('challenger in shadow', () => actor.status().phase === 'shadow', 60_000);
      const challenger = actor.status().challenger;
      expect(challenger).toMatchObject({ name: 'dir', version: 2 });
      const trainedTo = (await w.registry.get('dir@2')).trainRange.to;
      // Predictions 300…302 were made before 302h (+1): their horizons overlap the training labels'.
      const next = samplesOf(300, 60, 1, 4);
      expect(next.filter((s) => s.ts < trainedTo).map((s) => s.ts)).toHaveLength(3);
      await publishLabels(w, subjects, next);
      await until('labels applied', () => actor.status().counters.labels === 160, 60_000);
      await actor.idle();
      // 57 shared labels: the shadow (60 predictions) has not decided.
      expect(actor.status()).toMatchObject({ phase: 'shadow', shadow: { n: 57 } });
      await publishLabels(w, subjects, samplesOf(360, 3, 1, 5));
      await until('shadow decided', () => actor.status().phase !== 'shadow', 60_000);
      expect(actor.status().counters.promotions + actor.status().counters.rejections).toBe(1);
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  }, 120_000);
});
