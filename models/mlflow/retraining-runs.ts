import type { RetrainingConfig } from '../retraining/retraining-config.js';
import type { RollbackWatch, ShadowStats } from '../retraining/shadow-evaluation.js';
import type { TriggerReason } from '../retraining/triggers.js';
import type { ModelParams } from '../training/model-params.js';
import type { RetrainingTracker } from './retraining-tracker.js';
import { hyperParams } from './run-params.js';

type ModelRef = Readonly<{ name: string; version: number }>;

/**
 * Opens the tracking run of one retraining cycle: its trigger, the champion it challenges and the
 * training and shadow settings. Named by event time, so a replay names its runs alike.
 */
export async function startCycleRun(
  tracker: RetrainingTracker | undefined,
  a: Readonly<{ model: string; strategy: string; trigger: TriggerReason; ts: number; champion: ModelRef | null; cfg: RetrainingConfig }>,
): Promise<string | null> {
  if (tracker === undefined) return null;
  const { cfg } = a;
  const runId = await tracker.startRun({
    runName: `${a.model} retrain ${a.trigger.kind} ${new Date(a.ts).toISOString()}`,
    startTime: a.ts,
    tags: { 'sextant.strategy': a.strategy, 'sextant.model': a.model, 'sextant.trigger': a.trigger.kind, 'sextant.champion': a.champion !== null ? `${a.champion.name}@${a.champion.version}` : '' },
    params: {
      trigger: a.trigger.kind,
      trigger_detail: a.trigger.detail,
      seed: cfg.training.seed,
      epochs: cfg.training.epochs,
      min_samples: cfg.training.minSamples,
      max_samples: cfg.training.maxSamples,
      validation_fraction: cfg.training.validationFraction,
      warm_start: String(cfg.training.warmStart.enabled),
      ...(cfg.training.warmStart.enabled ? { warm_start_learning_rate: cfg.training.warmStart.learningRate } : {}),
      shadow_predictions: cfg.shadow.predictions,
      shadow_margin: cfg.shadow.margin,
    },
  });
  return runId ?? null;
}

/**
 * The challenger's hyperparameters, once fitted, as params of the cycle's run — named as
 * `sextant train` logs them (`hidden`, `learning_rate`, …), so a cycle compares with a training
 * run in MLflow. The learning rate is the one fitted with: a warm start's, or a fresh fit's when
 * the warm start was skipped.
 */
export async function logChallengerParams(tracker: RetrainingTracker | undefined, runId: string | null, params: ModelParams): Promise<void> {
  if (tracker === undefined || runId === null) return;
  await tracker.logParams(runId, hyperParams(params));
}

/**
 * A rollback, as a tracking run of its own (the cycle's run ended at the promotion): what was
 * watched — the mean log losses of the promoted model, the one it replaced and the chain's
 * anchor over the watched labels — and why it went.
 */
export async function trackRollback(
  tracker: RetrainingTracker | undefined,
  a: Readonly<{ strategy: string; watch: RollbackWatch; to: number; reason: string; ts: number; cfg: RetrainingConfig }>,
): Promise<void> {
  if (tracker === undefined) return;
  const { watch: w, cfg } = a;
  const runId = await tracker.startRun({
    runName: `${w.name} rollback ${w.version}`,
    startTime: a.ts,
    tags: { 'sextant.strategy': a.strategy, 'sextant.model': w.name, 'sextant.event': 'rollback', 'sextant.from': `${w.name}@${w.version}`, 'sextant.to': `${w.name}@${a.to}` },
    params: { margin: cfg.rollback.margin, min_t: cfg.rollback.minT, ...(w.since !== undefined ? { watch_since: w.since } : {}) },
  });
  const metrics: Record<string, number> = { watch_labels: w.n };
  const meanOf = (key: string, s: ShadowStats | undefined, loss: 'championLoss' | 'challengerLoss'): void => {
    if (s !== undefined && s.n > 0) metrics[key] = s[loss] / s.n;
  };
  meanOf('watch_promoted_log_loss', w.paired, 'challengerLoss');
  meanOf('watch_previous_log_loss', w.paired, 'championLoss');
  meanOf('watch_anchor_log_loss', w.anchor, 'championLoss');
  await tracker.logMetrics(runId, metrics, a.ts);
  await tracker.endRun(runId, 'FINISHED', a.ts, { 'sextant.outcome': 'rolled_back', 'sextant.reason': a.reason.slice(0, 250) });
}
