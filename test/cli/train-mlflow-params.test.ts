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

  it('names CPCV\'s counts for what they are: its groups as the cv_groups param, its splits and paths as the cv_splits and cv_paths metrics, no cv_folds', async () => {
    const opts: TrainCliOptions = { data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', horizon: 4, kAtr: 0.75, name: 'direction-mlp', seed: 1, epochs: 1, from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 4, 1), cv: 'cpcv', cvFolds: 4 };
    const tracker = createRetrainingTracker({ trackingUrl: mlflow.url, experiment: 'train-cpcv', registerModels: true, timeoutMs: 5000 }, silentLogger);
    let t = Date.UTC(2024, 0, 1);
    const before = mlflow.calls.length;
    const lines: string[] = [];
    await runTrain(opts, () => Promise.resolve(tinyRegistry()), (s) => lines.push(s), { tracker, now: () => (t += 1000) });
    const cv = (JSON.parse(lines.at(-1) ?? '{}') as { cv?: { folds: number; paths?: number } }).cv;
    const batches = mlflow.calls.slice(before).filter((c) => c.path === 'runs/log-batch');
    const params = batches.flatMap((c) => (c.body?.['params'] as { key: string; value: string }[] | undefined) ?? []);
    const metrics = batches.flatMap((c) => (c.body?.['metrics'] as { key: string; value: number }[] | undefined) ?? []);
    expect(params).toContainEqual({ key: 'cv_groups', value: '4' });
    expect(params).toContainEqual({ key: 'cv_test_groups', value: '2' });
    expect(params.map((p) => p.key)).not.toContain('cv_folds');
    // C(4, 2) = 6 splits; each group is tested in C(3, 1) = 3 of them: 3 paths.
    expect(cv?.folds).toBe(6);
    expect(cv?.paths).toBe(3);
    const metric = (key: string): number | undefined => metrics.find((m) => m.key === key)?.value;
    expect(metric('cv_splits')).toBe(cv?.folds);
    expect(metric('cv_paths')).toBe(cv?.paths);
    expect(metrics.map((m) => m.key)).not.toContain('cv_folds');
  }, 180_000);

  it('logs the final fit\'s epochs: the stacked ensemble\'s as its meta-learner\'s (meta_epochs_run, meta_best_epoch)', async () => {
    const opts: TrainCliOptions = { data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', horizon: 4, kAtr: 0.75, name: 'direction-ens', seed: 1, epochs: 1, from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 4, 1), model: 'ensemble' };
    const tracker = createRetrainingTracker({ trackingUrl: mlflow.url, experiment: 'train-meta-epochs', registerModels: true, timeoutMs: 5000 }, silentLogger);
    let t = Date.UTC(2024, 0, 1);
    const before = mlflow.calls.length;
    const report = await runTrainDirection(opts, () => Promise.resolve(tinyRegistry()), () => undefined, { tracker, now: () => (t += 1000) });
    const metrics = mlflow.calls
      .slice(before)
      .filter((c) => c.path === 'runs/log-batch')
      .flatMap((c) => (c.body?.['metrics'] as { key: string; value: number }[] | undefined) ?? []);
    const metric = (key: string): number | undefined => metrics.find((m) => m.key === key)?.value;
    // The meta-learner gets at least 30 epochs whatever --epochs says: these are its, not the bases' one.
    expect(report.training.epochsRun).toBeGreaterThan(opts.epochs);
    expect(metric('meta_epochs_run')).toBe(report.training.epochsRun);
    expect(metric('meta_best_epoch')).toBe(report.training.bestEpoch);
    expect(metric('epochs_run')).toBeUndefined();
  }, 180_000);

  it('logs the effective settings: the hyperparameters of the final fit, the features kept, and each search trial as a child run', async () => {
    const opts: TrainCliOptions = { data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', horizon: 4, kAtr: 0.75, name: 'direction-mlp', seed: 1, epochs: 1, from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 4, 1), search: 'random', trials: 2, selectFeatures: true };
    const tracker = createRetrainingTracker({ trackingUrl: mlflow.url, experiment: 'train-effective', registerModels: true, timeoutMs: 5000 }, silentLogger);
    let t = Date.UTC(2024, 0, 1);
    const before = mlflow.calls.length;
    const report = await runTrainDirection(opts, () => Promise.resolve(tinyRegistry()), () => undefined, { tracker, now: () => (t += 1000) });
    const calls = mlflow.calls.slice(before);
    const created = calls.filter((c) => c.path === 'runs/create');
    expect(created).toHaveLength(3); // the run and its 2 trials
    const parentIndex = mlflow.calls.indexOf(created[0]!);
    const parent = (mlflow.calls.slice(parentIndex + 1).find((c) => c.path === 'runs/log-batch')?.body?.['run_id'] as string | undefined) ?? '';
    const params = mlflow.params.get(parent);
    expect(params?.get('learning_rate')).toBe(String(report.params.learningRate));
    expect(params?.get('hidden')).toBe(report.params.hidden.join('-'));
    expect(params?.get('batch_size')).toBe(String(report.params.batchSize));
    expect(params?.get('l2')).toBe(String(report.params.l2));
    expect(params?.get('select_features')).toBe('true');
    expect(params?.get('selected_features')).toBe(report.features.join(','));
    expect(params?.get('selected_features_count')).toBe(String(report.features.length));
    expect(report.search?.history).toHaveLength(2);
    for (const [i, trial] of (report.search?.history ?? []).entries()) {
      const child = created[i + 1];
      const tags = child?.body?.['tags'] as { key: string; value: string }[];
      expect(tags).toContainEqual({ key: 'mlflow.parentRunId', value: parent });
      const childId = `run${Number(parent.slice(3)) + i + 1}`;
      const childParams = mlflow.params.get(childId);
      expect(childParams?.get('learning_rate')).toBe(String(trial.params['learningRate']));
      const metric = calls.find((c) => c.body?.['run_id'] === childId && ((c.body['metrics'] ?? []) as unknown[]).length > 0)?.body?.['metrics'];
      expect(metric).toContainEqual({ key: 'val_log_loss', value: trial.loss, timestamp: expect.any(Number) as unknown, step: 0 });
      expect(calls.find((c) => c.path === 'runs/update' && c.body?.['run_id'] === childId)?.body?.['status']).toBe('FINISHED');
    }
  }, 180_000);

  it('logs cv_folds and the MLP hyperparameters when left to their defaults, and says on stdout when the run could not be created', async () => {
    const opts: TrainCliOptions = { data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', horizon: 4, kAtr: 0.75, name: 'direction-mlp', seed: 1, epochs: 1, from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 4, 1), cv: 'purged-kfold' };
    const tracker = createRetrainingTracker({ trackingUrl: mlflow.url, experiment: 'train-cv-default', registerModels: true, timeoutMs: 5000 }, silentLogger);
    let t = Date.UTC(2024, 0, 1);
    const before = mlflow.calls.length;
    await runTrain(opts, () => Promise.resolve(tinyRegistry()), () => undefined, { tracker, now: () => (t += 1000) });
    const runId = mlflow.calls.slice(before).find((c) => c.path === 'runs/log-batch')?.body?.['run_id'] as string;
    const params = mlflow.params.get(runId);
    expect(params?.get('cv_folds')).toBe('5');
    expect(params?.get('hidden')).toBe('32-16');
    expect(params?.get('learning_rate')).toBe('0.001');

    mlflow.failAll.on = true;
    const lines: string[] = [];
    try {
      await runTrain({ ...opts, cv: undefined }, () => Promise.resolve(tinyRegistry()), (s) => lines.push(s), { tracker, now: () => (t += 1000) });
    } finally {
      mlflow.failAll.on = false;
    }
    // The experiment's id is known from the first run: the run's creation is what failed.
    expect(lines).toContainEqual(`MLflow: no run logged at ${mlflow.url} (MLflow runs/create: HTTP 500 INTERNAL_ERROR down for the test); the model is registered all the same\n`);
  }, 180_000);
});
