import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import { HYPERTABLES, hypertableStatements, PROBE_TIMESCALE_SQL } from '../../state/pg-timescale.js';
import { dropSchema } from '../support/pg.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const tag = randomUUID().replaceAll('-', '').slice(0, 12);
const store = `sx_tsq_${tag}`;
/** Stands in for the schema `CREATE EXTENSION timescaledb` put its functions in (not installable here). */
const extension = `sx_tsx_${tag}`;

afterAll(async () => {
  await dropSchema(url, store);
  await dropSchema(url, extension);
});

/**
 * The Timescale path's statements run on the migration session, whose `search_path` node-pg-migrate
 * has set to the store's schema alone. There an unqualified `create_hypertable(…)` does not find
 * the extension's function (in `public` on TimescaleDB's images): every start on TimescaleDB
 * failed with "function create_hypertable(unknown, unknown, …) does not exist".
 */
describe('TimescaleDB statements on a migration session (real PostgreSQL)', () => {
  it('call create_hypertable by the extension schema the probe names, with the arguments TimescaleDB takes', async () => {
    await (await createPgTimeseriesStore({ url, schema: store, poolSize: 1 })).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // The probe answers on plain PostgreSQL, naming no extension schema.
      expect((await c.query(PROBE_TIMESCALE_SQL)).rows).toEqual([{ installed: false, available: false, schema: null }]);
      // The old create_hypertable signature (TimescaleDB ≥ 1.0, deprecated in 2.13 but kept), recording its calls.
      await c.query(`CREATE SCHEMA ${extension}`);
      await c.query(`CREATE TABLE ${extension}.calls (relation regclass, time_column name, chunk interval, if_not_exists boolean, migrate_data boolean)`);
      await c.query(`CREATE FUNCTION ${extension}.create_hypertable(relation regclass, time_column_name name, partitioning_column name DEFAULT NULL,
          number_partitions integer DEFAULT NULL, associated_schema_name name DEFAULT NULL, associated_table_prefix name DEFAULT NULL,
          chunk_time_interval anyelement DEFAULT NULL::bigint, create_default_indexes boolean DEFAULT TRUE, if_not_exists boolean DEFAULT FALSE,
          partitioning_func regproc DEFAULT NULL, migrate_data boolean DEFAULT FALSE) RETURNS void LANGUAGE sql
        AS $$ INSERT INTO ${extension}.calls VALUES (relation, time_column_name, chunk_time_interval::interval, if_not_exists, migrate_data) $$`);
      await c.query(`SET search_path TO "${store}"`); // as the migration runner leaves the session
      for (const sql of hypertableStatements('timescale', store, `"${extension}"`)) await c.query(sql);
      await c.query('RESET search_path');
      const calls = (await c.query<{ relation: string; time_column: string; chunk: string; if_not_exists: boolean; migrate_data: boolean }>(`SELECT relation::text, time_column::text, chunk::text, if_not_exists, migrate_data FROM ${extension}.calls`)).rows;
      expect(calls).toEqual(HYPERTABLES.map((t) => ({ relation: `${store}.${t}`, time_column: 'ts', chunk: '7 days', if_not_exists: true, migrate_data: true })));
    } finally {
      await c.end();
    }
  });
});
