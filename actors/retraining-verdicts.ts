import { trackRollback } from '../models/mlflow/retraining-runs.js';
import { RegistryError } from '../models/registry/model-registry.js';
import { AliasMovedError, NoRollbackTargetError } from '../models/registry/registry-errors.js';
import { judgeShadow, judgeWatch, shadowResultOf, startWatch, withoutOwedVerdict } from '../models/retraining/shadow-evaluation.js';
import type { RollbackWatch } from '../models/retraining/shadow-evaluation.js';
import { ACTOR, phase } from './retraining-actor-state.js';
import type { RetrainingActorState } from './retraining-actor-state.js';
import { dispose, disposeWatched } from './retraining-loaded-models.js';
import { productionVersion } from './retraining-production.js';

// The retraining actor's verdicts after a label: a shadow run's (promote or reject the challenger)
// and a promoted model's watch (clear it or roll it back).

/** Shadow verdict: promote through the registry (then watch), or reject. */
export const shadowStep = async (rt: RetrainingActorState, ts: number): Promise<boolean> => {
  const { cfg, machine, log, tracker } = rt;
  const { registry } = rt.deps;
  if (phase(rt) !== 'shadow' || rt.shadow === null || rt.cycle === null) return false;
  const v = judgeShadow(rt.shadow, cfg.shadow);
  if (v.kind === 'pending') return false;
  const c = rt.cycle;
  const ch = rt.shadow.challenger;
  const shadow = shadowResultOf(rt.shadow, cfg.shadow);
  await tracker?.logMetrics(c.runId ?? undefined, { shadow_n: v.n, shadow_champion_log_loss: v.championLogLoss, shadow_challenger_log_loss: v.challengerLogLoss, shadow_champion_hit_rate: rt.shadow.championHits / v.n, shadow_challenger_hit_rate: rt.shadow.challengerHits / v.n }, ts);
  if (v.kind === 'promote') {
    rt.ownMove = ch.version;
    let previous: number | null | undefined;
    let current: number | undefined;
    try {
      // Over the champion it was compared with only: a deploy made since (mid-batch) stands.
      // Production now, no longer a candidate: `candidate` comes off it in the promotion's own
      // transaction (a rejection clears it with the reject). Removed in a second one, a crash
      // between left `candidate` on the production version until the next start.
      previous = (await registry.promote(ch.name, ch.version, { actor: ACTOR, reason: v.reason, ifCurrent: rt.shadow.champion.version, removeAliases: ['candidate'] })).previousVersion;
    } catch (err) {
      if (!(err instanceof AliasMovedError)) throw err;
      current = err.current;
      previous = promotedUnrecorded(rt, ch.version, current);
    }
    if (previous === undefined) {
      rt.ownMove = null;
      log.warn({ challenger: `${ch.name}@${ch.version}`, production: current ?? null }, 'challenger not promoted: production was moved by someone else meanwhile; its shadow run starts again against the new champion');
      return true; // the next turn loads the new champion (ensureChampion → shadowAgainst)
    }
    const chainStart = cfg.rollback.anchor && rt.anchor !== null && rt.anchor.name === ch.name ? rt.anchor.version : undefined;
    rt.watch = startWatch(ch.name, ch.version, previous ?? rt.shadow.champion.version, v.championLogLoss, ts, chainStart);
    rt.counters.promotions++;
    machine.send({ type: 'SHADOW_PROMOTE', reason: v.reason, shadow });
  } else {
    try {
      await registry.reject(ch.name, ch.version, { actor: ACTOR, reason: v.reason });
    } catch (err) {
      // Refused because someone deployed the challenger meanwhile (mid-batch): the registry
      // keeps production unrejectable. The next turn loads it and ends the cycle (shadowAgainst);
      // before, the batch failed and the actor restarted to find that out.
      if (!(err instanceof RegistryError) || (await productionVersion(rt)) !== ch.version) throw err;
      rt.unrecorded = null; // a promotion this verdict did not repeat: a deploy like any other (next turn)
      log.warn({ challenger: `${ch.name}@${ch.version}`, reason: v.reason }, 'challenger not rejected: it was deployed to production meanwhile');
      return true;
    }
    rt.counters.rejections++;
    machine.send({ type: 'SHADOW_REJECT', reason: v.reason, shadow });
  }
  log.info({ challenger: `${ch.name}@${ch.version}`, verdict: v.kind, reason: v.reason }, 'shadow decided');
  await tracker?.endRun(c.runId ?? undefined, 'FINISHED', ts, { 'sextant.outcome': v.kind === 'promote' ? 'promoted' : 'rejected', 'sextant.challenger': `${ch.name}@${ch.version}` });
  machine.send({ type: 'SETTLED' });
  rt.shadow = null;
  rt.cycle = null;
  await dispose(rt.challenger);
  rt.challenger = undefined;
  return v.kind === 'promote';
};

