import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { mergeByTime } from '../../gateways/historical/merge-by-time.js';
import { replay } from '../../gateways/replay.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import type { Bus } from '../../streams/bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { testDataDir } from '../support/data-dir.js';
import { freePort } from '../support/nats-server.js';
import { dropSchema } from '../support/pg.js';
import { storedFeatureMismatches } from '../support/stored-features.js';

const ROOT = resolve(import.meta.dirname, '../..');
const REDIS_SERVER = process.env['REDIS_SERVER_BIN'] ?? '/usr/bin/redis-server';
// Enough that the outage falls mid-run (it starts once each actor archived a snapshot, ~500 bars
// in) with thousands of bars after it, each of whose features needs the history before the outage
// (the indicators look back at most a few hundred bars); 20,000 only made the run longer.
const BARS_PER_SYMBOL = 5_000;
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'] as const;
/**
 * Failures of each asset actor the outage lasts for: with `maxRestarts` 1 the second gave the actor
 * up before. Waited for in the engine's log instead of a fixed 8 s (a failure takes ~6 s: the Redis
 * client's retries), which on a loaded machine could end after one.
 */
const OUTAGE_FAILURES = 2;

/**
 * Redis goes away under a running engine (`sextant run` on real NATS, PostgreSQL and a redis-server
 * of the test's own, with its append-only file) and comes back: the asset actors' checkpoints fail,
 * the supervisor restarts them while the store says the failure is retryable — with `maxRestarts`
 * 1 and `restartMaxMs` 400, an outage of 8 s gave each actor up for good before (seen: "actor
 * failed too often; given up" and the run never finished) — and once Redis is back every input
 * is stored exactly once, with the features of an uninterrupted run.
 *
 * Twice: Redis back with its data, and back empty (its files gone, as a Redis kept without
 * persistence comes back). Empty, the asset actors' snapshots are gone while JetStream remembers
 * what they acknowledged: resumed there, every feature after the outage was computed without
 * the history before it (seen once even with the append-only file, which can lose the last
 * writes Redis acknowledged: 16,461 of 20,000 rows of one symbol wrong). They rebuild from the
 * stream instead.
 */
const CASES = [
  ['with its data', false],
  ['empty', true],
] as const;

