import type { ModelVersion } from '../models/registry/model-registry.js';
import { ModelNotFoundError } from '../models/registry/model-registry.js';
import { AliasMovedError, AnnouncementPendingError } from '../models/registry/registry-errors.js';
import { isCycleChallenger, isStrategyChallenger } from '../models/retraining/cycle-challenger.js';
import type { ModelVersionRef } from '../state/retraining-machine.js';
import { ACTOR } from './retraining-actor-state.js';
import type { RetrainingActorState } from './retraining-actor-state.js';

// `candidate` means: the challenger of a retraining cycle in progress (registered, validated or
// shadowed). The cycle sets it (retraining-challenger-registration.ts) and takes it off when it
// ends: a rejection clears it with the challenger's other aliases (the registry's reject), a
// promotion in the promotion's own transaction (`removeAliases`, retraining-verdicts.ts), and a
// deploy of the challenger by someone else removes it here (the version is production now, no
// longer a candidate). Before, `candidate` stayed on the promoted version, and on a challenger
// deployed and rolled back since, and on the challenger of a cycle lost with the actor's snapshot:
// `sextant ctl model list` showed a candidate that nothing was evaluating.

/**
 * Removes `candidate` from the cycle's challenger `ch`, only while it still points at it (another
 * cycle's challenger, or an operator, may have taken it since: theirs). A failure is said, not
 * thrown (false, as when it was not on it): the cycle's outcome (a deploy) stands, and the version is production, so
 * nobody can deploy it by mistake; the next start removes what is left (`clearOrphanedCandidate`).
 */
export const clearCandidate = async (rt: RetrainingActorState, ch: ModelVersionRef, reason: string): Promise<boolean> => {
  try {
    await rt.deps.registry.removeAlias(ch.name, 'candidate', { actor: ACTOR, reason, ifCurrent: ch.version });
    return true;
  } catch (e) {
    if (e instanceof AliasMovedError) return false; // not on it any more: nothing to remove
    if (e instanceof AnnouncementPendingError) return true; // removed; the registry announces it after its next change
    rt.log.warn({ challenger: `${ch.name}@${ch.version}`, err: String(e) }, '`candidate` not removed from the ended cycle\'s challenger (removed at the next start)');
    return false;
  }
};

/**
 * At start, once a restored cycle's end is settled: a `candidate` of this actor's model that this
 * strategy's retraining fitted (its lineage) but that is not the challenger of the cycle this
 * actor holds now is orphaned — its cycle was lost with the snapshot (deleted, a new host), or it
 * was left by a build that did not remove it — and nothing evaluates it, so it is removed (not
 * rejected: it was never judged, and an operator may still deploy it by its version). The cycle's
 * own (restored mid-shadow, or registered before a restart mid-fit) keeps it; a candidate set by
 * hand or by another strategy's actor is theirs and is left. A failure is said, not thrown: the
 * actor starts anyway.
 */
export const clearOrphanedCandidate = async (rt: RetrainingActorState): Promise<void> => {
  const { registry, model, strategy } = rt.deps;
  let v: ModelVersion;
  try {
    v = await registry.get(`${model}@candidate`);
  } catch (e) {
    if (!(e instanceof ModelNotFoundError)) rt.log.warn({ err: String(e) }, 'could not read `candidate` at start: an orphaned one, if any, stays until the next start');
    return;
  }
  const c = rt.cycle;
  if (c !== null && isCycleChallenger(v, { strategy, trigger: c.trigger, ts: c.ts, ...(c.seq !== undefined ? { seq: c.seq } : {}) })) return;
  if (!isStrategyChallenger(v, strategy)) return;
  const served = v.aliases.includes('production') ? ' (production now)' : '';
  const reason = `orphaned: no retraining cycle evaluates it${served}; its cycle ended or was lost before \`candidate\` was removed`;
  if (await clearCandidate(rt, v, reason)) rt.log.info({ candidate: `${v.name}@${v.version}` }, 'orphaned `candidate` removed at start: no cycle of this actor evaluates it');
};
