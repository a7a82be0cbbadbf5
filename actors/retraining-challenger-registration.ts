import type { ModelVersion } from '../models/registry/model-registry.js';
import { sha256Hex } from '../models/registry/artifact-files.js';
import { openCycleChallengers } from '../models/retraining/cycle-challenger.js';
import type { RetrainingCycle } from '../models/retraining/retraining-snapshot.js';
import type { ChallengerFit } from '../models/retraining/train-challenger.js';
import { ACTOR } from './retraining-actor-state.js';
import type { RetrainingActorState } from './retraining-actor-state.js';

/**
 * Registers the cycle's challenger as `candidate`, or takes the one an earlier fit of this cycle
 * registered. Nothing is committed during a batch, so an actor stopped anywhere between a
 * challenger's registration and the commit of its shadow run (a crash, a failed write) restarts
 * from the cycle's `collecting` snapshot and fits it again. Before, that fit registered another
 * version and the first was left unrejected, with no alias, promotable by mistake and a stray
 * candidate in `ctl model list`. The registry says what was registered whenever the stop came
 * (a version stored in the snapshot right after `register` would miss a stop before that
 * commit): a version fitted for this cycle (`openCycleChallengers`) with the same artifact bytes
 * on the same champion (same samples, same seed) is taken as it stands; any other is rejected as
 * superseded, once this fit is registered, so a stop in between finds both again and ends the same.
 */
export const registerChallenger = async (rt: RetrainingActorState, fit: ChallengerFit, c: RetrainingCycle, parent: number): Promise<ModelVersion> => {
  const { registry } = rt.deps;
  const { log } = rt;
  const open = openCycleChallengers(await registry.list(rt.deps.model), { strategy: rt.deps.strategy, trigger: c.trigger, ts: c.ts, ...(c.seq !== undefined ? { seq: c.seq } : {}) });
  const sha = sha256Hex(fit.onnx);
  const same = open.find((x) => x.artifactSha256 === sha && x.parentVersion === parent);
  const v = same ?? (await registry.register(fit.model, fit.onnx, { actor: ACTOR, reason: `retraining (${c.trigger.kind}: ${c.trigger.detail})` }));
  if (same !== undefined) log.info({ challenger: `${v.name}@${v.version}` }, 'restarted mid-cycle: the challenger this cycle registered before the restart is taken again (same fit)');
  for (const x of open) {
    if (x === same) continue;
    const reason = `superseded by ${v.name}@${v.version}: fitted again for the same cycle after a restart`;
    await registry.reject(x.name, x.version, { actor: ACTOR, reason });
    log.warn({ challenger: `${x.name}@${x.version}`, by: `${v.name}@${v.version}` }, 'restarted mid-cycle: a challenger this cycle registered before the restart is rejected (superseded)');
  }
  if (!v.aliases.includes('candidate')) await registry.promote(v.name, v.version, { alias: 'candidate', actor: ACTOR, reason: 'challenger for shadow evaluation' });
  return v;
};
