import { startCycleRun } from '../models/mlflow/retraining-runs.js';
import type { RetrainingCycle } from '../models/retraining/retraining-snapshot.js';
import { commit, cycleNumber, failRun, phase, queueStep, statusOf } from './retraining-actor-state.js';
import type { RetrainingActorState } from './retraining-actor-state.js';
import { collectStep } from './retraining-fit.js';
import { ensureChampion, shadowAgainst } from './retraining-production.js';
import type { RetrainingStatus } from './retraining-status.js';

// An operator's commands to a retraining actor (`sextant ctl retrain trigger|pause|resume`): each
// changes the machine at once, so the reply says what it did, and queues the rest on the chain.

/**
 * A pause mid-fit or mid-validation abandons the cycle (the machine resumes at idle): its run
 * ends now, once, as abandoned by a pause. The fit or validation still in flight sees that its
 * cycle is gone and ends nothing (before, a cancelled fit ended the run as `cancelled`, and the
 * resume ended it again, replacing that outcome).
 */
const abandon = (rt: RetrainingActorState): void => {
  const c = rt.cycle;
  if (c === null) return;
  rt.cycle = null;
  rt.chain = rt.chain.then(() => failRun(rt, c.runId, c.ts, 'abandoned by a pause')).catch((e: unknown) => rt.log.warn({ err: String(e) }, 'could not end the abandoned cycle\'s tracking run'));
};

/**
 * An operator's trigger or resume, outside any batch: stored first (a restart resumes the cycle
 * it started), then the sample check and maybe a fit. Its failure is a failed batch's: the state
 * may be half applied (a fit whose registration failed leaves the machine in `training`, where
 * no event moves it), so the actor stops and a new one resumes from the last commit.
 */
const kick = (rt: RetrainingActorState): void =>
  queueStep(rt, 'of an operator command', async () => {
    await commit(rt);
    if (await ensureChampion(rt) && rt.champion !== undefined) {
      // Production moved while paused (an operator deployed the challenger, or another model):
      // the shadow run ends or starts again now, not at the next label, which may be hours away
      // (before, the status said shadow, the challenger against itself, and a trigger was refused).
      await shadowAgainst(rt, rt.champion.version);
      await collectStep(rt, rt.lastTs + 1);
    }
    await commit(rt);
  });

/** Operator trigger: starts a cycle now (idle only); refused with a reason otherwise. */
export const triggerCycle = (rt: RetrainingActorState, reason: string, operator: string): Readonly<{ accepted: boolean; reason: string; status: RetrainingStatus }> => {
  if (phase(rt) !== 'idle') {
    const first = phase(rt) === 'paused' ? ': `sextant ctl retrain resume` comes first' : '';
    return { accepted: false, reason: `retraining is ${phase(rt)}, not idle${first}`, status: statusOf(rt) };
  }
  const t = { kind: 'operator' as const, detail: `${operator}: ${reason}` };
  rt.machine.send({ type: 'TRIGGER', reason: t });
  rt.counters.triggered.operator++;
  // The machine and the cycle move together, now (the reply says so): a batch committing before
  // the chain reaches this trigger stored `collecting` with no cycle, and an actor restarted from
  // that stayed collecting for ever (the sample check needs the cycle). The tracking run and the
  // sample check join the chain.
  const started: RetrainingCycle = { trigger: t, ts: rt.lastTs, seq: cycleNumber(rt), runId: null, challenger: null };
  rt.cycle = started;
  rt.collectingLabels = 1;
  rt.chain = rt.chain.then(async () => {
    const runId = await startCycleRun(rt.tracker, { model: rt.deps.model, strategy: rt.deps.strategy, trigger: t, ts: started.ts, champion: rt.championRef, cfg: rt.cfg });
    if (rt.cycle === started) rt.cycle = { ...started, runId };
  });
  kick(rt);
  return { accepted: true, reason: 'retraining triggered', status: statusOf(rt) };
};

export const pauseRetraining = (rt: RetrainingActorState, reason: string, operator: string): RetrainingStatus => {
  const from = phase(rt);
  rt.machine.send({ type: 'PAUSE', reason, operator });
  rt.cancelFit?.();
  if (phase(rt) === 'paused' && (from === 'training' || from === 'validating')) abandon(rt);
  // The pause holds across a restart only once stored: a failed write is said (the next commit stores it).
  rt.chain = rt.chain.then(() => commit(rt)).catch((e: unknown) => rt.log.error({ err: String(e) }, 'retraining pause not stored yet: a restart before the next commit resumes the earlier phase'));
  return statusOf(rt);
};

export const resumeRetraining = (rt: RetrainingActorState, reason: string, operator: string): RetrainingStatus => {
  rt.machine.send({ type: 'RESUME', reason, operator });
  // A cycle still held here was abandoned by a pause stored before the pause ended it itself.
  if (phase(rt) === 'idle') abandon(rt);
  kick(rt);
  return statusOf(rt);
};
