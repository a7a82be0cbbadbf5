import { afterEach, describe, expect, it } from 'vitest';
import { createMlflowClient } from '../../models/mlflow/mlflow-client.js';
import { createRetrainingTracker } from '../../models/mlflow/retraining-tracker.js';
import { describeTrainingRun, logTrainingRun } from '../../models/mlflow/training-run.js';
import { listParams } from '../../models/mlflow/run-params.js';
import type { ModelVersion } from '../../models/registry/model-registry.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import { startMlflowServer } from './mlflow-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T = Date.UTC(2024, 2, 1);
const model = { name: 'direction-mlp', version: 4, parentVersion: null, configHash: 'cfg', featureSpecHash: 'fs', metrics: { test_accuracy: 0.5 } } as unknown as ModelVersion;
const run = { model, kind: 'mlp', params: { seed: 42, epochs: 5 }, startTime: T, endTime: T + 1000 };

async function server(): Promise<Awaited<ReturnType<typeof startMlflowServer>>> {
  const srv = await startMlflowServer();
  cleanups.push(srv.close);
  return srv;
}
function recordingLog(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (o: unknown, msg?: string) => void warnings.push(`${msg ?? ''} ${JSON.stringify(o)}`), child: () => log };
  return { log, warnings };
}

describe('MLflow REST: errors, limits, runs that cannot be created', () => {
  it("says an HTTP error without an MLflow error code in one line: no double space, a proxy's HTML page cut to its title or 120 characters", async () => {
    const srv = await server();
    const client = createMlflowClient({ trackingUrl: srv.url, timeoutMs: 2000 });
    srv.raw.set('POST runs/update', { status: 502, contentType: 'text/html', body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n' });
    await expect(client.updateRun('r', 'FINISHED', T)).rejects.toThrow(/^MLflow runs\/update: HTTP 502 502 Bad Gateway$/);
    const page = `<!doctype html><html><head><style>body { font: 12px sans-serif; }</style></head><body><p>${'upstream went away; '.repeat(100)}</p></body></html>`;
    srv.raw.set('POST runs/update', { status: 503, contentType: 'text/html', body: page });
    const err = await client.updateRun('r', 'FINISHED', T).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/^MLflow runs\/update: HTTP 503 upstream went away; upstream/);
    expect(err?.message).not.toMatch(/ {2}|<|font/);
    expect(err?.message.length).toBeLessThanOrEqual('MLflow runs/update: HTTP 503 '.length + 120);
  });

  it("cuts a log-batch into requests within MLflow's limits (1000 metrics, 100 params, 100 tags, 1000 in all)", async () => {
    const srv = await server();
    const client = createMlflowClient({ trackingUrl: srv.url, timeoutMs: 2000 });
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const tags = Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: 'x' }));
    const metrics = Array.from({ length: 1500 }, (_, i) => ({ key: `m${i}`, value: i, timestamp: T, step: 0 }));
    await client.logBatch('run9', { params, tags, metrics });
    const bodies = srv.calls.map((c) => c.body as { params: unknown[]; metrics: unknown[]; tags: unknown[] });
    expect(bodies.length).toBeGreaterThan(1);
    for (const b of bodies) {
      expect(b.params.length).toBeLessThanOrEqual(100);
      expect(b.tags.length).toBeLessThanOrEqual(100);
      expect(b.params.length + b.tags.length + b.metrics.length).toBeLessThanOrEqual(1000);
    }
    expect(bodies.flatMap((b) => b.params)).toEqual(params);
    expect(bodies.flatMap((b) => b.tags)).toEqual(tags);
    expect(bodies.flatMap((b) => b.metrics)).toEqual(metrics);
    expect(srv.params.get('run9')?.size).toBe(250);
  });

  it('keeps a list param past 6000 characters whole, split over numbered keys', async () => {
    const srv = await server();
    const tracker = createRetrainingTracker({ trackingUrl: srv.url, experiment: 'x', registerModels: false, timeoutMs: 2000 }, silentLogger);
    const names = Array.from({ length: 400 }, (_, i) => `feature_with_a_long_name_${i}`); // ~12,000 characters joined
    const runId = await tracker.startRun({ runName: 'r', startTime: T, tags: {}, params: listParams('selected_features', names) });
    const logged = srv.params.get(runId ?? '') ?? new Map<string, string>();
    expect(logged.get('selected_features_count')).toBe('400');
    const parts = [...logged.entries()].filter(([k]) => /^selected_features(_\d+)?$/.test(k)).map(([, v]) => v);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((v) => v.length <= 6000)).toBe(true);
    expect(parts.join(',').split(',')).toEqual(names);
  });

  it('a run that cannot be created: one warning naming the tracking URL, no log-batch, and a line for stdout with the cause', async () => {
    const srv = await server();
    srv.failAll.on = true;
    const { log, warnings } = recordingLog();
    const tracker = createRetrainingTracker({ trackingUrl: srv.url, experiment: 'train', registerModels: true, timeoutMs: 2000 }, log);
    const logged = await logTrainingRun(tracker, run);
    expect(logged).toEqual({ runId: null, trackingUrl: srv.url, cause: 'MLflow experiments/get-by-name: HTTP 500 INTERNAL_ERROR down for the test' });
    expect(describeTrainingRun(logged ?? { runId: '', failed: [] })).toBe(`MLflow: no run logged at ${srv.url} (MLflow experiments/get-by-name: HTTP 500 INTERNAL_ERROR down for the test); the model is registered all the same`);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(srv.url);
    expect(srv.calls.some((c) => c.path === 'runs/log-batch')).toBe(false);
  });

  it('a run created while log-batch fails: one warning for its params, not two (the run began with an empty batch)', async () => {
    const srv = await server();
    srv.failing.add('POST runs/log-batch');
    const { log, warnings } = recordingLog();
    const tracker = createRetrainingTracker({ trackingUrl: srv.url, experiment: 'train', registerModels: false, timeoutMs: 2000 }, log);
    await logTrainingRun(tracker, run);
    expect(warnings.filter((w) => w.includes('"what":"logParams"'))).toHaveLength(1);
    expect(srv.calls.filter((c) => c.path === 'runs/log-batch').every((c) => JSON.stringify(c.body) !== JSON.stringify({ run_id: 'run1', params: [], metrics: [], tags: [] }))).toBe(true);
  });
});
