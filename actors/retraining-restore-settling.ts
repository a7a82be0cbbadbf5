import { RegistryError } from '../models/registry/model-registry.js';
import { ModelRejectedError } from '../models/registry/registry-errors.js';
import type { ModelVersionRef, RetrainingOutcome, RetrainingPhase } from '../state/retraining-machine.js';
import { ACTOR, failRun } from './retraining-actor-state.js';
import type { RetrainingActorState } from './retraining-actor-state.js';
import { clearCandidate } from './retraining-candidate.js';
import { DEPLOYED_MEANWHILE, productionVersion } from './retraining-production.js';

// A retraining actor restored from a snapshot stored between a cycle's verdict and its end.

/**
 * The outcome `lastOutcome`'s text names, for a snapshot stored before the context kept it as data
 * (`RetrainingMachineContext.outcome`): `promoted|rejected|failed [model@version]: reason`, a
 * promotion for {@link DEPLOYED_MEANWHILE} being a deploy; text of another form is the phase's.
 */
const outcomeOfText = (text: string | null, phase: 'promoted' | 'rejected'): RetrainingOutcome => {
  const m = /^(promoted|rejected|failed)(?: \S+)?: (.*)$/s.exec(text ?? '');
  const kind = m?.[1];
  const reason = m?.[2] ?? text ?? '';
  if (kind === 'failed') return { kind, reason: m?.[2] ?? 'failed' };
  if (kind === 'promoted' && reason === DEPLOYED_MEANWHILE) return { kind: 'deployed', reason };
  return { kind: phase, reason };
};

/**
 * The challenger of a snapshot stored in `rejected` after a failed validation: stored before
 * the registry's reject (the machine was sent INVALID first, before that order was fixed), so a
 * stop in between left it `candidate` and promotable. It is rejected now; one already rejected,
 * or deployed since (production cannot be rejected), is left as it is.
 */
const rejectRestored = async (rt: RetrainingActorState, ch: ModelVersionRef, reason: string): Promise<void> => {
  try {
    await rt.deps.registry.reject(ch.name, ch.version, { actor: ACTOR, reason });
    rt.counters.rejections++;
    rt.log.info({ challenger: `${ch.name}@${ch.version}` }, 'restored after a failed validation: its challenger is rejected now');
  } catch (e) {
    if (e instanceof ModelRejectedError) return;
    if (!(e instanceof RegistryError) || (await productionVersion(rt)) !== ch.version) throw e;
    rt.log.warn({ challenger: `${ch.name}@${ch.version}` }, 'restored after a failed validation: its challenger is production now and is not rejected');
  }
};

/**
 * A snapshot stored between a cycle's verdict and its end (phase `promoted` or `rejected`): the
 * cycle ends now as the live path ends it — counted (`cycles`), its challenger cleared (and
 * `candidate` removed from a promoted one), its
 * shadow stats dropped and its tracking run ended with the stored outcome. Before, it was restored
 * as idle, so the cycle was never counted and its MLflow run stayed open. The registry call and
 * the counters came before the verdict and were stored with it. Not committed here: a restart
 * before the next commit ends it again the same way.
 *
 * The outcome is read from the context's `outcome` (its kind, as data); a snapshot stored before
 * that was kept has only `lastOutcome`'s text, read by the rule used before (`outcomeOfText`).
 * Before, every snapshot was read from the text, so rewording it would have ended a failed cycle
 * as a rejection, or a deployed one as a promotion.
 */
export const settleRestored = async (rt: RetrainingActorState, restoredPhase: RetrainingPhase | undefined): Promise<void> => {
  if (restoredPhase !== 'promoted' && restoredPhase !== 'rejected') return;
  const c = rt.cycle;
  const { challenger: ch, lastOutcome, outcome: stored } = rt.machine.getSnapshot().context;
  rt.machine.send({ type: 'SETTLED' });
  rt.shadow = null;
  rt.cycle = null;
  const which = ch !== null ? `${ch.name}@${ch.version}` : undefined;
  const o = stored ?? outcomeOfText(lastOutcome, restoredPhase);
  rt.log.info({ phase: restoredPhase, lastOutcome, outcome: o.kind }, 'restored between a cycle\'s verdict and its end: the cycle ends');
  if (o.kind === 'failed') {
    if (restoredPhase === 'rejected' && ch !== null) await rejectRestored(rt, ch, o.reason);
    return failRun(rt, c?.runId ?? null, c?.ts ?? rt.lastTs, o.reason);
  }
  const outcome = o.kind === 'promoted' || o.kind === 'deployed' || o.kind === 'rejected' ? o.kind : restoredPhase;
  // Promoted or deployed, stored before `candidate` came off it (as the live path takes it off).
  if (restoredPhase === 'promoted' && ch !== null) await clearCandidate(rt, ch, `${outcome}: ${o.reason}`);
  await rt.tracker?.endRun(c?.runId ?? undefined, 'FINISHED', rt.lastTs, { 'sextant.outcome': outcome, ...(which !== undefined ? { 'sextant.challenger': which } : {}) });
};
