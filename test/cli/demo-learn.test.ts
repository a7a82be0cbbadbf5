import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../cli/commands/demo.js';
import type { DemoLearning } from '../../cli/commands/demo-learning.js';
import { loadConfig } from '../../config/load.js';
import { rejectedColumn } from '../../models/registry/pg-model-rows.js';
import { createRedisFeatureStore } from '../../state/redis-feature-store.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { testDataDir } from '../support/data-dir.js';
import { dropSchema } from '../support/pg.js';

const ROOT = resolve(import.meta.dirname, '../..');
// A namespace of this run's own (streams, Redis keys, PostgreSQL schema and model registry), never `npm run demo`'s.
const NAMESPACE = `t${randomUUID().replaceAll('-', '').slice(0, 10)}`;
const ARTIFACTS = mkdtempSync(join(tmpdir(), 'sx-demo-learn-'));
const cfg = demoConfig(loadConfig(), ['SOL/USDT'], '1h', NAMESPACE);

type Summary = { predictions: number; labeling: { caughtUp: boolean; labeled: number } | null; learning: DemoLearning | null };

/** The registry's versions of the demo's model: number, aliases, whether rejected (its PostgreSQL tables). */
async function versions(): Promise<{ version: number; production: boolean; rejected: boolean }[]> {
  const client = new pg.Client({ connectionString: cfg.postgres.url });
  await client.connect();
  try {
    const s = cfg.postgres.schema;
    const rows = await client.query<{ version: number; production: boolean; rejected: boolean }>(
      `SELECT v.version, EXISTS (SELECT 1 FROM ${s}.model_aliases a WHERE a.name = v.name AND a.alias = 'production' AND a.version = v.version) AS production, ${rejectedColumn(s)} FROM ${s}.model_versions v WHERE v.name = 'direction-mlp' ORDER BY v.version`,
    );
    return rows.rows;
  } finally {
    await client.end();
  }
}

describe('sextant demo --learn', () => {
  afterAll(async () => {
    const bus = await createNatsBus({ url: cfg.nats.url, name: 'demo-learn-test-cleanup', connectTimeoutMs: 2000 });
    await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus.close();
    const redis = await createRedisFeatureStore({ url: cfg.redis.url, keyPrefix: cfg.redis.keyPrefix, historyCap: 1 });
    await redis.clear();
    await redis.close();
    await dropSchema(cfg.postgres.url, cfg.postgres.schema);
    rmSync(ARTIFACTS, { recursive: true, force: true });
  });

  it('runs one real retraining cycle on the labels of the window: fit, shadow against the served model, verdict through the registry, all in the summary', async () => {
    // Before, the demo labeled every prediction and never retrained: the learning loop's second half was never seen.
    const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), 'demo', '--learn', '--symbols', 'SOL/USDT', '--from', '2024-03-01', '--to', '2024-04-01', '--namespace', NAMESPACE], {
      cwd: ROOT,
      env: { ...process.env, SEXTANT_DATA_DIR: testDataDir(), SEXTANT__models__artifactDir: ARTIFACTS },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('learning: one retraining cycle triggered');
    const s = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Summary;
    expect(s.labeling?.caughtUp).toBe(true);
    const l = s.learning;
    if (l === null) throw new Error('no learning in the summary');
    // The cycle ran to its verdict: the demo waited for the retraining actor to handle every label.
    expect(l).toMatchObject({ caughtUp: true, left: 0, phase: 'idle', champion: 'direction-mlp@1', challenger: 'direction-mlp@2' });
    expect(l.trigger).toMatch(/^operator: /);
    expect(['promoted', 'rejected']).toContain(l.outcome);
    // Fitted on the window's first labeled predictions (minSamples 300 at least), warm-started from the champion…
    expect(l.fit?.samples).toBeGreaterThanOrEqual(300);
    expect(l.fit?.warmStart).toBe(true);
    // …and shadowed with the champion on the same 200 later labeled predictions (the verdict's own numbers).
    const sh = l.shadow;
    if (sh === null) throw new Error('no shadow run in the summary');
    expect(sh).toMatchObject({ n: 200, needed: 200, verdict: l.outcome, champion: { name: 'direction-mlp', version: 1 }, challenger: { name: 'direction-mlp', version: 2 } });
    expect(sh.championLogLoss).toBeGreaterThan(0);
    expect(sh.challengerLogLoss).toBeGreaterThan(0);
    const wins = sh.challengerLogLoss < sh.championLogLoss - sh.margin && sh.t !== null && sh.t >= sh.minT;
    expect(l.outcome).toBe(wins ? 'promoted' : 'rejected');
    expect(l.reason).toContain(`challenger log loss ${sh.challengerLogLoss.toFixed(5)} vs champion ${sh.championLogLoss.toFixed(5)}`);
    // The verdict went through the registry: the challenger is production, or rejected.
    expect(await versions()).toEqual([
      { version: 1, production: l.outcome !== 'promoted', rejected: false },
      { version: 2, production: l.outcome === 'promoted', rejected: l.outcome === 'rejected' },
    ]);
    expect(l.production).toBe(l.outcome === 'promoted' ? 'direction-mlp@2' : 'direction-mlp@1');
    expect(r.stdout).toMatch(/learning\s+one cycle: challenger direction-mlp@2 fine-tuned from champion direction-mlp@1's weights on \d+ labeled predictions .*; shadow on the same 200 later labeled predictions: log loss challenger \d\.\d{4} vs champion \d\.\d{4} .*; → (PROMOTED|REJECTED)/);
  });
});
