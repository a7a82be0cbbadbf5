import { afterEach, describe, expect, it } from 'vitest';
import { logChallengerParams, startCycleRun } from '../../models/mlflow/retraining-runs.js';
import { createRetrainingTracker } from '../../models/mlflow/retraining-tracker.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { DEFAULT_PARAMS } from '../../models/training/model-params.js';
import { silentLogger } from '../../state/logger.js';
import { startMlflowServer } from './mlflow-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A retraining cycle's run logged the trigger, seed, epochs, sample counts and shadow settings,
 * but not the rest of what decided the challenger: the validation share, the warm start and its
 * learning rate (defaults, set by no one), nor the challenger's hyperparameters, which
 * `sextant train` logs as `hidden`, `learning_rate`, `l2`, `batch_size`, `patience`.
 */
describe("retraining cycle's MLflow run: the effective settings", () => {
  it('logs the training settings with their defaults, then the fitted challenger\'s hyperparameters under sextant train\'s names', async () => {
    const srv = await startMlflowServer();
    cleanups.push(srv.close);
    const tracker = createRetrainingTracker({ trackingUrl: srv.url, experiment: 'cycles', registerModels: false, timeoutMs: 2000 }, silentLogger);
    const cfg = RetrainingConfigSchema.parse({ enabled: true });
    const ts = Date.UTC(2024, 2, 1);
    const runId = await startCycleRun(tracker, { model: 'dir', strategy: 's1', trigger: { kind: 'schedule', detail: '120 labels' }, ts, champion: { name: 'dir', version: 1 }, cfg });
    expect(runId).toBe('run1');
    // A warm start fits the champion's layers at the warm start's learning rate.
    await logChallengerParams(tracker, runId, { ...DEFAULT_PARAMS.mlp, seed: cfg.training.seed, epochs: cfg.training.epochs, hidden: [8], learningRate: cfg.training.warmStart.learningRate });
    const params = Object.fromEntries(srv.params.get('run1') ?? []);
    expect(params).toMatchObject({
      validation_fraction: String(cfg.training.validationFraction),
      warm_start: 'true',
      warm_start_learning_rate: String(cfg.training.warmStart.learningRate),
      seed: String(cfg.training.seed),
      epochs: String(cfg.training.epochs),
      hidden: '8',
      learning_rate: String(cfg.training.warmStart.learningRate),
      l2: String(DEFAULT_PARAMS.mlp.l2),
      batch_size: String(DEFAULT_PARAMS.mlp.batchSize),
      patience: String(DEFAULT_PARAMS.mlp.patience),
    });
  });
});
