import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRetrainVsFrozen } from '../../cli/commands/experiment.js';
import { REGIME_WINDOWS } from '../../cli/commands/regime-windows.js';
import { testDataDir } from '../support/data-dir.js';

/**
 * With `retraining.mlflow.trackingUrl` set (a desk's MLflow), the loop arm's retraining actor
 * logged its cycles into the configured experiment and registered each challenger of the
 * experiment's throwaway in-memory registry as a version of the production model's MLflow name
 * (`direction-mlp`, tagged `sextant.version` 4 where the desk's registry has another version 4),
 * and the cycle still open when a window ended left its run RUNNING. The experiment logs nothing.
 */
describe('sextant experiment retrain-vs-frozen and MLflow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-exp-mlflow-'));
  const calls: string[] = [];
  const server = createServer((req, res) => {
    calls.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'recorder' }));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the configured MLflow server alone while the loop arm retrains', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const configFile = join(dir, 'mlflow.yaml');
    writeFileSync(configFile, `retraining:\n  mlflow:\n    trackingUrl: http://127.0.0.1:${port}\n`);
    const window = REGIME_WINDOWS.find((w) => w.name.startsWith('2024-08'));
    if (window === undefined) throw new Error('no 2024-08 window');
    const r = await runRetrainVsFrozen({ configFile, data: testDataDir(), windows: [window], symbols: ['BTC/USDT'], arms: ['loop'], retrainEveryDays: 14, embargoHours: 24, trainYears: 1, epochs: 3, reportDir: dir });
    const loop = r.windows[0]?.arms.loop;
    expect(r.windows[0]?.error).toBeNull();
    // The loop arm did retrain (what it would have logged)…
    expect(loop?.retraining?.trainings).toBeGreaterThan(0);
    // …and nothing reached the tracking server.
    expect(calls).toEqual([]);
  }, 240_000);
});
