import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../state/errors.js';
import { assetsQuery, countQuery, createPgTrainingSampleStore, samplesQuery } from '../../state/pg-training-sample-store.js';
import { MIGRATIONS_TABLE } from '../../state/pg-migrate.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import { dropSchema, queryRows } from '../support/pg.js';
import { sample, trainingSampleStoreContract } from './training-sample-store.contract.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_tss_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const oldSchema = `${schema}_old`; // one migrated from before the sample checks
afterAll(async () => {
  await dropSchema(url, schema);
  await dropSchema(url, oldSchema);
});

const sql = <R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> => queryRows<R>(url, text, params);

/** Runs `f` on a store of this file's schema, emptied first, and closes it. */
async function withEmptyStore(f: (store: TrainingSampleStore) => Promise<unknown>): Promise<void> {
  const store = await createPgTrainingSampleStore({ url, schema });
  try {
    await store.clear();
    await f(store);
  } finally {
    await store.close();
  }
}

trainingSampleStoreContract('PostgreSQL', () => createPgTrainingSampleStore({ url, schema }));

describe('PostgreSQL training-sample store', () => {
  it('keys rows by time (timestamptz) and stores features as jsonb', async () => {
    const store = await createPgTrainingSampleStore({ url, schema });
    await store.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const cols = await c.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'training_samples' AND column_name IN ('decision_ts', 'features') ORDER BY 1`,
        [schema],
      );
      expect(cols.rows.map((r) => `${r.column_name}:${r.data_type}`)).toEqual(['decision_ts:timestamp with time zone', 'features:jsonb']);
      const pk = await c.query<{ col: string }>(
        `SELECT a.attname AS col FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
         WHERE i.indrelid = '${schema}.training_samples'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      );
      expect(pk.rows.map((r) => r.col)).toEqual(['strategy', 'venue', 'symbol', 'decision_ts', 'id']);
    } finally {
      await c.end();
    }
  });

  it("reads a strategy's newest samples and its capped count from the newest end of an index, not by sorting its history", async () => {
    const store = await createPgTrainingSampleStore({ url, schema });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await store.clear();
      // Two strategies, three assets, 4,000 hourly decisions each: 24,000 rows.
      for (const strategy of ['s1', 's2']) {
        for (const symbol of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT']) {
          const rows = Array.from({ length: 4000 }, (_, i) => sample(i, { strategy, symbol, id: `p:${strategy}:${symbol}:${i}` }));
          await store.commit({ samples: rows });
        }
      }
      await c.query(`ANALYZE ${schema}.training_samples`);
      const nowTs = sample(3000).labeledTs;
      const known = { strategy: 's1', to: nowTs, labeledBefore: nowTs } as const;
      const plan = async (q: { sql: string; params: unknown[] }): Promise<string> =>
        (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${q.sql}`, q.params)).rows.map((r) => r['QUERY PLAN']).join('\n');
      for (const q of [samplesQuery(schema, { ...known, newest: 100 }), countQuery(schema, { ...known, atMost: 80 })]) {
        const p = await plan(q);
        expect(p, p).toMatch(/Index (Only )?Scan Backward using training_samples_newest_idx/);
        expect(p, p).not.toMatch(/Seq Scan/);
      }
      // What comes back: the 100 newest labeled before nowTs (3 assets: decided at hours 2966 to 2999), in order.
      const newest = await store.samples({ ...known, newest: 100 });
      expect(newest.map((r) => r.id)).toEqual((await store.samples(known)).slice(-100).map((r) => r.id));
      expect([newest[0]?.ts, newest.at(-1)?.ts]).toEqual([sample(2966).ts, sample(2999).ts]);
      expect(await store.countSamples({ ...known, atMost: 80 })).toBe(80);
    } finally {
      await c.end();
      await store.close();
    }
  }, 60_000);

  it("lists a strategy's assets by skipping through the primary key, reading one row per asset, not its samples", async () => {
    const store = await createPgTrainingSampleStore({ url, schema });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await store.clear();
      // Two strategies, three assets, 3,000 decisions each: 18,000 rows, 9,000 of s1.
      for (const strategy of ['s1', 's2']) {
        for (const symbol of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT']) await store.commit({ samples: Array.from({ length: 3000 }, (_, i) => sample(i, { strategy, symbol, id: `p:${strategy}:${symbol}:${i}` })) });
      }
      await c.query(`ANALYZE ${schema}.training_samples`);
      const plan = (await c.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${assetsQuery(schema)}`, ['s1'])).rows[0]?.['QUERY PLAN'];
      // Rows every scan node of the plan produced (actual rows × loops): a DISTINCT would read 9,000.
      const scanned = (n: Record<string, unknown>): number =>
        (/Scan$/.test(String(n['Node Type'])) && n['Relation Name'] === 'training_samples' ? Number(n['Actual Rows']) * Number(n['Actual Loops']) : 0) +
        ((n['Plans'] as Record<string, unknown>[] | undefined) ?? []).reduce((sum, p) => sum + scanned(p), 0);
      const root = (plan as { Plan: Record<string, unknown> }[])[0]?.Plan ?? {};
      expect(scanned(root), JSON.stringify(plan)).toBeLessThanOrEqual(4);
      expect(JSON.stringify(plan)).not.toContain('Seq Scan');
      expect(await store.assets('s1')).toEqual(['BTC/USDT', 'ETH/USDT', 'SOL/USDT'].map((symbol) => ({ venue: 'binance', symbol })));
    } finally {
      await c.end();
      await store.close();
    }
  }, 60_000);

  it('rolls back the snapshot with the samples when a sample is refused', () =>
    withEmptyStore(async (store) => {
      const bad = { ...sample(1), label: 2 as unknown as 1 }; // violates the CHECK constraint
      const err = await store.commit({ samples: [sample(0), bad], snapshot: { actor: 'labeling:x', state: { v: 1 }, ts: 0 } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).retryable).toBe(false);
      expect(await store.count()).toBe(0);
      expect(await store.loadSnapshot('labeling:x')).toBeUndefined();
    }));

  it('refuses rows written by other means that are labeled at or before their decision or have no horizon (CHECK constraints)', async () => {
    await withEmptyStore((store) => store.commit({ samples: [sample(0)] }));
    const t = `${schema}.training_samples`;
    for (const [set, constraint] of [
      ['labeled_ts = decision_ts', 'training_samples_labeled_after_decision'],
      ["labeled_ts = decision_ts - interval '1 hour'", 'training_samples_labeled_after_decision'],
      ['horizon_bars = 0', 'training_samples_horizon_positive'],
    ] as const) {
      const err = await sql(`UPDATE ${t} SET ${set}`).catch((e: unknown) => e);
      expect(err, set).toMatchObject({ code: '23514', constraint });
    }
    expect(await sql(`SELECT id, horizon_bars FROM ${t}`)).toEqual([{ id: sample(0).id, horizon_bars: 4 }]);
  });

  it('moves rows stored before the checks that break them to training_samples_refused, with the reason, when migrating', async () => {
    const first = await createPgTrainingSampleStore({ url, schema: oldSchema });
    try {
      await first.commit({ samples: [sample(0), sample(1), sample(2), sample(3)] });
    } finally {
      await first.close();
    }
    // As the schema was before the migration: no constraints, no refused table, rows breaking them.
    const t = `${oldSchema}.training_samples`;
    await sql(`ALTER TABLE ${t} DROP CONSTRAINT training_samples_labeled_after_decision, DROP CONSTRAINT training_samples_horizon_positive`);
    await sql(`DROP TABLE ${oldSchema}.training_samples_refused`);
    // With the migrations after it (they run again: each can), as the runner refuses one left out before those run.
    await sql(`DELETE FROM ${oldSchema}.${MIGRATIONS_TABLE} WHERE name >= '1733200000000_training-samples-checks'`);
    await sql(`UPDATE ${t} SET labeled_ts = decision_ts WHERE id = $1`, [sample(1).id]);
    await sql(`UPDATE ${t} SET labeled_ts = decision_ts - interval '1 hour' WHERE id = $1`, [sample(2).id]);
    await sql(`UPDATE ${t} SET horizon_bars = 0 WHERE id = $1`, [sample(3).id]);
    const again = await createPgTrainingSampleStore({ url, schema: oldSchema });
    try {
      expect((await again.samples({ strategy: 's1' })).map((r) => r.id)).toEqual([sample(0).id]);
      expect(await sql(`SELECT id, reason, horizon_bars FROM ${oldSchema}.training_samples_refused ORDER BY decision_ts`)).toEqual([
        { id: sample(1).id, reason: 'labeled_ts not after decision_ts', horizon_bars: 4 },
        { id: sample(2).id, reason: 'labeled_ts not after decision_ts', horizon_bars: 4 },
        { id: sample(3).id, reason: 'horizon_bars not above 0', horizon_bars: 0 },
      ]);
      const checks = await sql<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE conrelid = '${t}'::regclass AND contype = 'c' AND convalidated ORDER BY 1`);
      expect(checks.map((r) => r.conname)).toEqual(expect.arrayContaining(['training_samples_horizon_positive', 'training_samples_labeled_after_decision']));
    } finally {
      await again.close();
    }
  });

  it('refuses a labeling snapshot whose event time is not a number, storing nothing of the commit', () =>
    withEmptyStore(async (store) => {
      for (const ts of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const err = await store.commit({ samples: [sample(0)], snapshot: { actor: 'labeling:x', state: { v: 1 }, ts } }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreError);
        expect((err as Error).message).toMatch(/labeling snapshot of labeling:x refused: its event time ts is (NaN|Infinity)/);
      }
      expect(await store.count()).toBe(0);
      expect(await store.loadSnapshot('labeling:x')).toBeUndefined();
    }));
});
