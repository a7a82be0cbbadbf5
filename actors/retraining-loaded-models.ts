import type { ModelVersion } from '../models/registry/model-registry.js';
import { probabilitiesOfSamples } from '../models/retraining/sample-probabilities.js';
import { phase } from './retraining-actor-state.js';
import type { Loaded, RetrainingActorState, Scored } from './retraining-actor-state.js';

// The models a retraining actor holds loaded beside the champion (actors/retraining-production.ts):
// the shadowed challenger and the models a rollback watch scores.

export const dispose = async (m: Loaded | undefined): Promise<void> => {
  if (m !== undefined) await m.runtime.dispose().catch(() => {});
};

export const load = async (rt: RetrainingActorState, v: ModelVersion): Promise<Loaded> => ({ version: v, runtime: await rt.loadRuntime(await rt.deps.registry.artifact(v)) });

/** The models a watch scores beside the promoted one: the model it replaced (a paired watch, see `RollbackWatch`) and the chain's anchor when it scores one. */
export const ensureWatched = async (rt: RetrainingActorState): Promise<void> => {
  if (rt.watch === null) return;
  if (rt.watch.paired !== undefined && rt.previous?.version.version !== rt.watch.previousVersion) {
    await dispose(rt.previous);
    rt.previous = await load(rt, await rt.deps.registry.get(`${rt.watch.name}@${rt.watch.previousVersion}`));
  }
  const a = rt.watch.anchor?.champion;
  if (a !== undefined && rt.anchorModel?.version.version !== a.version) {
    await dispose(rt.anchorModel);
    rt.anchorModel = await load(rt, await rt.deps.registry.get(`${a.name}@${a.version}`));
  }
};

export const disposeWatched = async (rt: RetrainingActorState): Promise<void> => {
  await dispose(rt.previous);
  await dispose(rt.anchorModel);
  rt.previous = undefined;
  rt.anchorModel = undefined;
};

export const ensureChallenger = async (rt: RetrainingActorState): Promise<void> => {
  const c = rt.machine.getSnapshot().context.challenger;
  if (phase(rt) !== 'shadow' || c === null || rt.challenger?.version.version === c.version) return;
  await dispose(rt.challenger);
  rt.challenger = await load(rt, await rt.deps.registry.get(`${c.name}@${c.version}`));
};

/** The model's probabilities for each item's sample (null where the sample lacks a feature). */
export const probsOf = (m: Loaded, items: readonly Scored[]): Promise<(Float32Array | null)[]> => probabilitiesOfSamples(m.runtime, m.version.featureSpec, items.map((it) => it.sample));
