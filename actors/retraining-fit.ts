import { logChallengerParams, startCycleRun } from '../models/mlflow/retraining-runs.js';
import type { ModelVersion } from '../models/registry/model-registry.js';
import type { RetrainingCycle } from '../models/retraining/retraining-snapshot.js';
import { classRuleOf } from '../models/retraining/sample-class.js';
import { startShadow } from '../models/retraining/shadow-evaluation.js';
import { fitChallenger } from '../models/retraining/train-challenger.js';
import type { ChallengerFit } from '../models/retraining/train-challenger.js';
import { afterTraining } from '../models/retraining/triggers.js';
import type { TriggerReason } from '../models/retraining/triggers.js';
import { validateChallenger } from '../models/retraining/validate-challenger.js';
import { TrainingCancelledError } from '../models/training/training-errors.js';
import { ACTOR, cycleNumber, failRun, phase } from './retraining-actor-state.js';
import type { Loaded, RetrainingActorState } from './retraining-actor-state.js';
import { registerChallenger } from './retraining-challenger-registration.js';
import { dispose, load } from './retraining-loaded-models.js';

// A retraining cycle from its trigger to its shadow run: samples collected, a challenger fitted,
// registered and validated (or the cycle ends, failed or abandoned by a pause).

export const startCycle = async (rt: RetrainingActorState, reason: TriggerReason, ts: number): Promise<void> => {
  rt.machine.send({ type: 'TRIGGER', reason });
  rt.counters.triggered[reason.kind]++;
  rt.collectingLabels = 0;
  const runId = await startCycleRun(rt.tracker, { model: rt.deps.model, strategy: rt.deps.strategy, trigger: reason, ts, champion: rt.championRef, cfg: rt.cfg });
  rt.cycle = { trigger: reason, ts, seq: cycleNumber(rt), runId, challenger: null };
  rt.log.info({ trigger: reason }, 'retraining triggered');
};

/**
 * Collecting: enough samples labeled before `nowTs` (the event time of the label being applied)
 * → fit, register, validate. Strictly before: the samples of labels at `nowTs` itself may be
 * committed by another batch of the labeling actor (another asset's bars) that this actor has not
 * seen yet, so counting them would make the fit depend on timing. A cycle started with fewer
 * than `minSamples` stored keeps collecting until the later labels bring them. The check counts
 * them in the store, `minSamples` at most; the newest `maxSamples` are read, once, for the fit
 * (a read of the strategy's whole history grew without bound).
 */
