import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import type { Config } from '../../config/schema.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import { streamName } from '../../streams/provision.js';
import type { Subjects } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, samplesOf } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';
import type { ClosableWorld } from './restore-mid-fit.cases.js';

type Setup = Readonly<{ cfg: Pick<Config, 'prefix' | 'streamNamePrefix' | 'streams'>; subjects: Subjects; world: () => Promise<ClosableWorld> }>;

/**
 * A retraining actor started without its snapshot (deleted, or a new host on the same registry)
 * numbered its cycles from 1 again, and a cycle's challengers are told apart by strategy, trigger,
 * the event time the cycle started at and that number: its first cycle could take an earlier
 * actor's cycle's challenger for one its own fit had left before a restart, and take it again or
 * reject it as superseded. Run on the memory (fresh-actor-cycles.test.ts) and the PostgreSQL
 * (fresh-actor-cycles.pg.test.ts) registry.
 */
export function freshActorCycleCases(registryName: string, { cfg, subjects, world }: Setup): void {
  const start = (w: RetrainingWorld, samples: TrainingSampleStore = w.store): Promise<RetrainingActorHandle> =>
    startRetrainingActor({
      bus: w.bus, subjects, samples, registry: w.registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config: RETRAINING_TEST_CONFIG,
      streams: { OUTCOMES: streamName(cfg, 'OUTCOMES') }, trainingThread: 'main',
    });

  describe(`retraining actor (${registryName} registry) started without its snapshot`, () => {
    it('numbers its cycles on from those the registry records, so its first cycle leaves an earlier actor\'s challenger as it was', async () => {
      const w = await world();
      try {
        const first = await start(w);
        try {
          // Triggered before any label: the cycle starts at event time 0, as a fresh actor's does (it
          // checks the samples at the 25th label after the trigger).
          expect(first.trigger('refit', 'op').accepted).toBe(true);
          await publishLabels(w, subjects, samplesOf(200, 30, 1, 2));
          await until('the first challenger in shadow', () => first.status().phase === 'shadow' && first.status().counters.labels === 30, 60_000);
          await first.idle();
          expect(first.status().challenger).toMatchObject({ version: 2 });
          // The operator deploys it, then rolls it back: no alias, not rejected.
          await w.registry.promote('dir', 2, { actor: 'op', reason: 'deploy' });
          await until('the actor serves dir@2', () => first.status().champion?.version === 2, 20_000);
          await first.idle();
          // Its cycle ended there (deployed): production, no longer `candidate` (before, it kept both).
          expect((await w.registry.get('dir@2')).aliases).toEqual(['production']);
          await w.registry.rollback('dir', { actor: 'op', reason: 'worse live' });
          await until('the actor serves dir@1 again', () => first.status().champion?.version === 1, 20_000);
          await first.idle();
          expect(first.status().phase).toBe('idle');
        } finally {
          await first.stop();
        }

        // Its snapshot is gone: the next actor starts afresh on the same registry.
        const fresh = await start(w, { ...w.store, loadSnapshot: async () => undefined });
        try {
          expect(fresh.trigger('refit', 'op').accepted).toBe(true);
          await publishLabels(w, subjects, samplesOf(230, 30, 1, 3));
          await until('the second challenger in shadow', () => fresh.status().phase === 'shadow' && fresh.status().counters.labels === 30, 60_000);
          await fresh.idle();
          const listed = await w.registry.list('dir');
          const of = (version: number): { rejected: boolean | undefined; cycle: unknown } => {
            const v = listed.find((x) => x.version === version);
            const retraining = v?.details['retraining'] as { trigger?: { cycle?: unknown } } | undefined;
            return { rejected: v?.rejected, cycle: retraining?.trigger?.cycle };
          };
          expect(fresh.status().challenger).toMatchObject({ name: 'dir', version: 3 });
          // Before: dir@3 numbered cycle 1 as well, and dir@2 rejected as "superseded by dir@3:
          // fitted again for the same cycle after a restart" (or taken again, had the fit been the same).
          expect(of(2)).toEqual({ rejected: false, cycle: 1 });
          expect(of(3)).toEqual({ rejected: false, cycle: 2 });
        } finally {
          await fresh.stop();
        }
      } finally {
        await w.close();
      }
    }, 120_000);
  });
}
