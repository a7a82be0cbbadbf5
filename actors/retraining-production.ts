import type { ModelVersion } from '../models/registry/model-registry.js';
import { ModelNotFoundError } from '../models/registry/model-registry.js';
import { sequenceWindowOf } from '../models/registry/sequence-window.js';
import { referenceSamples } from '../models/retraining/reference-samples.js';
import { rowOf } from '../models/retraining/sample-dataset.js';
import { startShadow } from '../models/retraining/shadow-evaluation.js';
import { createTriggerState, withReference } from '../models/retraining/triggers.js';
import type { TriggerState } from '../models/retraining/triggers.js';
import type { ModelVersionRef } from '../state/retraining-machine.js';
import { ACTOR, commit, phase, queueStep } from './retraining-actor-state.js';
import type { RetrainingActorState, UnrecordedPromotion } from './retraining-actor-state.js';
import { clearCandidate } from './retraining-candidate.js';
import { dispose, disposeWatched, load } from './retraining-loaded-models.js';

// Following production: the champion a retraining actor scores is the registry's `production`
// model, whoever moved it — this actor's promotions and rollbacks, an operator's deploy or rollback.

/** The reason of a cycle ended because someone else deployed its challenger during its shadow run. */
export const DEPLOYED_MEANWHILE = 'deployed to production by someone else during its shadow run';

export const productionVersion = async (rt: RetrainingActorState): Promise<number | undefined> => {
  try {
    return (await rt.deps.registry.get(`${rt.deps.model}@production`)).version;
  } catch (e) {
    if (e instanceof ModelNotFoundError) return undefined;
    throw e;
  }
};

/**
 * At start: this actor's own promotion of the challenger its restored shadow run scores, made in
 * the registry by a batch whose commit a crash (kill -9) cut off. The registry says who set
 * production (`aliasEvents`): this actor, promoting that challenger over the champion of the
 * shadow run. Before, the restored actor took it for someone else's deploy (`DEPLOYED_MEANWHILE`):
 * the promotion was not counted, no rollback watch started, and the promoted model became the
 * chain's anchor, so nothing could ever roll it back. Null otherwise.
 */
export const unrecordedPromotion = async (rt: RetrainingActorState): Promise<UnrecordedPromotion | null> => {
  const sh = rt.shadow;
  if (sh === null || phase(rt) !== 'shadow' || sh.challenger.name !== rt.deps.model) return null;
  const set = (await rt.deps.registry.aliasEvents()).find((e) => e.name === rt.deps.model && e.alias === 'production');
  if (set === undefined || set.event !== 'promoted' || set.actor !== ACTOR || set.version !== sh.challenger.version || set.previousVersion !== sh.champion.version) return null;
  return { version: set.version, previous: set.previousVersion };
};

/**
 * PSI reference: the champion's training samples when stored (its training range, spread over
 * the whole range when it holds more than `REFERENCE_SAMPLES`), else its first window of live inputs.
 */
const referenceFor = async (rt: RetrainingActorState, v: ModelVersion): Promise<TriggerState> => {
  const { cfg } = rt;
  const fresh = createTriggerState(cfg.triggers);
  const base = { ...fresh, lastTrainTs: rt.triggers.lastTrainTs };
  const rows: number[][] = [];
  const row = new Array<number>(v.featureSpec.features.length);
  const stored = await referenceSamples(rt.deps.samples, { strategy: rt.deps.strategy, from: v.trainRange.from, to: v.trainRange.to });
  for (const s of stored) if (rowOf(s.features, v.featureSpec, row)) rows.push([...row]);
  return rows.length >= cfg.triggers.psiWindow ? withReference(base, v.featureSpec.features, rows, cfg.triggers) : base;
};

/** Loads the production model when it changed (a promotion, a rollback, an operator deploy). */
export const ensureChampion = async (rt: RetrainingActorState): Promise<boolean> => {
  const { log } = rt;
  let v: ModelVersion;
  try {
    v = await rt.deps.registry.get(`${rt.deps.model}@production`);
  } catch (e) {
    if (e instanceof ModelNotFoundError) return false;
    throw e;
  }
  // Its own promotion, unrecorded: the champion it replaced is scored until the redelivered labels
  // take the verdict again (`shadowStep`), as they were scored before the crash.
  const u = rt.unrecorded;
  if (u !== null && u.version === v.version) v = await rt.deps.registry.get(`${rt.deps.model}@${u.previous}`);
  else rt.unrecorded = null; // production moved on since: someone else's move, as any other
  if (rt.champion !== undefined && rt.champion.version.version === v.version) return true;
  if (sequenceWindowOf(v) !== undefined) {
    // Champion and challenger are scored on one stored row per sample, and challengers are
    // one-row MLPs: a sequence model (GRU) in production is left alone, said once per version.
    if (rt.unsupported !== v.version) log.warn({ champion: `${v.name}@${v.version}` }, 'retraining idles: the production model reads a window of bars (sequence model), and retraining scores and trains one-row models only');
    rt.unsupported = v.version;
    return false;
  }
  const next = await load(rt, v);
  await dispose(rt.champion);
  rt.champion = next;
  if (rt.championRef?.version !== v.version && backTo(rt, v)) {
    rt.ownMove = null;
    log.info({ champion: `${v.name}@${v.version}` }, 'champion loaded again: production moved back before the next label, and what the actor held for it is kept');
    return true;
  }
  if (rt.championRef?.version !== v.version) {
    // Someone else's move: what it replaces is kept until the next label (`backTo`), the first
    // move's only, as the next label's turn compares with what the last one saw.
    if (rt.ownMove !== v.version && rt.beforeMove === null && rt.championRef !== null) rt.beforeMove = { champion: rt.championRef, anchor: rt.anchor, triggers: rt.triggers, watch: rt.watch, shadow: rt.shadow };
    rt.championRef = { name: v.name, version: v.version };
    // Put there by an operator, `sextant train` or anyone but this actor: a chain starts here.
    if (rt.ownMove !== v.version || rt.anchor === null || rt.anchor.name !== v.name) rt.anchor = { name: v.name, version: v.version };
    rt.triggers = await referenceFor(rt, v);
    if (rt.watch !== null && rt.watch.version !== v.version) rt.watch = null; // someone else moved production
    if (rt.watch === null) await disposeWatched(rt);
  }
  rt.ownMove = null;
  log.info({ champion: `${v.name}@${v.version}` }, 'champion loaded');
  return true;
};

