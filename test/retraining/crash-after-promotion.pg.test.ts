import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, samplesOf } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';
import { pgRetrainingWorld } from './pg-world.js';

// A retraining actor killed between its promotion in the registry and the commit of the batch that
// decided it (kill -9 of the engine, found by running `sextant run` with retraining on and killing
// it just after `shadow decided`). The commit is made to fail there, which stops the actor as a
// crash would: the registry holds the promotion, the snapshot is still the shadow run before the
// batch. Real PostgreSQL and NATS; fails, never skips, when they are missing.
const cfg = { ...loadConfig(), prefix: 'rtcrashpromo', streamNamePrefix: 'RTCRASHPROMO_' };
const subjects = subjectsFor(cfg.prefix);

const start = (w: RetrainingWorld, samples: TrainingSampleStore = w.store): Promise<RetrainingActorHandle> =>
  startRetrainingActor({
    bus: w.bus, subjects, samples, registry: w.registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config: RETRAINING_TEST_CONFIG,
    streams: { OUTCOMES: streamName(cfg, 'OUTCOMES') }, trainingThread: 'main',
  });

/** What a promotion leaves, to compare the crashed run with the uninterrupted one. */
const outcome = (h: RetrainingActorHandle): unknown => {
  const s = h.status();
  return { phase: s.phase, champion: s.champion, lastOutcome: s.lastOutcome, lastShadow: s.lastShadow, watch: s.watch, anchor: s.anchor, counters: s.counters };
};

/** One actor to the shadow run (130 labels: dir@2 shadowed, 27 of 60), then stopped. */
async function toShadow(w: RetrainingWorld, fresh: ReturnType<typeof samplesOf>): Promise<void> {
  const first = await start(w);
  try {
    await publishLabels(w, subjects, fresh.slice(0, 130));
    await until('130 labels applied', () => first.status().counters.labels === 130, 60_000);
    await first.idle();
    expect(first.status()).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 }, shadow: { n: 27 } });
  } finally {
    await first.stop();
  }
}

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
      await toShadow(a, fresh);
      await publishLabels(a, subjects, fresh.slice(130));
      uninterrupted = await finish(a);
    } finally {
      await a.close();
    }
    expect(uninterrupted).toMatchObject({ champion: { version: 2 }, lastOutcome: expect.stringMatching(/^promoted dir@2: shadow over 60/) as unknown, watch: { version: 2 }, anchor: { version: 1 }, counters: { promotions: 1 } });

    const b = await pgRetrainingWorld(cfg, subjects);
    try {
      await toShadow(b, fresh);
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
