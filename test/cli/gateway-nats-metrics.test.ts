import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runGateway } from '../../cli/commands/gateway.js';
import { loadConfig } from '../../config/load.js';
import { onStopSignals } from '../../cli/stop-signals.js';
import { fakeProcess } from '../support/fake-signals.js';
import { streamSpecs } from '../../streams/provision.js';
import { createNatsBus } from '../../streams/nats-bus.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

/**
 * `sextant gateway` watched its NATS link only in its log: its /metrics (marketData.http) had the
 * feeds' statuses but no `sextant_nats_*`, so Prometheus saw a gateway cut off from NATS as healthy.
 * Real NATS; the provider (twelvedata) points at a closed port, so its feeds retry until stopped.
 */
describe('sextant gateway: its NATS connection on /metrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-gateway-nats-metrics-'));
  const file = join(dir, 'c.yaml');
  afterAll(async () => {
    const bus = await createNatsBus({ url: NATS_URL, name: 'gateway-nats-metrics-cleanup', connectTimeoutMs: 3000 });
    await bus.deleteStreams(streamSpecs(loadConfig({ file })).map((s) => s.name));
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('exports sextant_nats_connected, _reconnects_total and _last_outage_seconds under its client name', async () => {
    const port = await freePort();
    writeFileSync(
      file,
      `prefix: gnm${process.pid}\nstreamNamePrefix: GNM${process.pid}_\nnats:\n  url: ${NATS_URL}\n  name: gnm\nlog:\n  level: silent\nmarketData:\n  provider: twelvedata\n  timeframes: [1h]\n  urls: { rest: 'http://127.0.0.1:9' }\n  http: { enabled: true, host: 127.0.0.1, port: ${port} }\n`,
    );
    vi.stubEnv('SEXTANT_MARKET_DATA_API_KEY', 'test-key');
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const proc = fakeProcess();
    const run = runGateway({ configFile: file, stopSignals: (w) => onStopSignals(w, proc, () => {}) });
    try {
      // The signals are listened to before the HTTP server starts: wait for it to answer.
      const text = await vi.waitFor(async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), { timeout: 10_000, interval: 50 });
      expect(text).toMatch(/^sextant_nats_connected\{connection="gnm-gateway"\} 1$/m);
      expect(text).toMatch(/^sextant_nats_reconnects_total\{connection="gnm-gateway"\} 0$/m);
      expect(text).toMatch(/^sextant_nats_last_outage_seconds\{connection="gnm-gateway"\} 0$/m);
    } finally {
      proc.send('SIGINT');
      await run;
    }
  }, 30_000);
});
