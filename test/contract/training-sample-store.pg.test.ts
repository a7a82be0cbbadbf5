import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../state/errors.js';
import { createPgTrainingSampleStore } from '../../state/pg-training-sample-store.js';
import { dropSchema } from '../support/pg.js';
import { sample, trainingSampleStoreContract } from './training-sample-store.contract.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_tss_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
afterAll(async () => dropSchema(url, schema));

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

  it('rolls back the snapshot with the samples when a sample is refused', async () => {
    const store = await createPgTrainingSampleStore({ url, schema });
    try {
      await store.clear();
      const bad = { ...sample(1), label: 2 as unknown as 1 }; // violates the CHECK constraint
      const err = await store.commit({ samples: [sample(0), bad], snapshot: { actor: 'labeling:x', state: { v: 1 }, ts: 0 } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).retryable).toBe(false);
      expect(await store.count()).toBe(0);
      expect(await store.loadSnapshot('labeling:x')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
