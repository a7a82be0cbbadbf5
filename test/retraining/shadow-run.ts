import { expect } from 'vitest';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import type { Config } from '../../config/schema.js';
import type { ModelVersion } from '../../models/registry/model-registry.js';
import type { Subjects } from '../../streams/subjects.js';
import type { TrainingSample } from '../../state/training-sample-store.js';
import { until } from '../labeling/harness.js';
import { RETRAINING_TEST_CONFIG, publishLabels, samplesOf, startWorldActor } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';

/** The operator's model: a copy of the champion's artifact, registered (not deployed) as the next version. */
export async function operatorsModel(w: RetrainingWorld & { champion: ModelVersion }): Promise<ModelVersion> {
  const { version: _v, aliases: _a, featureSpecHash: _h, artifactSha256: _s, createdAt: _c, ...v1 } = w.champion;
  return w.registry.register({ ...v1, configHash: 'operator' }, await w.registry.artifact(w.champion), { actor: 'operator' });
}

/**
 * Runs `body` with the world's actor in the shadow run of challenger v2 against the champion v1
 * (110 labels of the flipped regime: the schedule's cycle at the 100th trains v2), then stops the
 * actor and closes the bus.
 */
export async function inShadowRun(
  w: RetrainingWorld,
  cfg: Pick<Config, 'prefix' | 'streamNamePrefix' | 'streams'>,
  subjects: Subjects,
  body: (actor: RetrainingActorHandle) => Promise<void>,
): Promise<void> {
  const actor = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
  try {
    await publishLabels(w, subjects, samplesOf(200, 110, 1, 2));
    await until('110 labels', () => actor.status().counters.labels === 110, 60_000);
    await actor.idle();
    await body(actor);
  } finally {
    await actor.stop();
    await w.bus.close();
  }
}

/**
 * The world's actor to its first cycle's shadow run, then stopped: 130 labels of `fresh` (the
 * flipped regime) applied, challenger dir@2 `candidate` and 27 of its 60 shadow predictions made.
 * What a restart mid-shadow (or a crash after it) starts from.
 */
export async function stopMidShadow(w: RetrainingWorld, cfg: Pick<Config, 'prefix' | 'streamNamePrefix' | 'streams'>, subjects: Subjects, fresh: readonly TrainingSample[]): Promise<void> {
  const first = await startWorldActor(w, cfg, subjects, RETRAINING_TEST_CONFIG);
  try {
    await publishLabels(w, subjects, fresh.slice(0, 130));
    await until('130 labels applied', () => first.status().counters.labels === 130, 60_000);
    await first.idle();
    expect(first.status()).toMatchObject({ phase: 'shadow', challenger: { name: 'dir', version: 2 }, shadow: { n: 27 } });
  } finally {
    await first.stop();
  }
}
