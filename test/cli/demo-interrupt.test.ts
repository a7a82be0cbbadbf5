import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { demoConfig, runDemo } from '../../cli/commands/demo.js';
import { claimNamespace } from '../../cli/engine-presence.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { silentLogger } from '../../state/logger.js';
import { createRedisFeatureStore } from '../../state/redis-feature-store.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { fakeProcess } from '../support/fake-signals.js';
import { dropSchema } from '../support/pg.js';

const ROOT = resolve(import.meta.dirname, '../..');
const WINDOW = { from: Date.UTC(2024, 2, 1), to: Date.UTC(2024, 2, 12) };
const dir = mkdtempSync(join(tmpdir(), 'sextant-demo-interrupt-'));
// No training cache: the model is trained, so that the signal comes while it trains.
const configFile = join(dir, 'config.yaml');
writeFileSync(configFile, ['models:', '  trainingCacheDir: null', `  artifactDir: ${join(dir, 'models')}`, ''].join('\n'));
const namespaces: string[] = [];
const newNamespace = (): { ns: string; cfg: Config } => {
  const ns = `di${randomUUID().replaceAll('-', '').slice(0, 8)}`;
  namespaces.push(ns);
  return { ns, cfg: demoConfig(loadConfig({ file: configFile }), ['BTC/USDT'], '1h', ns) };
};

/** A new engine's claim on the demo's prefix succeeds: nothing answers there any more. */
async function claimSucceeds(cfg: Config): Promise<void> {
  const bus = await createNatsBus({ url: cfg.nats.url, name: 'demo-interrupt-claim', connectTimeoutMs: 3000 });
  try {
    const claim = await claimNamespace(bus, subjectsFor(cfg.prefix), silentLogger);
    claim.unsubscribe();
  } finally {
    await bus.close();
  }
}

