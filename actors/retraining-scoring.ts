import { rowOf } from '../models/retraining/sample-dataset.js';
import { classOfSample, classRuleOf } from '../models/retraining/sample-class.js';
import { scoreRow } from '../models/retraining/scoring.js';
import { addShadow, addWatch, addWatchAnchor, addWatchPair, closedWatchBlocks, markOwedVerdict } from '../models/retraining/shadow-evaluation.js';
import { firedTrigger, observe, withReference } from '../models/retraining/triggers.js';
import { phase } from './retraining-actor-state.js';
import type { RetrainingActorState, Scored } from './retraining-actor-state.js';
import { collectStep, startCycle } from './retraining-fit.js';
import { ensureChallenger, ensureWatched, probsOf } from './retraining-loaded-models.js';
import { ensureChampion, shadowAgainst } from './retraining-production.js';
import { shadowStep, watchStep } from './retraining-verdicts.js';

/** Samples are re-counted (a count in the store, no rows read) every this many labels while collecting. */
export const COLLECT_STEP = 25;

/**
 * Applies labels one by one. Probabilities are computed for the rest of the batch at once and
 * again after any step that changes the champion or the challenger, so the decision for each
 * label is the same however the stream was cut into batches.
 */
export const applyScored = async (rt: RetrainingActorState, items: readonly Scored[]): Promise<void> => {
  const { cfg } = rt;
  let i = 0;
  /** Whether the last label decided changed a model (re-score the rest, or load the new champion after the batch). */
  let changed = false;
  while (i < items.length) {
    if (!(await ensureChampion(rt)) || rt.champion === undefined) return;
    await shadowAgainst(rt, rt.champion.version);
    // A label is scored against this champion: a move back now is a move like any other.
    rt.beforeMove = null;
    await ensureChallenger(rt);
    await ensureWatched(rt);
    const rest = items.slice(i);
    const champ = await probsOf(rt.champion, rest);
    const chall = phase(rt) === 'shadow' && rt.challenger !== undefined ? await probsOf(rt.challenger, rest) : null;
    const prev = rt.watch?.paired !== undefined && rt.previous !== undefined ? await probsOf(rt.previous, rest) : null;
    const anc = rt.watch?.anchor !== undefined && rt.anchorModel !== undefined ? await probsOf(rt.anchorModel, rest) : null;
    // The champion's classes, for its whole turn (a change of champion ends the turn).
    const rule = classRuleOf(rt.champion.version, cfg.classes.kAtr);
    changed = false;
    for (let j = 0; j < rest.length && !changed; j++, i++) {
      const { label, sample } = rest[j] as Scored;
      const p = champ[j] ?? null;
      rt.lastTs = Math.max(rt.lastTs, label.ts);
      // The champion's class of what the price did (not the direction-relative barrier label).
      const cls = classOfSample(sample, rule);
      if (p === null || cls === undefined) continue;
      rt.counters.scored++;
      const score = scoreRow(p, 0, cls);
      const row = new Array<number>(rt.champion.version.featureSpec.features.length);
      const features = rowOf(sample.features, rt.champion.version.featureSpec, row) ? row : null;
      if (phase(rt) !== 'paused') rt.triggers = observe(rt.triggers, { ts: label.ts, logLoss: score.logLoss, hit: score.hit, features }, cfg.triggers);
      if (rt.triggers.reference === null && rt.triggers.recent.length >= cfg.triggers.psiWindow) {
        rt.triggers = { ...withReference(rt.triggers, rt.champion.version.featureSpec.features, rt.triggers.recent, cfg.triggers), recent: [] };
      }
      if (rt.watch !== null) {
        const closed = closedWatchBlocks(rt.watch);
        rt.watch = addWatch(rt.watch, score.logLoss, cfg.rollback.minLabels, label.ts);
        const r = prev?.[j] ?? null;
        if (r !== null) rt.watch = addWatchPair(rt.watch, { previous: scoreRow(r, 0, cls), promoted: score }, cfg.shadow.blockLabels);
        const a = anc?.[j] ?? null;
        if (a !== null) rt.watch = addWatchAnchor(rt.watch, { anchor: scoreRow(a, 0, cls), promoted: score }, cfg.shadow.blockLabels);
        // Paused, no verdict is taken (`decide`): one a block closing now was due is owed to the
        // first label after the resume, not to the next block's close.
        if (phase(rt) === 'paused' && closedWatchBlocks(rt.watch) > closed) rt.watch = markOwedVerdict(rt.watch);
      }
      const q = chall?.[j] ?? null;
      // Purged: a label whose horizon began before the challenger's last training label was known
      // shares part of its outcome with the challenger's training labels (leakage in its favour).
      const purged = rt.challenger === undefined || sample.ts < rt.challenger.version.trainRange.to;
      if (phase(rt) === 'shadow' && rt.shadow !== null && q !== null && !purged) rt.shadow = addShadow(rt.shadow, { champion: score, challenger: scoreRow(q, 0, cls) }, cfg.shadow.blockLabels);
      changed = await decide(rt, label.ts);
    }
  }
  // A promotion or rollback on the batch's last label: the new production model is loaded now,
  // not with the next batch, so `status()` names it (as after a change mid-batch).
  if (changed) await ensureChampion(rt);
};

/** Decisions after one label at event time `ts`; true when a model changed (re-score the rest). */
const decide = async (rt: RetrainingActorState, ts: number): Promise<boolean> => {
  const { cfg } = rt;
  // Paused, retraining changes no model: a promoted model's watch keeps scoring it (it still
  // serves), and the watch's verdict — a rollback, or the end of the watch — is taken at the
  // first label after the resume. Before, the watch rolled production back while paused.
  if (phase(rt) === 'paused') return false;
  if (await watchStep(rt, ts)) return true;
  if (phase(rt) === 'idle' && !(cfg.rollback.holdTriggers && rt.watch !== null)) {
    const t = firedTrigger(rt.triggers, ts, cfg.triggers);
    if (t !== null) await startCycle(rt, t, ts);
  }
  if (phase(rt) === 'collecting') {
    if (rt.collectingLabels++ % COLLECT_STEP === 0) await collectStep(rt, ts);
    return phase(rt) !== 'collecting';
  }
  return shadowStep(rt, ts);
};
