import { describe, expect, it } from 'vitest';
import { startRetrainingActor } from '../../actors/retraining-actor.js';
import { loadConfig } from '../../config/load.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, retrainingWorld, samplesOf } from './fixtures.js';

const cfgBase = { ...loadConfig(), prefix: 'rtof', streamNamePrefix: 'RTOF_' };
const subjects = subjectsFor(cfgBase.prefix);
const OUTCOMES = streamName(cfgBase, 'OUTCOMES');

describe('retraining actor: an operator-triggered cycle whose work fails outside a batch', () => {
  it('stops the actor (done rejects, as a failed batch does) instead of leaving it in training for ever; a new actor resumes the triggered cycle', async () => {
    const w = await retrainingWorld(cfgBase, subjects);
    let registerFails = true;
    const registry: ModelRegistry = {
      ...w.registry,
      register: (...a) => (registerFails ? Promise.reject(new Error('registry unavailable')) : w.registry.register(...a)),
    };
    const start = () => startRetrainingActor({ bus: w.bus, subjects, samples: w.store, registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config: RETRAINING_TEST_CONFIG, streams: { OUTCOMES }, trainingThread: 'main' });
    const actor = await start();
    let failed: unknown;
    actor.done.catch((e: unknown) => (failed = e));
    try {
      await publishLabels(w, subjects, samplesOf(200, 20, 1, 2));
      await until('labels applied', () => actor.status().counters.labels === 20, 60_000);
      await actor.idle();
      expect(actor.trigger('test', 'op').accepted).toBe(true);
      await actor.idle();
      // The fit ran, its registration failed: the machine cannot be left in `training`, where nothing moves it.
      await until('actor failed', () => failed !== undefined, 20_000);
      expect(String(failed)).toMatch(/registry unavailable/);
    } finally {
      await actor.stop();
    }
    registerFails = false;
    const next = await start();
    try {
      // The trigger was stored before its work: the new actor is collecting for the operator's cycle.
      expect(next.status()).toMatchObject({ phase: 'collecting', trigger: { kind: 'operator', detail: 'op: test' } });
      // Labels bring the cycle to its fit (its samples are counted every 25 labels), and its challenger to the shadow.
      await publishLabels(w, subjects, samplesOf(220, 25, 1, 3));
      await until('challenger in shadow', () => next.status().phase === 'shadow', 60_000);
      expect(next.status()).toMatchObject({ challenger: { name: 'dir', version: 2 }, counters: { trainings: 1 } });
    } finally {
      await next.stop();
      await w.bus.close();
    }
  }, 120_000);
});