/** Model versions the namespace's registry holds (0 when it has no registry table). */
async function modelVersions(cfg: Config): Promise<number> {
  const client = new pg.Client({ connectionString: cfg.postgres.url });
  await client.connect();
  try {
    const t = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`${cfg.postgres.schema}.model_versions`]);
    if (t.rows[0]?.t == null) return 0;
    return (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${cfg.postgres.schema}.model_versions`)).rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

/**
 * `sextant demo` listened to SIGINT/SIGTERM only once it held its dashboard open (--hold): a
 * Ctrl-C while the model trained or the window replayed got Node's default, the process dying
 * with no word and nothing closed; and a failure after its namespace claim (the dashboard's port
 * taken, the engine failing or stalling) left the claim answering, the engine and connections
 * open. Real NATS, Redis and PostgreSQL; fails, never skips, when one is down.
 */
describe('sextant demo stopped early', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    const bus = await createNatsBus({ url: loadConfig().nats.url, name: 'demo-interrupt-cleanup', connectTimeoutMs: 3000 });
    for (const ns of namespaces) {
      const cfg = demoConfig(loadConfig({ file: configFile }), ['BTC/USDT'], '1h', ns);
      await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
      const redis = await createRedisFeatureStore({ url: cfg.redis.url, keyPrefix: cfg.redis.keyPrefix, historyCap: 1 });
      await redis.clear();
      await redis.close();
      await dropSchema(cfg.postgres.url, cfg.postgres.schema);
    }
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Ctrl-C while the model trains: stops training, closes what it opened, one line, exit 130, nothing registered', async () => {
    const { ns, cfg } = newNamespace();
    const child = spawn(process.execPath, [resolve(ROOT, 'bin/sextant.js'), '-c', configFile, 'demo', '--namespace', ns, '--retrain', '--no-faults', '--symbols', 'BTC/USDT', '--from', '2024-03-01', '--to', '2024-03-12'], {
      cwd: ROOT,
      env: { ...process.env, SEXTANT_DATA_DIR: testDataDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const training = new Promise<void>((r) =>
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('training direction-mlp on the 1h bars')) r();
      }),
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    try {
      await Promise.race([training, exited]);
      // Into the epochs (tfjs loads, the dataset is built, then about ten seconds of training here).
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGINT');
      expect(await exited, err).toEqual({ code: 130, signal: null });
      const lines = err.split('\n').filter((l) => l.includes('interrupted'));
      expect(lines, err).toEqual(['sextant: demo interrupted by SIGINT while training its model: closed its namespace claim and the adapters; nothing is left running (a demo run again resets its namespace)']);
      expect(err).not.toMatch(/\n\s+at /);
      expect(out).not.toContain('Sextant demo summary');
      expect(await modelVersions(cfg)).toBe(0);
      await claimSucceeds(cfg);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);

  it('SIGTERM while the model trains (in process): resolves without a summary, exit 143, no listener left, the claim released', async () => {
    const { ns, cfg } = newNamespace();
    const proc = fakeProcess();
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      if (String(chunk).startsWith('training direction-mlp')) setTimeout(() => proc.send('SIGTERM'), 1000);
      return true;
    });
    const summary = await runDemo({ configFile, data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', ...WINDOW, faults: false, retrain: true, namespace: ns, signals: proc });
    expect(summary, err.join('')).toBeUndefined();
    expect(err.filter((l) => l.includes('interrupted'))).toEqual([
      'sextant: demo interrupted by SIGTERM while training its model: closed its namespace claim and the adapters; nothing is left running (a demo run again resets its namespace)\n',
    ]);
    expect(process.exitCode).toBe(143);
    expect(proc.listeners()).toBe(0);
    expect(await modelVersions(cfg)).toBe(0);
    await claimSucceeds(cfg);
  }, 120_000);

  it('Ctrl-C during the labeling wait after the replay (in process, embedded): the summary of what was done is printed, marked interrupted, exit 130', async () => {
    // The training cache on (the model of an earlier run, or this one's, is reused): the signal is for the last step.
    const cached = join(dir, 'cached.yaml');
    writeFileSync(cached, ['models:', `  artifactDir: ${join(dir, 'models')}`, ''].join('\n'));
    const proc = fakeProcess();
    const err: string[] = [];
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      // Written as the wait begins, before its first read of the labeling backlog.
      if (String(chunk).startsWith('labeling: waiting for the learning loop')) proc.send('SIGINT');
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const summary = await runDemo({ configFile: cached, data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', ...WINDOW, faults: false, embedded: true, namespace: 'diembedded', signals: proc });
    vi.mocked(process.stdout.write).mockRestore();
    // Before, the signal was thrown at the next step: no summary of a run whose replay was done.
    expect(summary, err.join('')).toBeDefined();
    expect(summary?.interrupted).toEqual({ signal: 'SIGINT', step: 'labeling (the learning loop)' });
    expect(summary?.published).toBeGreaterThan(200);
    expect(summary?.messagesIn).toBe(summary?.published);
    expect(summary?.labeling).not.toBeNull();
    const printed = out.join('');
    expect(printed).toContain('Sextant demo summary');
    expect(printed).toContain('  interrupted     by SIGINT while labeling (the learning loop): what it did until then\n');
    expect(JSON.parse(printed.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ interrupted: { signal: 'SIGINT' } });
    expect(err.filter((l) => l.includes('interrupted'))).toEqual([
      'sextant: demo interrupted by SIGINT while labeling (the learning loop), after its replay: the summary above is what it did until then; closed the engine, its namespace claim and the adapters; nothing is left running\n',
    ]);
    expect(process.exitCode).toBe(130);
    expect(proc.listeners()).toBe(0);
  }, 120_000);

  it('a failure after the claim (the dashboard\'s port taken) releases the claim and closes what it opened', async () => {
    const { ns, cfg } = newNamespace();
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    const proc = fakeProcess();
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(runDemo({ configFile, data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', ...WINDOW, faults: false, namespace: ns, dashboard: true, port, signals: proc })).rejects.toThrow(`port ${port} on 127.0.0.1 is in use`);
      expect(proc.listeners()).toBe(0);
      // Before, the failed demo still answered on <prefix>.engine.presence: refused as another engine.
      await claimSucceeds(cfg);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  }, 60_000);
});