/**
 * Production moved back, before the next label, to the champion someone else's move replaced
 * (a deploy rolled back, `BeforeMove`): what the actor held for it is put back — its trigger
 * accumulators and PSI reference, the anchor, the watch, and the shadow run's stats when the
 * same challenger is still shadowed (a cycle that ended meanwhile stays ended). Before, each
 * move's announcement started the shadow run again, so a deploy undone before the next label
 * started it twice and lost its stats, where that label's turn, finding the same champion, kept
 * them. False when `v` is not that champion.
 */
const backTo = (rt: RetrainingActorState, v: ModelVersion): boolean => {
  const b = rt.beforeMove;
  if (b === null || b.champion.name !== v.name || b.champion.version !== v.version) return false;
  rt.beforeMove = null;
  rt.championRef = b.champion;
  rt.anchor = b.anchor;
  // A fit since (an operator's resume) restarted the accumulators: those stand.
  rt.triggers = b.triggers.lastTrainTs === rt.triggers.lastTrainTs ? b.triggers : rt.triggers;
  rt.watch = b.watch; // the move ended it (its model no longer served); loaded again at the next label (`ensureWatched`)
  const held = phase(rt) === 'shadow' || (phase(rt) === 'paused' && rt.machine.getSnapshot().context.resumeTo === 'shadow');
  const same = (x: ModelVersionRef, y: ModelVersionRef): boolean => x.name === y.name && x.version === y.version;
  if (held && rt.shadow !== null && b.shadow !== null && same(rt.shadow.challenger, b.shadow.challenger) && same(b.shadow.champion, v)) rt.shadow = b.shadow;
  return true;
};

/**
 * Production changed while a challenger is shadowed (an operator's deploy or rollback, or this
 * actor's rollback of an earlier promotion): the challenger has to beat the model now serving,
 * so its shadow run starts again against it — the stats so far compared it with a model that no
 * longer serves, and a promotion on them replaced the new one on a comparison it never had. When
 * the new production model is the challenger itself, the cycle ends there: it was deployed.
 */
export const shadowAgainst = async (rt: RetrainingActorState, v: ModelVersion): Promise<void> => {
  const { machine, log } = rt;
  // Checked on every turn, not only when the champion loads. A shadow run held by a pause
  // follows production too, at once: before, the status named the new champion beside a shadow
  // run against the old one until the resume. Paused, the shadow scores no label, so starting it
  // again now or at the resume gives the same run.
  const held = phase(rt) === 'paused' && machine.getSnapshot().context.resumeTo === 'shadow';
  if (rt.shadow === null || (phase(rt) !== 'shadow' && !held) || rt.shadow.champion.version === v.version) return;
  const ch = rt.shadow.challenger;
  if (ch.name === v.name && ch.version === v.version) {
    const c = rt.cycle;
    const reason = DEPLOYED_MEANWHILE;
    // Paused, the cycle ends too (the machine stays paused and resumes at idle).
    machine.send(held ? { type: 'DEPLOYED_WHILE_PAUSED', reason } : { type: 'SHADOW_PROMOTE', reason, deployed: true });
    log.info({ challenger: `${ch.name}@${ch.version}` }, 'challenger deployed meanwhile: the cycle ends');
    await rt.tracker?.endRun(c?.runId ?? undefined, 'FINISHED', rt.lastTs, { 'sextant.outcome': 'deployed', 'sextant.challenger': `${ch.name}@${ch.version}` });
    if (!held) machine.send({ type: 'SETTLED' });
    await clearCandidate(rt, ch, reason);
    rt.shadow = null;
    rt.cycle = null;
    await dispose(rt.challenger);
    rt.challenger = undefined;
    return;
  }
  log.info({ challenger: `${ch.name}@${ch.version}`, was: `${rt.shadow.champion.name}@${rt.shadow.champion.version}`, champion: `${v.name}@${v.version}`, n: rt.shadow.n }, 'production changed during the shadow run: it starts again against the new champion');
  rt.shadow = startShadow({ name: v.name, version: v.version }, ch);
};

/**
 * Queues on the actor's chain the check a model event prompts: production read from the
 * registry, and when it is not the champion this actor holds, the new one loaded, the shadow run
 * ended or started again against it (`shadowAgainst`), and the state committed.
 */
export const followProduction = (rt: RetrainingActorState, on: string): void =>
  queueStep(rt, on, async () => {
    const now = await productionVersion(rt);
    if (now === undefined || now === (rt.champion?.version.version ?? rt.championRef?.version)) return;
    if (!(await ensureChampion(rt)) || rt.champion === undefined) return;
    await shadowAgainst(rt, rt.champion.version);
    await commit(rt);
  });
