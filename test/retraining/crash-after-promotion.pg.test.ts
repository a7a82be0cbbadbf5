import { describe, expect, it } from 'vitest';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, samplesOf, startWorldActor } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';
import { pgRetrainingWorld } from './pg-world.js';
import { stopMidShadow } from './shadow-run.js';

// A retraining actor killed between its promotion in the registry and the commit of the batch that
// decided it (kill -9 of the engine, found by running `sextant run` with retraining on and killing
// it just after `shadow decided`). The commit is made to fail there, which stops the actor as a
// crash would: the registry holds the promotion, the snapshot is still the shadow run before the
// batch. Real PostgreSQL and NATS; fails, never skips, when they are missing.
const cfg = { ...loadConfig(), prefix: 'rtcrashpromo', streamNamePrefix: 'RTCRASHPROMO_' };
const subjects = subjectsFor(cfg.prefix);

/** The world's actor, on `samples` instead of its sample store when given. */
const start = (w: RetrainingWorld, samples: TrainingSampleStore = w.store): Promise<RetrainingActorHandle> => startWorldActor({ ...w, store: samples }, cfg, subjects, RETRAINING_TEST_CONFIG);

/** What a promotion leaves, to compare the crashed run with the uninterrupted one. */
const outcome = (h: RetrainingActorHandle): unknown => {
  const s = h.status();
  return { phase: s.phase, champion: s.champion, lastOutcome: s.lastOutcome, lastShadow: s.lastShadow, watch: s.watch, anchor: s.anchor, counters: s.counters };
};

/** A restarted actor given the shadow run's remaining labels; what it ends with once all are applied. */
async function finish(w: RetrainingWorld, samples?: TrainingSampleStore): Promise<unknown> {
  const h = await start(w, samples);
  try {
    await until('every label applied', () => h.status().counters.labels === 170, 60_000);
    await h.idle();
    return outcome(h);
  } finally {
    await h.stop();
  }
}

describe('retraining actor killed just after its promotion (before the batch committed)', () => {
  it('restarts to the same promotion as an uninterrupted run: counted, watched, anchored where the chain started', async () => {
    const fresh = samplesOf(200, 170, 1, 2);
    const a = await pgRetrainingWorld(cfg, subjects);
    let uninterrupted: unknown;
    try {
      await stopMidShadow(a, cfg, subjects, fresh);
      await publishLabels(a, subjects, fresh.slice(130));
      uninterrupted = await finish(a);
    } finally {
      await a.close();
    }
    expect(uninterrupted).toMatchObject({ champion: { version: 2 }, lastOutcome: expect.stringMatching(/^promoted dir@2: shadow over 60/) as unknown, watch: { version: 2 }, anchor: { version: 1 }, counters: { promotions: 1 } });

    const b = await pgRetrainingWorld(cfg, subjects);
    try {
      await stopMidShadow(b, cfg, subjects, fresh);
      // The crash: every commit after the registry made dir@2 production fails (as a kill -9 then
      // would leave it), so the actor stops with the promotion made and not recorded.
      const crashing: TrainingSampleStore = {
        ...b.store,
        commit: async (c) => {
          if ((await b.registry.get('dir@production')).version === 2) throw new Error('killed');
          return b.store.commit(c);
        },
      };
      const killed = await start(b, crashing);
      try {
        await publishLabels(b, subjects, fresh.slice(130));
        await expect(killed.done).rejects.toThrow('killed');
      } finally {
        await killed.stop();
      }
      expect((await b.registry.get('dir@production')).version).toBe(2);
      // Before, the restarted actor took its own promotion for someone else's deploy: "deployed
      // to production by someone else during its shadow run", no promotion counted, no rollback
      // watch, and dir@2 the chain's anchor (nothing could roll it back).
      expect(await finish(b)).toEqual(uninterrupted);
      const v = await b.registry.list('dir');
      expect(v.map((x) => ({ version: x.version, aliases: x.aliases, rejected: x.rejected }))).toEqual([
        { version: 2, aliases: ['production'], rejected: false },
        { version: 1, aliases: [], rejected: false },
      ]);
    } finally {
      await b.close();
    }
  }, 240_000);
});