export const collectStep = async (rt: RetrainingActorState, nowTs: number): Promise<void> => {
  const { cfg, deps, machine, log, tracker } = rt;
  const { registry, strategy } = deps;
  if (phase(rt) !== 'collecting' || rt.cycle === null || rt.champion === undefined) return;
  const c = rt.cycle;
  const known = { strategy, to: nowTs, labeledBefore: nowTs } as const;
  if ((await deps.samples.countSamples({ ...known, atMost: cfg.training.minSamples })) < cfg.training.minSamples) return;
  const use = await deps.samples.samples({ ...known, newest: cfg.training.maxSamples });
  if (use.length < cfg.training.minSamples) return;
  machine.send({ type: 'SAMPLES_READY' });
  rt.counters.trainings++;
  let fit: ChallengerFit;
  try {
    fit = await fitChallenger(use, rt.champion.version, {
      seed: cfg.training.seed,
      epochs: cfg.training.epochs,
      validationFraction: cfg.training.validationFraction,
      thread: deps.trainingThread ?? 'worker',
      ...(deps.trainingClock !== undefined ? { pace: { clock: deps.trainingClock, ...cfg.training.pace } } : {}),
      trigger: { ...c.trigger, ts: c.ts, ...(c.seq !== undefined ? { cycle: c.seq } : {}) },
      strategy,
      rule: classRuleOf(rt.champion.version, cfg.classes.kAtr),
      onCancel: (cancel) => (rt.cancelFit = cancel),
      ...(cfg.training.warmStart.enabled ? { warmStart: { onnx: await registry.artifact(rt.champion.version), learningRate: cfg.training.warmStart.learningRate } } : {}),
    });
  } catch (e) {
    const why = e instanceof TrainingCancelledError ? 'cancelled' : (e as Error).message;
    log.warn({ err: why }, 'challenger fit failed');
    machine.send({ type: 'TRAIN_FAILED', error: why });
    rt.triggers = afterTraining(rt.triggers, c.ts, cfg.triggers);
    // Cancelled by a pause (or failed as one came): the pause abandoned the cycle and ended its
    // run. Ended here too, the resume's "abandoned by a pause" then replaced this outcome.
    if (rt.cycle !== c) return;
    await failRun(rt, c.runId, c.ts, why);
    if (phase(rt) === 'idle') rt.cycle = null;
    return;
  } finally {
    rt.cancelFit = undefined;
  }
  if (phase(rt) !== 'training') return; // paused meanwhile: the fit is abandoned
  const v = await registerChallenger(rt, fit, c, rt.champion.version.version);
  if (phase(rt) !== 'training') return abandonChallenger(rt, v, c);
  rt.cycle = { ...c, challenger: { name: v.name, version: v.version } };
  machine.send({ type: 'TRAINED', challenger: { name: v.name, version: v.version } });
  rt.triggers = afterTraining(rt.triggers, c.ts, cfg.triggers);
  await tracker?.logMetrics(c.runId ?? undefined, { val_log_loss: fit.valLogLoss, fit_rows: fit.rows.fit, validation_rows: fit.rows.validation, samples: fit.rows.samples, skipped_samples: fit.rows.skipped }, c.ts);
  await logChallengerParams(tracker, c.runId, fit.params);
  await tracker?.logModelVersion(c.runId ?? undefined, { name: v.name, version: v.version, source: `sextant-registry://${v.name}/${v.version}` });
  let loaded: Loaded | undefined;
  let verdict: Awaited<ReturnType<typeof validateChallenger>>;
  try {
    loaded = await load(rt, v);
    verdict = await validateChallenger(fit, loaded.runtime);
  } catch (e) {
    verdict = { ok: false, reason: `artifact does not load: ${(e as Error).message}` };
  }
  if (verdict.ok && phase(rt) !== 'validating') {
    await dispose(loaded);
    return abandonChallenger(rt, v, c);
  }
  if (verdict.ok) {
    await dispose(rt.challenger);
    rt.challenger = loaded;
    rt.shadow = startShadow({ name: rt.champion.version.name, version: rt.champion.version.version }, { name: v.name, version: v.version });
    machine.send({ type: 'VALID' });
    log.info({ challenger: `${v.name}@${v.version}`, parity: verdict.parity, valLogLoss: fit.valLogLoss }, 'challenger in shadow');
    return;
  }
  await dispose(loaded);
  // The registry first, then the verdict, as a shadow verdict does: the machine says `rejected`
  // only once the registry has rejected the challenger. Before, INVALID came first, and a
  // snapshot stored in between restored to a rejected cycle whose challenger stayed `candidate`.
  await registry.reject(v.name, v.version, { actor: ACTOR, reason: verdict.reason });
  rt.counters.rejections++;
  if (phase(rt) !== 'validating') return; // paused meanwhile: the pause abandoned the cycle and ended its run
  machine.send({ type: 'INVALID', error: verdict.reason });
  machine.send({ type: 'SETTLED' });
  if (rt.cycle !== c) return;
  await failRun(rt, c.runId, c.ts, verdict.reason);
  rt.cycle = null;
};

/**
 * Paused while the fitted challenger was registered or validated: the pause abandoned the cycle
 * (state/retraining-machine.ts), so the challenger is not shadowed — it went on to a shadow run
 * that the status showed while paused and idle and nothing judged — and its candidate is
 * rejected, not left under the `candidate` alias. The pause ended the cycle's run (`abandon`).
 */
const abandonChallenger = async (rt: RetrainingActorState, v: ModelVersion, c: RetrainingCycle): Promise<void> => {
  rt.triggers = afterTraining(rt.triggers, c.ts, rt.cfg.triggers);
  await rt.deps.registry.reject(v.name, v.version, { actor: ACTOR, reason: 'abandoned: retraining was paused while it was validated' });
  rt.log.info({ challenger: `${v.name}@${v.version}` }, 'challenger abandoned: retraining was paused while it was validated');
};
