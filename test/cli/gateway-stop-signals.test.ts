import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * `sextant gateway` listened with process.once: a second Ctrl-C while it stopped killed it without a
 * word, a SIGTERM after a SIGINT was swallowed. It now stops as run and replay do (cli/stop-signals.ts).
 * Real NATS; the provider (twelvedata) points at a closed port, so its feeds retry until stopped.
 */
describe('sextant gateway stop signals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-gateway-signals-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    `prefix: gss${process.pid}\nstreamNamePrefix: GSS${process.pid}_\nnats:\n  url: ${NATS_URL}\nlog:\n  level: silent\nmarketData:\n  provider: twelvedata\n  timeframes: [1h]\n  urls: { rest: 'http://127.0.0.1:9' }\n`,
  );
  afterAll(async () => {
    const bus = await createNatsBus({ url: NATS_URL, name: 'gateway-stop-signals-cleanup', connectTimeoutMs: 3000 });
    await bus.deleteStreams(streamSpecs(loadConfig({ file })).map((s) => s.name));
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('stops its feeds at the first signal, and at a second one while stopping exits at once with a line', async () => {
    vi.stubEnv('SEXTANT_MARKET_DATA_API_KEY', 'test-key');
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const proc = fakeProcess();
    const forced: [string, number][] = [];
    const run = runGateway({ configFile: file, stopSignals: (w) => onStopSignals(w, proc, (m, c) => forced.push([m, c])) });
    await vi.waitFor(() => expect(proc.listeners()).toBe(2), { timeout: 10_000, interval: 20 });
    proc.send('SIGINT');
    proc.send('SIGTERM');
    expect(forced).toEqual([['sextant: SIGTERM while stopping: exiting now; the bars and trades in flight may not be published (the next start backfills the bars)', 143]]);
    await run;
    expect(proc.listeners()).toBe(0);
    const summary = JSON.parse(out.find((l) => l.startsWith('{"feeds"')) ?? 'null') as { feeds: number } | null;
    expect(summary?.feeds).toBeGreaterThan(0);
  }, 30_000);
});
