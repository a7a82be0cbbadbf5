import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../cli/commands/demo.js';
import { DEFAULT_DEMO_NAMESPACE } from '../../cli/commands/demo-namespace.js';
import { loadConfig } from '../../config/load.js';
import { createRedisFeatureStore } from '../../state/redis-feature-store.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { testDataDir } from '../support/data-dir.js';
import { dropSchema } from '../support/pg.js';

const ROOT = resolve(import.meta.dirname, '../..');
// The demo runs in a namespace of this run's own (streams, Redis keys, PostgreSQL schema, model
// registry and its artifacts), never in the one `npm run demo` uses.
const NAMESPACE = `t${randomUUID().replaceAll('-', '').slice(0, 10)}`;
const ARTIFACTS = mkdtempSync(join(tmpdir(), 'sx-demo-models-'));
const testCfg = demoConfig(loadConfig(), ['SOL/USDT'], '1h', NAMESPACE);
const userCfg = demoConfig(loadConfig(), ['SOL/USDT'], '1h', DEFAULT_DEMO_NAMESPACE);

type RegistryRows = { aliases: unknown[]; versions: number; history: number } | null;

/** What a namespace's model registry holds (null: no registry there), read without creating anything. */
async function registryRows(schema: string): Promise<RegistryRows> {
  const client = new pg.Client({ connectionString: testCfg.postgres.url });
  await client.connect();
  try {
    const table = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`${schema}.model_aliases`]);
    if (table.rows[0]?.t == null) return null;
    const count = async (t: string): Promise<number> => (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.${t}`)).rows[0]?.n ?? 0;
    const aliases = (await client.query(`SELECT name, alias, version, updated_at FROM ${schema}.model_aliases ORDER BY name, alias`)).rows;
    return { aliases, versions: await count('model_versions'), history: await count('model_alias_history') };
  } finally {
    await client.end();
  }
}

function sextant(args: readonly string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), ...args, ...(args[0] === 'demo' ? ['--namespace', NAMESPACE] : [])], {
    cwd: ROOT,
    env: { ...process.env, SEXTANT_DATA_DIR: testDataDir(), SEXTANT__models__artifactDir: ARTIFACTS, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Summary = {
  adapters: { bus: string; features: string; timeseries: string; fallbacks: string[] };
  published: number;
  messagesIn: number;
  accepted: number;
  featuresOut: number;
  refused: Record<string, number>;
  rowsWritten: { bars: number; features: number };
  model: { ref: string } | null;
  predictions: number;
  suggestions: number;
  orders: number;
  rejects: number;
  rejectsByReason: Record<string, number>;
  orderOutcomes: { filled: number; expiredPartlyFilled: number; expiredUnfilled: number; working: number; workingPartlyFilled: number } | null;
  fills: number;
  risk: { state: string; currency: string | null; equity: number; positions: { symbol: string; qty: number }[] } | null;
  labeling: { caughtUp: boolean; left: number; labeled: number; samples: number; refused: Record<string, number>; unlabeled: Record<string, number>; refusedInputs: Record<string, number>; pending: number } | null;
};

const r0 = (stdout: string | undefined): string => stdout ?? '';
const lastJson = (stdout: string): Summary => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Summary;

describe('sextant demo', () => {
  let userRegistry: RegistryRows;
  beforeAll(async () => {
    userRegistry = await registryRows(userCfg.postgres.schema);
  });
  afterAll(async () => {
    const bus = await createNatsBus({ url: testCfg.nats.url, name: 'demo-test-cleanup', connectTimeoutMs: 2000 });
    await bus.deleteStreams(streamSpecs(testCfg).map((s) => s.name));
    await bus.close();
    const redis = await createRedisFeatureStore({ url: testCfg.redis.url, keyPrefix: testCfg.redis.keyPrefix, historyCap: 1 });
    await redis.clear();
    await redis.close();
    await dropSchema(testCfg.postgres.url, testCfg.postgres.schema);
    rmSync(ARTIFACTS, { recursive: true, force: true });
  });

  it('falls back to in-process adapters, says so, and still runs the window when no service answers', () => {
    const r = sextant(['demo', '--symbols', 'BTC/USDT,ETH/USDT', '--from', '2024-01-01', '--to', '2024-02-01'], {
      NATS_URL: 'nats://127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
    });
    expect(r.status, r.stderr).toBe(0);
    for (const service of ['NATS', 'Redis', 'PostgreSQL']) expect(r.stderr).toMatch(new RegExp(`notice: ${service} unreachable .* embedded in-process ${service} adapter`));
    const s = lastJson(r.stdout);
    expect(s.adapters).toMatchObject({ bus: 'memory', features: 'memory', timeseries: 'memory' });
    expect(s.adapters.fallbacks).toHaveLength(3);
    // January 2024 is complete in the data: 31 days × 24 bars per symbol.
    expect(s.published).toBe(2 * 31 * 24);
    expect(s.accepted).toBe(s.published);
    expect(s.featuresOut).toBe(s.published);
    expect(s.rowsWritten).toMatchObject({ bars: s.published, features: s.published });
    expect(s.refused).toEqual({ MALFORMED_JSON: 1, NON_POSITIVE: 1, NON_FINITE: 1, UNKNOWN_SYMBOL: 1, OVERSIZE: 1, DUPLICATE: 1, OUT_OF_ORDER: 1 });
    // The in-memory registry starts empty: a model is trained on the years before the window and served.
    expect(s.model?.ref).toBe('direction-mlp@1');
    expect(s.predictions).toBe(2 * (31 * 24 - 199));
    expect(r.stdout).toContain('Sextant demo summary');
    // The injected bad bars reach the labeling actor's bar consumer too: its line counted them as its
    // refusals, as if predictions had gone unlabeled. They are input messages, told apart.
    expect(s.labeling?.unlabeled).toEqual({});
    expect(s.labeling?.refusedInputs).toMatchObject({ MALFORMED_JSON: 1, NON_POSITIVE: 1 });
    expect(s.labeling?.refused).toEqual(s.labeling?.refusedInputs);
    expect(r.stdout).toMatch(/labeling\s+\d+ labeled, \d+ training samples stored, no prediction or order refused, \d+ bad input messages refused \(MALFORMED_JSON=1 /);
    // Every approved order is accounted for (a real run said 207 approved and 206 fills, 0 expired,
    // and nothing of the last one: still working when the window ended), and the money has its currency.
    const o = s.orderOutcomes;
    expect(s.orders).toBeGreaterThan(0);
    expect((o?.filled ?? 0) + (o?.expiredPartlyFilled ?? 0) + (o?.expiredUnfilled ?? 0) + (o?.working ?? 0)).toBe(s.orders);
    expect(r.stdout).toMatch(/orders\s+\d+ approved by risk: \d+ filled in full, .*\d+ expired unfilled, \d+ still working at the venue when the window ended/);
    expect(s.risk?.currency).toBe('USDT');
    expect(r.stdout).toMatch(/fills\s+\d+ \(fees \d+\.\d\d USDT\)/);
    expect(r.stdout).toMatch(/risk\s+ACTIVE, PnL -?\d+\.\d\d USDT \(realised -?\d+\.\d\d USDT, unrealised -?\d+\.\d\d USDT, after fees\)/);
  });

  it('runs the whole decision path on the real NATS, Redis and PostgreSQL, twice, with the same result', async () => {
    // The first run trains its own model (whatever the registry held), the second serves it.
    const runs = [['--retrain'], []].map((extra) => sextant(['demo', '--symbols', 'SOL/USDT', '--from', '2024-03-01', '--to', '2024-04-01', ...extra]));
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const [a, b] = runs.map((r) => lastJson(r.stdout));
    if (a === undefined || b === undefined) throw new Error('no summary');
    expect(a.adapters).toMatchObject({ bus: 'nats', features: 'redis', timeseries: 'postgres', fallbacks: [] });
    expect(a.published).toBe(31 * 24);
    expect(a.rowsWritten.bars).toBe(31 * 24);
    // Features warm up over 200 bars; every later bar is scored, and some predictions trade.
    expect(a.predictions).toBe(31 * 24 - 199);
    expect(a.suggestions).toBeGreaterThan(0);
    expect(a.orders + a.rejects).toBe(a.suggestions);
    expect(a.fills).toBeGreaterThan(0);
    expect(a.risk?.state).toBe('ACTIVE');
    expect(r0(runs[0]?.stdout)).toMatch(/predictions\s+\d+ \(\d+ with a position intent\)/);
    // Labeling reads the streams behind the replay; it was stopped with the engine (476 of 561 handled
    // on this window) and nothing said so. Now it is waited for: all but the last horizon's are handled.
    for (const s of [a, b]) {
      expect(s.labeling).toMatchObject({ caughtUp: true, left: 0 });
      // Each prediction and order is labeled, refused (PROCESSING_FAILED: its vector not stored in time) or pending at the end.
      const l = s.labeling;
      const unlabeled = Object.values(l?.unlabeled ?? {}).reduce((a, b) => a + b, 0);
      expect((l?.labeled ?? 0) + (l?.pending ?? 0) + unlabeled).toBe(s.predictions + s.orders);
      expect(s.labeling?.pending).toBeLessThanOrEqual(4 + s.orders);
    }
    const decided = (s: Summary): unknown => ({
      published: s.published,
      accepted: s.accepted,
      refused: s.refused,
      rowsWritten: s.rowsWritten,
      model: s.model?.ref,
      predictions: s.predictions,
      suggestions: s.suggestions,
      orders: s.orders,
      rejects: s.rejectsByReason,
      fills: s.fills,
      risk: s.risk,
    });
    expect(decided(b)).toEqual(decided(a));
    // The model was trained and promoted in the test's own namespace, its artifact under the test's folder…
    const mine = await registryRows(testCfg.postgres.schema);
    expect(mine?.aliases).toEqual([expect.objectContaining({ name: 'direction-mlp', alias: 'production', version: 1 })]);
    expect(readdirSync(ARTIFACTS)).toEqual([testCfg.postgres.schema]);
    // …and the namespace `npm run demo` serves from is as it was: same versions, same production alias.
    expect(await registryRows(userCfg.postgres.schema)).toEqual(userRegistry);
  });

  it('runs the strategy on the replayed timeframe: a 5m demo predicts on its 5m bars', () => {
    const r = sextant(['demo', '--embedded', '--no-faults', '--symbols', 'BTC/USDT', '--timeframe', '5m', '--from', '2024-03-01', '--to', '2024-03-03']);
    expect(r.status, r.stderr).toBe(0);
    const s = lastJson(r.stdout);
    // Two complete days of 5m bars; every bar after the 199-bar warm-up is scored.
    expect(s.published).toBe(2 * 288);
    expect(s.predictions).toBe(2 * 288 - 199);
    // A replay of 2024 on the live clock is not a backlog whose orders live consumers may find expired: no warning says so.
    expect(r.stderr).not.toContain('catching up on a backlog');
    // The learning loop's labeling ran behind the replay and was stopped with it, mid-window, with
    // nothing said. It is now waited for: every prediction and order is labeled but those whose
    // horizon (4 bars) is past the window's last bar, and the summary says so.
    const l = s.labeling;
    expect(l).toMatchObject({ caughtUp: true, left: 0, refused: {} });
    expect(l?.samples).toBe(l?.labeled);
    expect((l?.labeled ?? 0) + (l?.pending ?? 0)).toBe(s.predictions + s.orders);
    expect(l?.pending).toBeGreaterThan(0);
    expect(l?.pending).toBeLessThanOrEqual(4 + s.orders);
    expect(r.stdout).toMatch(/labeling\s+\d+ labeled, \d+ training samples stored, refused none; \d+ pending at the end/);
  });

  it('says which data it needs when the data folder is missing', () => {
    const r = sextant(['demo', '--embedded', '--data', '/nonexistent/sextant-data']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('/nonexistent/sextant-data');
    expect(r.stderr).toMatch(/SEXTANT_DATA_DIR/);
  });

  it('refuses a bad configuration naming the key and what was expected', () => {
    const r = sextant(['demo', '--embedded'], { SEXTANT__consumer__batchSize: '0' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/consumer\.batchSize/);
  });
});
