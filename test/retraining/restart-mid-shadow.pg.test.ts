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

// A retraining actor restarted in the middle of a cycle, its challenger registered and shadowed
// (not judged yet), on the PostgreSQL registry and sample store (real PostgreSQL, a schema of its own per case).
const cfg = { ...loadConfig(), prefix: 'rtmidshadowpg', streamNamePrefix: 'RTMIDSHADOWPG_' };
const subjects = subjectsFor(cfg.prefix);

/** The world's actor, on `samples` instead of its sample store when given. */
const start = (w: RetrainingWorld, samples: TrainingSampleStore = w.store): Promise<RetrainingActorHandle> => startWorldActor({ ...w, store: samples }, cfg, subjects, RETRAINING_TEST_CONFIG);

type Row = { version: number; aliases: readonly string[]; rejected: boolean; cycle: unknown };
/** Version, aliases, whether rejected and the retraining cycle recorded, of each version the registry holds (oldest first). */
async function versions(w: RetrainingWorld): Promise<Row[]> {
  return (await w.registry.list('dir'))
    .map((v) => ({ version: v.version, aliases: v.aliases, rejected: v.rejected, cycle: (v.details['retraining'] as { trigger?: { cycle?: unknown } } | undefined)?.trigger?.cycle }))
    .reverse();
}

/** The first actor, stopped in its first cycle's shadow run (dir@2 `candidate`, 27 shadow predictions of 60). */
async function toMidShadow(w: RetrainingWorld, fresh: ReturnType<typeof samplesOf>): Promise<void> {
  await stopMidShadow(w, cfg, subjects, fresh);
  expect(await versions(w)).toEqual([
    { version: 1, aliases: ['production'], rejected: false, cycle: undefined },
    { version: 2, aliases: ['candidate'], rejected: false, cycle: 1 },
  ]);
}

describe('retraining actor (PostgreSQL registry) restarted mid-shadow', () => {
  it('with its snapshot: goes on with the same shadow run, promotes that challenger, and numbers its next cycle 2', async () => {
    const w = await pgRetrainingWorld(cfg, subjects);
    try {
      const fresh = samplesOf(200, 170, 1, 2);
      await toMidShadow(w, fresh);
      const second = await start(w);
      try {
        expect(second.status()).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 }, shadow: { n: 27 }, counters: { labels: 130, trainings: 1 } });
        await publishLabels(w, subjects, fresh.slice(130));
        await until('promotion after the restart', () => second.status().counters.promotions === 1, 60_000);
        await until('every label applied', () => second.status().counters.labels === 170, 60_000);
        await second.idle();
        expect(second.status().lastOutcome).toMatch(/^promoted dir@2: shadow over 60 labeled predictions/);
        expect(second.status().counters).toMatchObject({ trainings: 1, promotions: 1, rejections: 0 });
        // No second fit, no second shadow: one challenger for cycle 1, production now and no longer
        // `candidate` (taken off it as the cycle ended, as after an uninterrupted promotion).
        expect(await versions(w)).toEqual([
          { version: 1, aliases: [], rejected: false, cycle: undefined },
          { version: 2, aliases: ['production'], rejected: false, cycle: 1 },
        ]);
        // The next cycle is numbered on: 2, not 1 again.
        expect(second.trigger('refit', 'op').accepted).toBe(true);
        await publishLabels(w, subjects, samplesOf(370, 30, 1, 5));
        await until('the next challenger in shadow', () => second.status().phase === 'shadow' && second.status().counters.labels === 200, 60_000);
        await second.idle();
        expect((await versions(w)).at(-1)).toEqual({ version: 3, aliases: ['candidate'], rejected: false, cycle: 2 });
      } finally {
        await second.stop();
      }
    } finally {
      await w.close();
    }
  }, 180_000);

  it('without its snapshot: takes `candidate` off the lost cycle\'s challenger, left unrejected, and numbers its next cycle 2', async () => {
    const w = await pgRetrainingWorld(cfg, subjects);
    try {
      const fresh = samplesOf(200, 170, 1, 2);
      await toMidShadow(w, fresh);
      const next = await start(w, { ...w.store, loadSnapshot: async () => undefined });
      try {
        await next.idle();
        // The lost cycle's shadow state went with the snapshot: nothing judges dir@2 now. It is not
        // rejected (never judged: an operator may still deploy it), but no longer `candidate`:
        // before, `ctl model list` showed it as one until a next cycle's challenger took the alias.
        expect(next.status()).toMatchObject({ phase: 'idle', challenger: null });
        expect((await versions(w)).find((r) => r.version === 2)).toEqual({ version: 2, aliases: [], rejected: false, cycle: 1 });
        expect(next.trigger('refit', 'op').accepted).toBe(true);
        await publishLabels(w, subjects, [...fresh.slice(130), ...samplesOf(370, 30, 1, 5)]);
        await until('the next challenger in shadow', () => next.status().phase === 'shadow', 60_000);
        await next.idle();
        expect(next.status().challenger).toMatchObject({ name: 'dir', version: 3 });
        // Numbered on (2), not 1 again: dir@2 is not taken for this cycle's own, nor rejected as superseded.
        expect(await versions(w)).toEqual([
          { version: 1, aliases: ['production'], rejected: false, cycle: undefined },
          { version: 2, aliases: [], rejected: false, cycle: 1 },
          { version: 3, aliases: ['candidate'], rejected: false, cycle: 2 },
        ]);
      } finally {
        await next.stop();
      }
    } finally {
      await w.close();
    }
  }, 180_000);
});
