import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import { createPgTrainingSampleStore } from '../../state/pg-training-sample-store.js';
import { HYPERTABLES, hypertableStatements, PROBE_TIMESCALE_SQL } from '../../state/pg-timescale.js';
import { continuousAggregateStatements } from '../../state/pg-timescale-aggregates.js';
import { dropSchema } from '../support/pg.js';
import { aggregateSelectOf as selectOf, aggregateStandIns } from '../support/timescale-stand-ins.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const tag = randomUUID().replaceAll('-', '').slice(0, 12);
const store = `sx_tsq_${tag}`;
const samplesStore = `sx_tss_${tag}`;
/** Stands in for the schema `CREATE EXTENSION timescaledb` put its functions in (not installable here). */
const extension = `sx_tsx_${tag}`;

afterAll(async () => {
  await dropSchema(url, store);
  await dropSchema(url, samplesStore);
  await dropSchema(url, extension);
});

type Call = { relation: string; time_column: string; chunk: string; if_not_exists: boolean; migrate_data: boolean };

/**
 * The old create_hypertable signature (TimescaleDB ≥ 1.0, deprecated in 2.13 but kept), recording
 * its calls, in a schema of its own that no session has on its `search_path`. Idempotent.
 */
async function standIn(c: pg.Client): Promise<void> {
  await c.query(`CREATE SCHEMA IF NOT EXISTS ${extension}`);
  await c.query(`CREATE TABLE IF NOT EXISTS ${extension}.calls (relation regclass, time_column name, chunk interval, if_not_exists boolean, migrate_data boolean)`);
  await c.query(`CREATE OR REPLACE FUNCTION ${extension}.create_hypertable(relation regclass, time_column_name name, partitioning_column name DEFAULT NULL,
      number_partitions integer DEFAULT NULL, associated_schema_name name DEFAULT NULL, associated_table_prefix name DEFAULT NULL,
      chunk_time_interval anyelement DEFAULT NULL::bigint, create_default_indexes boolean DEFAULT TRUE, if_not_exists boolean DEFAULT FALSE,
      partitioning_func regproc DEFAULT NULL, migrate_data boolean DEFAULT FALSE) RETURNS void LANGUAGE sql
    AS $$ INSERT INTO ${extension}.calls VALUES (relation, time_column_name, chunk_time_interval::interval, if_not_exists, migrate_data) $$`);
}

/** Runs the Timescale path's statements for `schema` as the migration runner leaves the session, and returns the calls they made. */
async function runStatements(c: pg.Client, schema: string): Promise<Call[]> {
  await c.query(`SET search_path TO "${schema}"`);
  try {
    for (const sql of hypertableStatements('timescale', schema, `"${extension}"`)) await c.query(sql);
  } finally {
    await c.query('RESET search_path');
  }
  const rows = await c.query<Call>(
    `SELECT relation::text, time_column::text, chunk::text, if_not_exists, migrate_data FROM ${extension}.calls WHERE relation::text LIKE $1 || '.%'`,
    [schema],
  );
  return rows.rows;
}

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
      await standIn(c);
      const calls = await runStatements(c, store);
      expect(calls).toEqual([
        ...HYPERTABLES.map((t) => ({ relation: `${store}.${t}`, time_column: 'ts', chunk: '7 days', if_not_exists: true, migrate_data: true })),
        { relation: `${store}.training_samples`, time_column: 'decision_ts', chunk: '30 days', if_not_exists: true, migrate_data: true },
      ]);
    } finally {
      await c.end();
    }
  });

  /**
   * The training-sample store used to call `create_hypertable(…)` unqualified on its own pool, whose
   * `search_path` is the role's default: it found the extension only where that happened to list the
   * extension's schema (not a `timescaledb` schema an administrator chose, nor a store schema the
   * extension was created in before 083b074). The table is now converted with the market tables,
   * through the extension's schema, whichever store migrates first.
   */
  it('make training_samples a hypertable on decision_ts through the extension schema, from the training-sample store’s own start', async () => {
    await (await createPgTrainingSampleStore({ url, schema: samplesStore })).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await standIn(c);
      const calls = await runStatements(c, samplesStore);
      expect(calls).toContainEqual({ relation: `${samplesStore}.training_samples`, time_column: 'decision_ts', chunk: '30 days', if_not_exists: true, migrate_data: true });
      // What a hypertable needs of its time column: there, NOT NULL, a timestamp, in every unique key.
      const col = await c.query<{ type: string; notnull: boolean; in_pk: boolean }>(
        `SELECT format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull, a.attnum = ANY (i.indkey) AS in_pk
           FROM pg_attribute a JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
          WHERE a.attrelid = $1::regclass AND a.attname = 'decision_ts'`,
        [`${samplesStore}.training_samples`],
      );
      expect(col.rows).toEqual([{ type: 'timestamp with time zone', notnull: true, in_pk: true }]);
    } finally {
      await c.end();
    }
  });
});