for (const [title, wipe] of CASES) describe(`Redis restarted under a running engine, back ${title}`, () => {
  const id = randomUUID().replaceAll('-', '').slice(0, 10);
  const dir = mkdtempSync(join(tmpdir(), 'sextant-redis-'));
  let port = 0;
  let redis: ChildProcess | undefined;
  let bus: Bus;
  let store: TimeseriesStore;
  let env: NodeJS.ProcessEnv = {};

  const startRedis = async (): Promise<ChildProcess> => {
    const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = performance.now() + 10_000;
    while (!out.includes('Ready to accept connections')) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${out}`);
      if (performance.now() > deadline) throw new Error(`redis-server did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return child;
  };
  const stopped = (child: ChildProcess): Promise<void> => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));

  const cfg = (): ReturnType<typeof loadConfig> => loadConfig({ env });
  const files = (): Array<{ symbol: string; path: string }> =>
    SYMBOLS.map((symbol) => ({ symbol, path: resolve(testDataDir(), `ohlcv/binance_spot_5m/${symbol.replace('/', '_')}_5m_2024-01_2024-09.csv`) }));
  const count = async (): Promise<number> => (await store.counts()).features;
  const archivedActors = async (): Promise<number> => {
    const client = new pg.Client({ connectionString: cfg().postgres.url });
    await client.connect();
    try {
      const r = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${cfg().postgres.schema}.actor_snapshots`);
      return Number(r.rows[0]?.n ?? 0);
    } finally {
      await client.end();
    }
  };
  /** Stream sequence of each actor's `restored from snapshot` log lines, in order. */
  const restores = (stderr: string): Map<string, number[]> => {
    const out = new Map<string, number[]>();
    for (const line of stderr.split('\n')) {
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as { msg?: string; actor?: string; streamSeq?: number };
      if (e.msg !== 'restored from snapshot' || e.actor === undefined || e.streamSeq === undefined) continue;
      out.set(e.actor, [...(out.get(e.actor) ?? []), e.streamSeq]);
    }
    return out;
  };
  const waitFor = async (what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
    const deadline = performance.now() + timeoutMs;
    while (!(await cond())) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis();
    env = {
      ...process.env,
      SEXTANT__prefix: `sxrr${id}`,
      SEXTANT__streamNamePrefix: `RR${id}_`,
      SEXTANT__redis__url: `redis://127.0.0.1:${port}`,
      SEXTANT__redis__keyPrefix: `sxrr${id}`,
      SEXTANT__postgres__schema: `sx_rr_${id}`,
      SEXTANT__assets: JSON.stringify(SYMBOLS.map((symbol) => ({ venue: 'binance', symbol }))),
      SEXTANT__consumer__batchSize: '256',
      SEXTANT__supervisor__maxRestarts: '1',
      SEXTANT__supervisor__restartMaxMs: '400',
      // A copy of each actor's snapshot in PostgreSQL every 500 stream messages: Redis back empty,
      // the actors resume from it (read from their `restored from snapshot` log lines).
      SEXTANT__asset__snapshotArchiveEvery: '500',
      SEXTANT__log__level: 'info',
    };
    bus = await createNatsBus({ url: cfg().nats.url, name: 'redis-restart-test', connectTimeoutMs: 2000 });
    store = await createPgTimeseriesStore({ url: cfg().postgres.url, schema: cfg().postgres.schema, poolSize: 2 });
  }, 30_000);

  afterAll(async () => {
    redis?.kill('SIGKILL');
    await bus?.deleteStreams(streamSpecs(cfg()).map((s) => s.name));
    await bus?.close();
    await store?.close();
    await dropSchema(cfg().postgres.url, cfg().postgres.schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps restarting the asset actors through the outage and ends with every input stored once', async () => {
    const inputs = await Promise.all(files().map(async (f) => {
      const out = [];
      for await (const b of readBars(f.path, { venue: 'binance', symbol: f.symbol, tf: '5m', limit: BARS_PER_SYMBOL })) out.push(b);
      return out;
    }));
    const total = BARS_PER_SYMBOL * SYMBOLS.length;
    await bus.ensureStreams(streamSpecs(cfg()));
    const sent = await replay({ bus, subjects: subjectsFor(cfg().prefix), source: mergeByTime(...files().map((f) => readBars(f.path, { venue: 'binance', symbol: f.symbol, tf: '5m', limit: BARS_PER_SYMBOL }))), speed: 'max' });
    expect(sent.published).toBe(total);

    let stderr = '';
    const engine = spawn(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'run'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    // Each asset actor's failures so far (restarted or given up), counted from the log lines as they come.
    const failures = new Map<string, number>();
    const givenUp: string[] = [];
    let counted = 0;
    engine.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const end = stderr.lastIndexOf('\n');
      for (const line of stderr.slice(counted, end + 1).split('\n')) {
        if (!line.startsWith('{') || !line.includes('"actor failed')) continue;
        const e = JSON.parse(line) as { child?: string; msg?: string };
        if (e.msg !== 'actor failed; restarting' && e.msg !== 'actor failed too often; given up') continue;
        failures.set(e.child ?? '', (failures.get(e.child ?? '') ?? 0) + 1);
        if (e.msg !== 'actor failed; restarting') givenUp.push(e.child ?? '');
      }
      counted = Math.max(counted, end + 1);
    });
    try {
      await waitFor('some features stored', async () => (await count()) >= 1_000, 120_000);
      await waitFor('a snapshot of each actor archived', async () => (await archivedActors()) === SYMBOLS.length, 60_000);
      const server = redis as ChildProcess;
      server.kill('SIGKILL');
      await stopped(server);
      const atOutage = await count();
      if (wipe) for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
      await waitFor(`${OUTAGE_FAILURES} failures of each asset actor`, async () => SYMBOLS.every((symbol) => (failures.get(`asset:binance:${symbol}`) ?? 0) >= OUTAGE_FAILURES), 60_000);
      expect(givenUp, 'actors given up during the outage').toEqual([]);
      expect(await count()).toBeLessThan(total); // the outage really fell mid-run
      expect(engine.exitCode, stderr).toBeNull();
      redis = await startRedis();
      await waitFor('all features stored after Redis came back', async () => (await count()) >= total, 60_000);
      expect(atOutage).toBeLessThan(total);
    } finally {
      engine.kill('SIGTERM');
      await stopped(engine);
    }

    // Before the outage no actor had a snapshot; after it each restored one: from Redis when it came
    // back with its data, from the PostgreSQL copy when it came back empty (without the copy,
    // none: the actors replayed the stream from its first message).
    // The actors failed on the outage and the supervisor restarted them (the title's claim).
    const restarts = stderr.split('\n').filter((l) => l.includes('actor failed; restarting'));
    expect(restarts.length, 'restarts logged').toBeGreaterThan(0);
    const restored = restores(stderr);
    for (const symbol of SYMBOLS) {
      const seqs = restored.get(`asset:binance:${symbol}`) ?? [];
      expect(seqs.length, `${symbol} restored from a snapshot`).toBeGreaterThan(0);
      expect(Math.min(...seqs)).toBeGreaterThan(0);
    }

    const counts = await store.counts();
    expect(counts.bars).toBe(total);
    expect(counts.features).toBe(total);
    for (const [i, symbol] of SYMBOLS.entries()) {
      expect(await storedFeatureMismatches(store, 'binance', symbol, inputs[i] ?? [])).toEqual({ rows: BARS_PER_SYMBOL, mismatches: 0 });
    }
  }, 300_000);
});
