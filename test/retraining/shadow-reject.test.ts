import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { TrainingSample } from '../../state/training-sample-store.js';
import type { ModelEvent } from '../../streams/messages/model-event.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { collect, until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtsr', streamNamePrefix: 'RTSR_' };
const subjects = subjectsFor(cfgBase.prefix);
const OUTCOMES = streamName(cfgBase, 'OUTCOMES');
type World = RetrainingWorld;
const world = (): Promise<World> => retrainingWorld(cfgBase, subjects);
const start = (w: World): Promise<RetrainingActorHandle> =>
  startRetrainingActor({ bus: w.bus, subjects, samples: w.store, registry: w.registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config: RETRAINING_TEST_CONFIG, streams: { OUTCOMES }, trainingThread: 'main' });
const label = (w: World, samples: readonly TrainingSample[]): Promise<void> => publishLabels(w, subjects, samples);

describe('retraining actor: the shadow verdict through the actor (memory bus and stores)', () => {
  it('rejects a challenger that loses the shadow: the regime it was fitted on reverts, the champion scores better on the same predictions', async () => {
    const w = await world();
    const actor = await start(w);
    try {
      // 100 labels of the new regime train a challenger on them; the next 63 (its shadow run, the first 3
      // purged: their horizons overlap the training labels') are the old regime again.
      await label(w, samplesOf(200, 100, 1, 2));
      await until('challenger in shadow', () => actor.status().phase === 'shadow', 60_000);
      const events = collect<ModelEvent>(w.bus, OUTCOMES, subjects.model('dir', 'rejected'));
      await label(w, samplesOf(300, 63, -1, 4));
      await until('shadow decided', () => actor.status().counters.rejections === 1, 60_000);
      await actor.idle();
      expect(actor.status()).toMatchObject({ phase: 'idle', counters: { trainings: 1, promotions: 0, rejections: 1 } });
      expect(actor.status().lastOutcome).toMatch(/^rejected dir@2: /);
      expect((await w.registry.get('dir@production')).version).toBe(1);
      await until('rejected event', () => events.msgs.length === 1);
      expect(events.msgs[0]).toMatchObject({ event: 'rejected', name: 'dir', version: 2 });
      await events.stop();
    } finally {
      await actor.stop();
      await w.bus.close();
    }
  }, 120_000);

});
