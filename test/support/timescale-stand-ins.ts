import type pg from 'pg';
import { continuousAggregateStatements } from '../../state/pg-timescale-aggregates.js';

/**
 * TimescaleDB cannot be installed on the project's machines: these stand in for what the
 * Timescale path calls, each in `ext`, a schema of the test's own that no session has on its
 * `search_path` (as the extension's schema is not on the migration session's). Idempotent.
 */

/**
 * TimescaleDB's aggregates, as far as plain PostgreSQL can stand in for them: `time_bucket` as
 * `date_bin`, `first`/`last` as aggregates keeping the value at the earliest/latest time.
 */
export async function aggregateStandIns(c: pg.Client, ext: string): Promise<void> {
  await c.query(`CREATE SCHEMA IF NOT EXISTS ${ext}`);
  await c.query(`CREATE OR REPLACE FUNCTION ${ext}.time_bucket(w interval, ts timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE
    AS $$ SELECT pg_catalog.date_bin(w, ts, TIMESTAMPTZ '2000-01-03 00:00:00+00') $$`);
  await c.query(`DO $$ BEGIN CREATE TYPE ${ext}.vt AS (v float8, t timestamptz); EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  await c.query(`CREATE OR REPLACE FUNCTION ${ext}.vt_first(s ${ext}.vt, v float8, t timestamptz) RETURNS ${ext}.vt LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN s IS NULL OR t < (s).t THEN ROW(v, t)::${ext}.vt ELSE s END $$`);
  await c.query(`CREATE OR REPLACE FUNCTION ${ext}.vt_last(s ${ext}.vt, v float8, t timestamptz) RETURNS ${ext}.vt LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN s IS NULL OR t >= (s).t THEN ROW(v, t)::${ext}.vt ELSE s END $$`);
  await c.query(`CREATE OR REPLACE FUNCTION ${ext}.vt_value(s ${ext}.vt) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$ SELECT (s).v $$`);
  await c.query(`CREATE OR REPLACE AGGREGATE ${ext}.first(float8, timestamptz) (SFUNC = ${ext}.vt_first, STYPE = ${ext}.vt, FINALFUNC = ${ext}.vt_value)`);
  await c.query(`CREATE OR REPLACE AGGREGATE ${ext}.last(float8, timestamptz) (SFUNC = ${ext}.vt_last, STYPE = ${ext}.vt, FINALFUNC = ${ext}.vt_value)`);
}

/** The query of a continuous aggregate, without the `WITH (timescaledb.continuous …)` plain PostgreSQL refuses. */
export function aggregateSelectOf(createView: string): string {
  const m = / AS (SELECT .*) WITH NO DATA$/.exec(createView);
  if (m?.[1] === undefined) throw new Error(`not a continuous aggregate: ${createView}`);
  return m[1];
}

/**
 * `bars_1h` and `trade_bars_1m` in `schema` as plain views of the continuous aggregates' own
 * queries (what a real-time aggregate answers), on {@link aggregateStandIns}.
 */
export async function aggregateViews(c: pg.Client, schema: string, ext: string): Promise<void> {
  await aggregateStandIns(c, ext);
  for (const sql of continuousAggregateStatements('timescale', schema, ext)) {
    const m = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\S+) /.exec(sql);
    if (m?.[1] !== undefined) await c.query(`CREATE OR REPLACE VIEW ${m[1]} AS ${aggregateSelectOf(sql)}`);
  }
}

export type RefreshCall = { view: string; from: Date; to: Date };

/**
 * `refresh_continuous_aggregate(continuous_aggregate regclass, window_start, window_end)` as a
 * procedure recording its calls in `${ext}.refresh_calls`. Like TimescaleDB's, it cannot run
 * inside a transaction block: it commits, which PostgreSQL refuses there ("invalid transaction
 * termination"). Its bounds are `anyelement` (PL/pgSQL takes no `"any"`): both of one type.
 */
export async function refreshStandIn(c: pg.Client, ext: string): Promise<void> {
  await c.query(`CREATE SCHEMA IF NOT EXISTS ${ext}`);
  await c.query(`CREATE TABLE IF NOT EXISTS ${ext}.refresh_calls (n serial, view regclass, window_start timestamptz, window_end timestamptz)`);
  await c.query(`CREATE OR REPLACE PROCEDURE ${ext}.refresh_continuous_aggregate(continuous_aggregate regclass, window_start anyelement, window_end anyelement) LANGUAGE plpgsql
    AS $$ BEGIN INSERT INTO ${ext}.refresh_calls (view, window_start, window_end) VALUES (continuous_aggregate, window_start, window_end); COMMIT; END $$`);
}

/** The calls {@link refreshStandIn} recorded for `schema`'s aggregates, in order. */
export async function refreshCalls(c: pg.Client, ext: string, schema: string): Promise<RefreshCall[]> {
  const r = await c.query<RefreshCall>(`SELECT view::text AS view, window_start AS "from", window_end AS "to" FROM ${ext}.refresh_calls WHERE view::text LIKE $1 || '.%' ORDER BY n`, [schema]);
  return r.rows;
}