/**
 * The promotion the registry refused because production is the challenger already: this actor's
 * own, made before a crash cut off its batch's commit (`RetrainingActorState.unrecorded`), taken
 * as done (the version it replaced); undefined when it is not that one (someone else moved production).
 */
const promotedUnrecorded = (rt: RetrainingActorState, version: number, current: number | undefined): number | undefined => {
  const u = rt.unrecorded;
  rt.unrecorded = null;
  return u !== null && u.version === version && current === version ? u.previous : undefined;
};

/**
 * Back to where the chain started: one registry rollback of several steps (`to`), since
 * everything after the anchor on the registry's stack of promotions is this actor's own — one
 * transaction and one `rolled_back` event, and an operator's later rollback goes on from the
 * anchor. Where the stack does not hold it (its history was changed meanwhile), the anchor is
 * promoted instead.
 */
const rollbackTo = async (rt: RetrainingActorState, name: string, version: number, from: number, reason: string): Promise<void> => {
  const { registry } = rt.deps;
  try {
    await registry.rollback(name, { actor: ACTOR, reason, to: version, ifCurrent: from });
  } catch (e) {
    if (!(e instanceof NoRollbackTargetError)) throw e;
    rt.log.warn({ model: `${name}@${version}`, err: String(e) }, 'the registry cannot roll back to the chain\'s anchor: promoting it');
    await registry.promote(name, version, { actor: ACTOR, reason: `rollback: ${reason}`, ifCurrent: from });
  }
};

/**
 * Rolls back the watched promotion, only while production still holds it (`ifCurrent`, checked in
 * the registry's transaction): an operator's deploy or rollback made since — mid-batch, before
 * this actor saw it — is theirs to keep, and undoing it would move production to a version the
 * operator had just replaced. False (said in the log) when production had moved.
 */
const rollbackWatched = async (rt: RetrainingActorState, w: RollbackWatch, to: number | undefined, reason: string): Promise<boolean> => {
  try {
    if (to !== undefined) await rollbackTo(rt, w.name, to, w.version, reason);
    else await rt.deps.registry.rollback(w.name, { actor: ACTOR, reason, ifCurrent: w.version });
    return true;
  } catch (e) {
    if (!(e instanceof AliasMovedError)) throw e;
    rt.log.warn({ model: `${w.name}@${w.version}`, production: e.current ?? null, reason }, 'promoted model not rolled back: production was moved by someone else meanwhile, and their change stands');
    return false;
  }
};

export const watchStep = async (rt: RetrainingActorState, ts: number): Promise<boolean> => {
  if (rt.watch === null) return false;
  const v = judgeWatch(rt.watch, rt.cfg.rollback);
  if (v.kind === 'watching') {
    rt.watch = withoutOwedVerdict(rt.watch); // judged: the next verdict is at the next block's close
    return false;
  }
  const w = rt.watch;
  rt.watch = null;
  await disposeWatched(rt);
  if (v.kind === 'cleared') return false;
  const to = v.to ?? w.previousVersion;
  rt.ownMove = to;
  if (!(await rollbackWatched(rt, w, v.to, v.reason))) {
    rt.ownMove = null;
    return true; // production moved: load it (the next turn's champion)
  }
  rt.counters.rollbacks++;
  rt.lastRollback = { from: { name: w.name, version: w.version }, to: { name: w.name, version: to }, reason: v.reason, ts };
  rt.log.warn({ model: `${w.name}@${w.version}`, reason: v.reason }, 'promoted model rolled back');
  await trackRollback(rt.tracker, { strategy: rt.deps.strategy, watch: w, to, reason: v.reason, ts, cfg: rt.cfg });
  return true;
};
