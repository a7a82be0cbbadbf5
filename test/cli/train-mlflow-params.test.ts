import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrain, runTrainDirection } from '../../cli/commands/train.js';
import type { TrainCliOptions } from '../../cli/commands/train.js';
import { createRetrainingTracker } from '../../models/mlflow/retraining-tracker.js';
import { silentLogger } from '../../state/logger.js';
import { startMlflowServer } from '../retraining/mlflow-server.js';
import { testDataDir } from '../support/data-dir.js';
import { tinyRegistry } from '../training/tiny-registry.js';

/**
 * `sextant train --search random` (no `--trials`) ran the default 8 trials, printed "8 trials" and
 * registered `search_trials` 8, but logged the MLflow param `trials` as "0".
 */
describe('sextant train: the MLflow params are what the pipeline ran', () => {
  let mlflow: Awaited<ReturnType<typeof startMlflowServer>>;
  beforeAll(async () => {
    mlflow = await startMlflowServer();
  });
  afterAll(async () => {
    await mlflow.close();
  });

  it('logs the search trials run when --trials was left to its default', async () => {
    const opts: TrainCliOptions = { data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', horizon: 4, kAtr: 0.75, name: 'direction-mlp', seed: 1, epochs: 1, from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 4, 1), search: 'random' };
    const tracker = createRetrainingTracker({ trackingUrl: mlflow.url, experiment: 'train-params', registerModels: true, timeoutMs: 5000 }, silentLogger);
    let t = Date.UTC(2024, 0, 1);
    const report = await runTrainDirection(opts, () => Promise.resolve(tinyRegistry()), () => undefined, { tracker, now: () => (t += 1000) });
    expect(report.search?.trials).toBe(8);
    const params = mlflow.calls.find((c) => c.path === 'runs/log-batch' && Array.isArray(c.body?.['params']) && (c.body['params'] as unknown[]).length > 0)?.body?.['params'];
    expect(params).toContainEqual({ key: 'search', value: 'random' });
    expect(params).toContainEqual({ key: 'trials', value: '8' });
  }, 120_000);

  it('logs the --cv scheme as params and its scores as metrics of the run (they were only printed)', async () => {
    const opts: TrainCliOptions = { data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', horizon: 4, kAtr: 0.75, name: 'direction-mlp', seed: 1, epochs: 1, from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 4, 1), cv: 'walk-forward', cvFolds: 3 };
    const tracker = createRetrainingTracker({ trackingUrl: mlflow.url, experiment: 'train-cv', registerModels: true, timeoutMs: 5000 }, silentLogger);
    let t = Date.UTC(2024, 0, 1);
    const before = mlflow.calls.length;
    const lines: string[] = [];
    await runTrain(opts, () => Promise.resolve(tinyRegistry()), (s) => lines.push(s), { tracker, now: () => (t += 1000) });
    const cv = (JSON.parse(lines.at(-1) ?? '{}') as { cv?: { folds: number; mlp: { mean: { logLoss: number }; pooled: { accuracy: number } }; logisticRegression: { std: { brier: number } } } }).cv;
    expect(cv).toBeDefined();
    const batches = mlflow.calls.slice(before).filter((c) => c.path === 'runs/log-batch');
    const params = batches.flatMap((c) => (c.body?.['params'] as { key: string; value: string }[] | undefined) ?? []);
    const metrics = batches.flatMap((c) => (c.body?.['metrics'] as { key: string; value: number }[] | undefined) ?? []);
    expect(params).toContainEqual({ key: 'cv', value: 'walk-forward' });
    expect(params).toContainEqual({ key: 'cv_embargo_bars', value: '24' });
    const metric = (key: string): number | undefined => metrics.find((m) => m.key === key)?.value;
    expect(metric('cv_folds')).toBe(cv?.folds);
    expect(metric('cv_mlp_log_loss_mean')).toBeCloseTo(cv?.mlp.mean.logLoss ?? NaN, 12);
    expect(metric('cv_mlp_accuracy_pooled')).toBeCloseTo(cv?.mlp.pooled.accuracy ?? NaN, 12);
    expect(metric('cv_lr_brier_std')).toBeCloseTo(cv?.logisticRegression.std.brier ?? NaN, 12);
    // The registered metrics are still logged beside them.
    expect(metrics.some((m) => m.key === 'test_accuracy' || m.key.startsWith('test_'))).toBe(true);
  }, 180_000);
});