describe('TimescaleDB continuous aggregates, their queries on stand-ins (real PostgreSQL)', () => {
  it('roll 1m bars into hourly OHLCV and trades into 1m OHLCV per venue and symbol, under the migration search_path', async () => {
    await (await createPgTimeseriesStore({ url, schema: store, poolSize: 1 })).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await aggregateStandIns(c, extension);
      await c.query(`TRUNCATE ${store}.bars, ${store}.trades`);
      // Two hours of 1m bars (bar i opens at i, closes at i + 0.5, high i + 1, low i - 1, volume 1), inserted newest first; a 5m bar that must not count.
      await c.query(`INSERT INTO ${store}.bars (venue, symbol, tf, ts, id, open, high, low, close, volume)
        SELECT 'binance', 'BTC/USDT', '1m', TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 minute', 'b' || i, i, i + 1, i - 1, i + 0.5, 1
        FROM generate_series(119, 0, -1) AS i`);
      await c.query(`INSERT INTO ${store}.bars VALUES ('binance', 'BTC/USDT', '5m', TIMESTAMPTZ '2024-01-01 00:00:00+00', 'x', 1000, 1000, -1000, 1000, 99)`);
      await c.query(`INSERT INTO ${store}.trades (venue, symbol, ts, id, price, qty, side) VALUES
        ('binance', 'ETH/USDT', TIMESTAMPTZ '2024-01-01 00:00:30+00', 't2', 12, 2, 'sell'),
        ('binance', 'ETH/USDT', TIMESTAMPTZ '2024-01-01 00:00:10+00', 't1', 10, 1, 'buy'),
        ('binance', 'ETH/USDT', TIMESTAMPTZ '2024-01-01 00:00:50+00', 't3', 9, 3, 'buy'),
        ('binance', 'ETH/USDT', TIMESTAMPTZ '2024-01-01 00:01:05+00', 't4', 11, 4, 'buy')`);
      const statements = continuousAggregateStatements('timescale', store, `"${extension}"`);
      await c.query(`SET search_path TO "${store}"`);
      let hourly: unknown[];
      let minutes: unknown[];
      try {
        const read = async (sql: string): Promise<unknown[]> =>
          (await c.query(`SELECT * FROM (${selectOf(sql)}) AS q ORDER BY bucket`)).rows;
        hourly = await read(statements[0] ?? '');
        minutes = await read(statements[2] ?? '');
      } finally {
        await c.query('RESET search_path');
      }
      expect(hourly).toEqual([
        { venue: 'binance', symbol: 'BTC/USDT', bucket: new Date('2024-01-01T00:00:00Z'), open: 0, high: 60, low: -1, close: 59.5, volume: 60, bars: '60' },
        { venue: 'binance', symbol: 'BTC/USDT', bucket: new Date('2024-01-01T01:00:00Z'), open: 60, high: 120, low: 59, close: 119.5, volume: 60, bars: '60' },
      ]);
      expect(minutes).toEqual([
        { venue: 'binance', symbol: 'ETH/USDT', bucket: new Date('2024-01-01T00:00:00Z'), open: 10, high: 12, low: 9, close: 9, volume: 6, trades: '3' },
        { venue: 'binance', symbol: 'ETH/USDT', bucket: new Date('2024-01-01T00:01:00Z'), open: 11, high: 11, low: 11, close: 11, volume: 4, trades: '1' },
      ]);
    } finally {
      await c.end();
    }
  });
});
