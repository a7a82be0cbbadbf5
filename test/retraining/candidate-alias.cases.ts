import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import type { Config } from '../../config/schema.js';
import { ModelNotFoundError } from '../../models/registry/model-registry.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import { decodeText } from '../../streams/codec.js';
import type { ModelEvent } from '../../streams/messages/model-event.js';
import { streamName } from '../../streams/provision.js';
import type { Subjects } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, samplesOf } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';
import type { ClosableWorld } from './restore-mid-fit.cases.js';

type Setup = Readonly<{ cfg: Pick<Config, 'prefix' | 'streamNamePrefix' | 'streams'>; subjects: Subjects; world: () => Promise<ClosableWorld> }>;

/**
 * `candidate` names the challenger of a retraining cycle in progress, and nothing else. Before, a
 * promoted challenger kept it beside `production`, and a cycle lost with the actor's snapshot
 * (restarted without it mid-shadow) left its challenger `candidate` until a later cycle's took it:
 * `sextant ctl model list` showed a candidate nothing evaluated, which an operator could deploy
 * taking it for one. Run on the memory (candidate-alias.test.ts) and the PostgreSQL
 * (candidate-alias.pg.test.ts) registry.
 */
export function candidateAliasCases(registryName: string, { cfg, subjects, world }: Setup): void {
  const start = (w: RetrainingWorld, samples: TrainingSampleStore = w.store, registry: ModelRegistry = w.registry): Promise<RetrainingActorHandle> =>
    startRetrainingActor({
      bus: w.bus, subjects, samples, registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config: RETRAINING_TEST_CONFIG,
      streams: { OUTCOMES: streamName(cfg, 'OUTCOMES') }, trainingThread: 'main',
    });
  const aliases = async (w: RetrainingWorld): Promise<Record<number, readonly string[]>> =>
    Object.fromEntries((await w.registry.list('dir')).map((v) => [v.version, v.rejected ? ['(rejected)', ...v.aliases] : v.aliases]));
  /** The `alias_removed` events the registry announces from now on. */
  const removals = (w: RetrainingWorld): ModelEvent[] => {
    const got: ModelEvent[] = [];
    w.bus.subscribe(subjects.model('dir', 'alias_removed'), (_s, d) => void got.push(JSON.parse(decodeText(d)) as ModelEvent));
    return got;
  };
  const fresh = samplesOf(200, 170, 1, 2);

  describe(`retraining actor (${registryName} registry): the \`candidate\` alias`, () => {
    it('comes off the challenger once its cycle promotes it: production only, announced as alias_removed', async () => {
      const w = await world();
      const removed = removals(w);
      try {
        const actor = await start(w);
        try {
          await publishLabels(w, subjects, fresh.slice(0, 130));
          await until('130 labels applied', () => actor.status().counters.labels === 130, 60_000);
          await actor.idle();
          expect(actor.status()).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 } });
          expect(await aliases(w)).toEqual({ 1: ['production'], 2: ['candidate'] });
          await publishLabels(w, subjects, fresh.slice(130));
          await until('the promotion', () => actor.status().counters.promotions === 1, 60_000);
          await until('every label applied', () => actor.status().counters.labels === 170, 60_000);
          await actor.idle();
          // Before: { 1: [], 2: ['candidate', 'production'] }.
          expect(await aliases(w)).toEqual({ 1: [], 2: ['production'] });
          await expect(w.registry.get('dir@candidate')).rejects.toBeInstanceOf(ModelNotFoundError);
          expect(removed.map((e) => [e.event, e.version, e.alias, e.actor])).toEqual([['alias_removed', 2, 'candidate', 'sextant-retraining']]);
          expect(removed[0]?.reason).toMatch(/^promoted to production: shadow over 60 labeled predictions/);
        } finally {
          await actor.stop();
        }
      } finally {
        await w.close();
      }
    }, 120_000);

    it('comes off in the promotion\'s own transaction: no second change that a crash could leave undone', async () => {
      const w = await world();
      // A process that dies right after the promotion commits: a removal as a change of its own never happens.
      const separate: string[] = [];
      const crashing: ModelRegistry = {
        ...w.registry,
        removeAlias: async (name, alias) => {
          separate.push(`${name}@${alias}`);
          throw new Error('process died after the promotion');
        },
      };
      const removed = removals(w);
      try {
        const actor = await start(w, w.store, crashing);
        try {
          await publishLabels(w, subjects, fresh);
          await until('the promotion', () => actor.status().counters.promotions === 1, 60_000);
          await until('every label applied', () => actor.status().counters.labels === 170, 60_000);
          await actor.idle();
          // Before: { 1: [], 2: ['candidate', 'production'] } until the next start.
          expect(await aliases(w)).toEqual({ 1: [], 2: ['production'] });
          expect(separate).toEqual([]);
          expect(removed.map((e) => [e.event, e.version, e.alias])).toEqual([['alias_removed', 2, 'candidate']]);
        } finally {
          await actor.stop();
        }
      } finally {
        await w.close();
      }
    }, 120_000);

    it('is kept by a restart with the snapshot mid-shadow, and taken off (not rejected) the lost cycle\'s challenger by one without; one set by hand stays', async () => {
      const w = await world();
      const removed = removals(w);
      try {
        const first = await start(w);
        try {
          await publishLabels(w, subjects, fresh.slice(0, 130));
          await until('130 labels applied', () => first.status().counters.labels === 130, 60_000);
          await first.idle();
          expect(first.status()).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 } });
        } finally {
          await first.stop();
        }
        // With its snapshot: the same shadow run goes on, dir@2 is its challenger and stays `candidate`.
        const again = await start(w);
        try {
          await again.idle();
          expect(again.status()).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 } });
          expect(await aliases(w)).toEqual({ 1: ['production'], 2: ['candidate'] });
        } finally {
          await again.stop();
        }
        // Without it: nothing evaluates dir@2 any more. Before, it stayed `candidate` until a next cycle's challenger took it.
        const lost = { ...w.store, loadSnapshot: async () => undefined };
        const next = await start(w, lost);
        try {
          await next.idle();
          expect(next.status()).toMatchObject({ phase: 'idle', challenger: null });
          expect(await aliases(w)).toEqual({ 1: ['production'], 2: [] });
          expect(removed.map((e) => [e.version, e.alias, e.actor])).toEqual([[2, 'candidate', 'sextant-retraining']]);
          expect(removed[0]?.reason).toMatch(/^orphaned: no retraining cycle evaluates it/);
        } finally {
          await next.stop();
        }
        // An operator's own `candidate` (a version no retraining cycle fitted) is theirs: a start leaves it.
        const { name, version, aliases: _a, featureSpecHash: _h, artifactSha256: _s, createdAt: _c, ...made } = await w.registry.get('dir@1');
        const byHand = await w.registry.register({ ...made, name, details: {} }, await w.registry.artifact({ name, version }), { actor: 'op' });
        await w.registry.promote('dir', byHand.version, { alias: 'candidate', actor: 'op', reason: 'looking at it' });
        const later = await start(w, lost);
        try {
          await later.idle();
          expect(await aliases(w)).toEqual({ 1: ['production'], 2: [], 3: ['candidate'] });
        } finally {
          await later.stop();
        }
        // The lost cycle's challenger was never judged: still deployable by its version.
        await expect(w.registry.promote('dir', 2, { actor: 'op', reason: 'deploy' })).resolves.toMatchObject({ event: 'promoted', version: 2 });
        expect(removed).toHaveLength(1);
      } finally {
        await w.close();
      }
    }, 180_000);
  });
}
