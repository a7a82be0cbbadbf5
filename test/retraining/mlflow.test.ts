import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRetrainingTracker } from '../../models/mlflow/retraining-tracker.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import { startMlflowServer } from './mlflow-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T = Date.UTC(2024, 2, 1);

describe('MLflow tracking (local REST server)', () => {
  it('creates the experiment once, a run with params, metrics with event-time stamps, a model version, and ends the run', async () => {
    const srv = await startMlflowServer();
    cleanups.push(srv.close);
    const t = createRetrainingTracker({ trackingUrl: srv.url, experiment: 'sx-test', registerModels: true, timeoutMs: 2000 }, silentLogger);
    const run = await t.startRun({ runName: 'dir retrain 1', startTime: T, tags: { 'sextant.trigger': 'schedule' }, params: { seed: 42, epochs: 5 } });
    expect(run).toBe('run1');
    await t.logMetrics(run, { val_log_loss: 0.97, nan_is_dropped: Number.NaN }, T + 10);
    await t.logModelVersion(run, { name: 'dir', version: 2, source: 'sextant-registry://dir/2' });
    await t.endRun(run, 'FINISHED', T + 20, { 'sextant.outcome': 'promoted' });
    const run2 = await t.startRun({ runName: 'dir retrain 2', startTime: T + 30, tags: {}, params: {} });
    expect(run2).toBe('run2');
    await t.logModelVersion(run2, { name: 'dir', version: 3, source: 'sextant-registry://dir/3' });

    const paths = srv.calls.map((c) => `${c.method} ${c.path}`);
    expect(paths).toEqual([
      'GET experiments/get-by-name',
      'POST experiments/create',
      'POST runs/create',
      'POST runs/log-batch',
      'POST runs/log-batch',
      'POST registered-models/create',
      'POST model-versions/create',
      'POST runs/log-batch',
      'POST runs/update',
      'POST runs/create', // the experiment id is cached; no params: no (empty) log-batch
      'POST registered-models/create', // already exists: tolerated
      'POST model-versions/create',
    ]);
    const c = srv.calls;
    expect(c[0]?.query).toEqual({ experiment_name: 'sx-test' });
    expect(c[1]?.body).toEqual({ name: 'sx-test' });
    expect(c[2]?.body).toEqual({ experiment_id: '1', run_name: 'dir retrain 1', start_time: T, tags: [{ key: 'sextant.trigger', value: 'schedule' }] });
    expect(c[3]?.body).toEqual({ run_id: 'run1', params: [{ key: 'seed', value: '42' }, { key: 'epochs', value: '5' }], metrics: [], tags: [] });
    expect(c[4]?.body).toEqual({ run_id: 'run1', params: [], metrics: [{ key: 'val_log_loss', value: 0.97, timestamp: T + 10, step: 0 }], tags: [] });
    expect(c[6]?.body).toEqual({ name: 'dir', source: 'sextant-registry://dir/2', run_id: 'run1', tags: [{ key: 'sextant.version', value: '2' }] });
    expect(c[8]?.body).toEqual({ run_id: 'run1', status: 'FINISHED', end_time: T + 20 });
  });

  it('keeps and ends a run whose params the server refused, instead of leaving it RUNNING', async () => {
    const srv = await startMlflowServer();
    cleanups.push(srv.close);
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (o: unknown, msg?: string) => void warnings.push(`${msg ?? ''} ${JSON.stringify(o)}`), child: () => log };
    const t = createRetrainingTracker({ trackingUrl: srv.url, experiment: 'x', registerModels: true, timeoutMs: 2000 }, log);
    srv.failing.add('POST runs/log-batch');
    const run = await t.startRun({ runName: 'r', startTime: T, tags: {}, params: { seed: 42 } });
    expect(run).toBe('run1');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/logParams/);
    srv.failing.clear();
    await t.logMetrics(run, { val_log_loss: 0.9 }, T + 1);
    await t.endRun(run, 'FINISHED', T + 2);
    expect(srv.calls.at(-1)?.body).toEqual({ run_id: 'run1', status: 'FINISHED', end_time: T + 2 });
  });

  it('logs failures and never throws; off without a tracking URL', async () => {
    const srv = await startMlflowServer();
    cleanups.push(srv.close);
    srv.failAll.on = true;
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (o: unknown, msg?: string) => void warnings.push(`${msg ?? ''} ${JSON.stringify(o)}`), child: () => log };
    const t = createRetrainingTracker({ trackingUrl: srv.url, experiment: 'x', registerModels: true, timeoutMs: 2000 }, log);
    await expect(t.startRun({ runName: 'r', startTime: T, tags: {}, params: {} })).resolves.toBeUndefined();
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/HTTP 500 INTERNAL_ERROR/);
    // A port nothing listens on (port 1 is one fetch refuses to call at all: "bad port").
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const dead = createRetrainingTracker({ trackingUrl: `http://127.0.0.1:${port}`, experiment: 'x', registerModels: true, timeoutMs: 500 }, log);
    await expect(dead.startRun({ runName: 'r', startTime: T, tags: {}, params: {} })).resolves.toBeUndefined();
    expect(warnings.length).toBe(2); // the unreachable server is said too
    // …naming the server and why it was not reached: "fetch failed" alone said neither.
    expect(warnings[1]).toContain(`MLflow experiments/get-by-name at http://127.0.0.1:${port}: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`);
    const off = createRetrainingTracker({ experiment: 'x', registerModels: true, timeoutMs: 500 }, log);
    expect(off.enabled).toBe(false);
    await expect(off.startRun({ runName: 'r', startTime: T, tags: {}, params: {} })).resolves.toBeUndefined();
  });
});
