import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { demoConfig } from '../../cli/commands/demo.js';
import { watchDemoNats } from '../../cli/commands/demo-nats.js';
import { loadConfig } from '../../config/load.js';
import { createRedisFeatureStore } from '../../state/redis-feature-store.js';
import { streamSpecs } from '../../streams/provision.js';
import type { Logger } from '../../state/logger.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { testDataDir } from '../support/data-dir.js';
import { startNatsCutProxy } from '../support/nats-cut-proxy.js';
import { dropSchema } from '../support/pg.js';

const ROOT = resolve(import.meta.dirname, '../..');

type Line = Readonly<{ level: string; fields: Record<string, unknown>; msg: string }>;

const recordingLogger = (lines: Line[]): Logger => {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void =>
      void lines.push({ level, fields, msg });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
};

const until = async (what: string, ok: () => boolean, ms = 10_000): Promise<void> => {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

// The shared NATS is never stopped: the demo's client is cut off by a proxy instead.
describe("sextant demo's NATS link (real NATS behind a proxy that is cut)", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('says when the connection drops and when it is back, as sextant run does', async () => {
    const proxy = await startNatsCutProxy();
    cleanups.push(() => proxy.close());
    const bus = await createNatsBus({ url: proxy.url, name: 'demo-nats-test', connectTimeoutMs: 3000, requestTimeoutMs: 3000 });
    cleanups.push(() => bus.close());
    const lines: Line[] = [];
    const link = watchDemoNats(bus, 'sextant', recordingLogger(lines));
    cleanups.push(() => link?.stop());
    expect(link?.state().connected).toBe(true);

    proxy.cut({ reset: true });
    await until('the disconnect warning', () => lines.length === 1);
    expect(lines[0]).toMatchObject({ level: 'warn', fields: { connection: 'sextant', error: expect.stringMatching(/ECONNRESET/) } });
    expect(lines[0]?.msg).toMatch(/^NATS connection lost: reconnecting/);
    expect(link?.state().connected).toBe(false);

    proxy.restore();
    await until('the reconnect info', () => lines.length === 2);
    expect(lines[1]).toMatchObject({ level: 'info', fields: { connection: 'sextant' } });
    expect(lines[1]?.msg).toMatch(/^NATS connection back after /);
    expect(link?.state()).toMatchObject({ connected: true, disconnects: 1, reconnects: 1 });
  });

  it('watches nothing on the in-process bus (--embedded, or NATS unreachable at start)', () => {
    expect(watchDemoNats(createMemoryBus(), 'sextant', recordingLogger([]))).toBeUndefined();
  });

  describe('the demo itself (a child process)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-demo-nats-'));
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, ['models:', '  trainingCacheDir: null', `  artifactDir: ${join(dir, 'models')}`, ''].join('\n'));
    const ns = `dn${randomUUID().replaceAll('-', '').slice(0, 8)}`;
    afterAll(async () => {
      const cfg = demoConfig(loadConfig({ file: configFile }), ['BTC/USDT'], '1h', ns);
      const bus = await createNatsBus({ url: cfg.nats.url, name: 'demo-nats-cleanup', connectTimeoutMs: 3000 });
      await bus.deleteStreams(streamSpecs(cfg).map((x) => x.name));
      await bus.close();
      const redis = await createRedisFeatureStore({ url: cfg.redis.url, keyPrefix: cfg.redis.keyPrefix, historyCap: 1 });
      await redis.clear();
      await redis.close();
      await dropSchema(cfg.postgres.url, cfg.postgres.schema);
      rmSync(dir, { recursive: true, force: true });
    });

    it('logs the drop of its NATS connection while it trains, and its return', async () => {
      const proxy = await startNatsCutProxy();
      cleanups.push(() => proxy.close());
      const child = spawn(process.execPath, [resolve(ROOT, 'bin/sextant.js'), '-c', configFile, 'demo', '--namespace', ns, '--retrain', '--no-faults', '--symbols', 'BTC/USDT', '--from', '2024-03-01', '--to', '2024-03-12'], {
        cwd: ROOT,
        env: { ...process.env, SEXTANT_DATA_DIR: testDataDir(), SEXTANT__nats__url: proxy.url },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      cleanups.push(() => void child.kill('SIGKILL'));
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      await until('the model training', () => err.includes('training direction-mlp on the 1h bars'), 60_000);
      proxy.cut({ reset: true });
      await until('the drop logged', () => err.includes('NATS connection lost: reconnecting'));
      proxy.restore();
      await until('the return logged', () => /NATS connection back after \d+\.\d s/.test(err));
      const logged = err.split('\n').filter((l) => l.includes('NATS connection')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.map((l) => [l['level'], l['connection']]), err).toEqual([
        [40, 'sextant'],
        [30, 'sextant'],
      ]);
      expect(String(logged[0]?.['error'])).toMatch(/ECONNRESET/);
      child.kill('SIGINT');
      expect(await exited, err).toBe(130);
    }, 120_000);
  });
});
