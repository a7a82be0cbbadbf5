import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import type { Config } from '../../config/schema.js';
import type { ModelVersion } from '../../models/registry/model-registry.js';
import type { Subjects } from '../../streams/subjects.js';
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
