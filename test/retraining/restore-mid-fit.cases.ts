import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import type { Config } from '../../config/schema.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import type { RetrainingConfig } from '../../models/retraining/retraining-config.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { streamName } from '../../streams/provision.js';
import type { Subjects } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, samplesOf } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';

/** A retraining world (bus, sample store, registry with a champion in production) and how to take it down. */
export type ClosableWorld = RetrainingWorld & { close: () => Promise<void> };

type Setup = Readonly<{ cfg: Pick<Config, 'prefix' | 'streamNamePrefix' | 'streams'>; subjects: Subjects; world: () => Promise<ClosableWorld> }>;

/**
 * The restart between a challenger's registration and its shadow run, on the registry and store
 * `world` gives (restore-mid-fit.test.ts: memory; restore-mid-fit.pg.test.ts: PostgreSQL).
 */
export function midFitRestartCases(registryName: string, { cfg, subjects, world }: Setup): void {
  function start(w: RetrainingWorld, registry: ModelRegistry, config: RetrainingConfig = RETRAINING_TEST_CONFIG): Promise<RetrainingActorHandle> {
    return startRetrainingActor({
      bus: w.bus, subjects, samples: w.store, registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config,
      streams: { OUTCOMES: streamName(cfg, 'OUTCOMES') }, trainingThread: 'main',
    });
  }

  /**
   * An actor that stops mid-cycle: the registry's `promote` of the fitted challenger to `candidate`
   * fails (after doing it, with `after`; before, without), as a crash there would, so the batch that
   * fitted it is never committed. The state stored is the one before that batch.
   */
  async function crashAtCandidate(w: RetrainingWorld, after: boolean): Promise<void> {
    const registry: ModelRegistry = {
      ...w.registry,
      promote: async (name, version, o) => {
        if (o.alias !== 'candidate') return w.registry.promote(name, version, o);
        if (after) await w.registry.promote(name, version, o);
        throw new Error('the engine went down');
      },
    };
    const actor = await start(w, registry);
    let failed: unknown;
    actor.done.catch((e: unknown) => (failed = e));
    try {
      await publishLabels(w, subjects, samplesOf(200, 110, 1, 2));
      await until('the actor stopped mid-cycle', () => failed !== undefined, 60_000);
      expect(String(failed)).toMatch(/the engine went down/);
    } finally {
      await actor.stop();
    }
  }

  /** Version, aliases and whether rejected, of each version the registry holds (oldest first). */
  async function versions(w: RetrainingWorld): Promise<{ version: number; aliases: readonly string[]; rejected: boolean }[]> {
    return (await w.registry.list('dir')).map((v) => ({ version: v.version, aliases: v.aliases, rejected: v.rejected })).reverse();
  }

  describe(`retraining actor (${registryName} registry): restarted between its challenger's registration and its shadow run`, () => {
    it('takes the challenger the cycle registered before the stop (the same fit) instead of registering another', async () => {
      const w = await world();
      try {
        await crashAtCandidate(w, true);
        expect(await versions(w)).toEqual([{ version: 1, aliases: ['production'], rejected: false }, { version: 2, aliases: ['candidate'], rejected: false }]);
        const next = await start(w, w.registry);
        try {
          await until('110 labels', () => next.status().counters.labels === 110, 60_000);
          await next.idle();
          // Before, the refit registered dir@3 (the candidate now), and dir@2 stayed with no alias, never rejected.
          expect(next.status()).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 }, counters: { trainings: 1, rejections: 0 } });
          expect(await versions(w)).toEqual([{ version: 1, aliases: ['production'], rejected: false }, { version: 2, aliases: ['candidate'], rejected: false }]);
        } finally {
          await next.stop();
        }
      } finally {
        await w.close();
      }
    }, 120_000);

    it('rejects the one registered before the stop, saying it was superseded, when the refit differs (the settings changed meanwhile)', async () => {
      const w = await world();
      try {
        await crashAtCandidate(w, false);
        expect(await versions(w)).toEqual([{ version: 1, aliases: ['production'], rejected: false }, { version: 2, aliases: [], rejected: false }]);
        const other = RetrainingConfigSchema.parse({ ...RETRAINING_TEST_CONFIG, training: { ...RETRAINING_TEST_CONFIG.training, epochs: 12 } });
        const next = await start(w, w.registry, other);
        try {
          await until('110 labels', () => next.status().counters.labels === 110, 60_000);
          await next.idle();
          expect(next.status()).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 3 } });
          // Before, dir@2 stayed as it was: unrejected, no alias, promotable by mistake.
          expect(await versions(w)).toEqual([
            { version: 1, aliases: ['production'], rejected: false },
            { version: 2, aliases: [], rejected: true },
            { version: 3, aliases: ['candidate'], rejected: false },
          ]);
          await expect(w.registry.promote('dir', 2, { actor: 'operator', reason: 'by mistake' })).rejects.toThrow(/reject/i);
        } finally {
          await next.stop();
        }
      } finally {
        await w.close();
      }
    }, 120_000);
  });
}
