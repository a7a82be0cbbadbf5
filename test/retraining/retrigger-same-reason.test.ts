import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf, startWorldActor } from './fixtures.js';

const cfg = { ...loadConfig(), prefix: 'rtretrig', streamNamePrefix: 'RTRETRIG_' };
const subjects = subjectsFor(cfg.prefix);

/**
 * A cycle's challengers were told apart by strategy, trigger and the event time the cycle started
 * at: an operator triggering twice with the same reason and no label in between started both
 * cycles at the same event time, and the second took the first's challenger (deployed and rolled
 * back meanwhile: no alias, not rejected) for one its own fit had registered before a restart —
 * taken again as its challenger (the same fit) or rejected as superseded (a different one).
 */
describe('retraining actor: an operator triggering twice with the same reason, no label in between', () => {
  it('fits and registers a new challenger for the second cycle and leaves the first one, deployed and rolled back, as it was', async () => {
    const w = await retrainingWorld(cfg, subjects);
    const actor = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
    try {
      await publishLabels(w, subjects, samplesOf(200, 20, 1, 2));
      await until('20 labels', () => actor.status().counters.labels === 20, 60_000);
      await actor.idle();
      expect(actor.trigger('refit after the outage', 'op').accepted).toBe(true);
      await until('the first challenger in shadow', () => actor.status().phase === 'shadow', 60_000);
      expect(actor.status().challenger).toMatchObject({ version: 2 });
      // The operator deploys it, then rolls it back (`ctl model deploy dir@2`, `ctl model rollback dir`).
      await w.registry.promote('dir', 2, { actor: 'op', reason: 'deploy' });
      await until('the actor serves dir@2', () => actor.status().champion?.version === 2, 20_000);
      await actor.idle();
      await w.registry.rollback('dir', { actor: 'op', reason: 'worse live' });
      await until('the actor serves dir@1 again', () => actor.status().champion?.version === 1, 20_000);
      await actor.idle();
      expect(actor.status().phase).toBe('idle');
      const rejected = async (version: number): Promise<boolean | undefined> => (await w.registry.list('dir')).find((v) => v.version === version)?.rejected;
      expect(await rejected(2)).toBe(false);

      expect(actor.trigger('refit after the outage', 'op').accepted).toBe(true);
      await until('the second challenger in shadow', () => actor.status().phase === 'shadow', 60_000);
      await actor.idle();
      // Before: dir@2 taken again as this cycle's challenger (the same samples, seed and champion fit the same bytes).
      expect(actor.status()).toMatchObject({ challenger: { name: 'dir', version: 3 }, counters: { trainings: 2 } });
      // …or, had the refit differed, dir@2 rejected as "superseded … after a restart".
      expect(await rejected(2)).toBe(false);
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  }, 120_000);
});
