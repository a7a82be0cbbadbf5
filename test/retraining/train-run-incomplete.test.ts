import { afterEach, describe, expect, it } from 'vitest';
import { createRetrainingTracker } from '../../models/mlflow/retraining-tracker.js';
import { describeTrainingRun, logTrainingRun } from '../../models/mlflow/training-run.js';
import type { ModelVersion } from '../../models/registry/model-registry.js';
import { silentLogger } from '../../state/logger.js';
import { startMlflowServer } from './mlflow-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T = Date.UTC(2024, 2, 1);
const model = { name: 'direction-mlp', version: 4, parentVersion: null, configHash: 'cfg', featureSpecHash: 'fs', metrics: { test_accuracy: 0.5 } } as unknown as ModelVersion;
const run = { model, kind: 'baseline-mlp', params: { seed: 42, epochs: 5 }, startTime: T, endTime: T + 1000 };

/**
 * `sextant train` printed "MLflow run run1" once the run was created, even when logging its
 * metrics, its model version or ending it failed afterwards (MLflow then showed a run without
 * metrics, still RUNNING). The answer now says which calls failed, and the line says so.
 */
describe('sextant train: an MLflow run whose later calls failed', () => {
  it('names the failed calls instead of reporting the run as logged', async () => {
    const srv = await startMlflowServer();
    cleanups.push(srv.close);
    const tracker = createRetrainingTracker({ trackingUrl: srv.url, experiment: 'train', registerModels: true, timeoutMs: 2000 }, silentLogger);
    srv.failing.add('POST runs/log-batch');
    srv.failing.add('POST runs/update');
    const logged = await logTrainingRun(tracker, run);
    expect(logged).toEqual({ runId: 'run1', failed: ['logParams', 'logMetrics', 'endRun'] });
    const line = describeTrainingRun(logged ?? { runId: '', failed: [] });
    expect(line).toMatch(/^MLflow run run1 is incomplete: logParams, logMetrics, endRun failed/);
    expect(line).toContain('RUNNING');
  });

  it('reports a run whose every call went through as before', async () => {
    const srv = await startMlflowServer();
    cleanups.push(srv.close);
    const tracker = createRetrainingTracker({ trackingUrl: srv.url, experiment: 'train', registerModels: true, timeoutMs: 2000 }, silentLogger);
    const logged = await logTrainingRun(tracker, run);
    expect(logged).toEqual({ runId: 'run1', failed: [] });
    expect(describeTrainingRun(logged ?? { runId: '', failed: [] })).toBe('MLflow run run1');
    const params = srv.calls.flatMap((c) => (c.path === 'runs/log-batch' ? ((c.body?.['params'] as { key: string; value: string }[] | undefined) ?? []) : []));
    expect(params).toContainEqual({ key: 'epochs', value: '5' });
    expect(srv.calls.at(-1)?.body).toEqual({ run_id: 'run1', status: 'FINISHED', end_time: T + 1000 });
  });
});
