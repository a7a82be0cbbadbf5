import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEngine } from '../../cli/commands/run.js';
import { claimNamespace } from '../../cli/engine-presence.js';
import { loadConfig } from '../../config/load.js';
import { silentLogger } from '../../state/logger.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { NATS_URL } from '../decision/engine-run.js';
import { fakeProcess } from '../support/fake-signals.js';
import { dropSchema } from '../support/pg.js';

/**
 * `sextant run` whose start-up fails after it claimed its namespace (here the gateway's port is
 * taken): the claim kept answering, the engine consuming and the connections open until main's
 * exit, so a caller embedding runEngine found its namespace held by "another engine" at the next
 * start. Real NATS, Redis and PostgreSQL; fails, never skips, when one is down.
 */
describe('sextant run failing to start after its namespace claim', () => {
  it('releases the claim and closes what it started before passing the failure on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-run-startup-'));
    const ns = `rsf${process.pid}`;
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    const file = join(dir, 'run.yaml');
    writeFileSync(file, [`prefix: sx${ns}`, `streamNamePrefix: ${ns.toUpperCase()}_`, 'redis:', `  keyPrefix: ${ns}`, 'postgres:', `  schema: sextant_${ns}`, 'log:', '  level: silent', 'gateway:', '  enabled: true', `  port: ${port}`, ''].join('\n'));
    const cfg = loadConfig({ file });
    const bus = await createNatsBus({ url: NATS_URL, name: 'run-startup-failure', connectTimeoutMs: 3000 });
    try {
      const proc = fakeProcess();
      await expect(runEngine({ configFile: file, mode: 'live', signals: proc })).rejects.toThrow(/EADDRINUSE|in use/);
      expect(proc.listeners()).toBe(0);
      // Before, the failed run still answered on <prefix>.engine.presence: refused as another engine.
      const claim = await claimNamespace(bus, subjectsFor(cfg.prefix), silentLogger);
      claim.unsubscribe();
    } finally {
      await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name)).catch(() => undefined);
      await bus.close();
      await new Promise<void>((r) => taken.close(() => r()));
      await dropSchema(cfg.postgres.url, `sextant_${ns}`);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
