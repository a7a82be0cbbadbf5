import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStoreSchema } from '../../state/pg-migrate.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import { dropSchema } from '../support/pg.js';
import { aggregateViews } from '../support/timescale-stand-ins.js';

// Real PostgreSQL with stand-ins for TimescaleDB (not installable here); schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const tag = randomUUID().replaceAll('-', '').slice(0, 12);
const schema = `sx_tsru_${tag}`;
const ext = `sx_tsrux_${tag}`;

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
/** How long the stand-in refresh runs: past both bounds of the store below, as a refresh over months of history runs past the engine's 10 s and 15 s. */
const REFRESH_S = 0.8;

let c: pg.Client;
let store: TimeseriesStore;

beforeAll(async () => {
  // The store's migrations run for real; only the flavor they find is TimescaleDB's, with its
  // functions in `ext`, so the store refreshes through its own wiring onto the stand-in procedure.
  const migrate: typeof migrateStoreSchema = async (...args) => {
    await migrateStoreSchema(...args);
    return { flavor: 'timescale', extensionSchema: `"${ext}"` };
  };
  store = await createPgTimeseriesStore({ url, schema, poolSize: 1, timeouts: { statementTimeoutMs: 200, queryTimeoutMs: 400 } }, { migrate });
  c = new pg.Client({ connectionString: url });
  await c.connect();
  await aggregateViews(c, schema, ext);
  // refresh_continuous_aggregate as a procedure that takes its time and notes the session's statement_timeout.
  await c.query(`CREATE TABLE ${ext}.refresh_calls (view regclass, statement_timeout text)`);
  await c.query(`CREATE PROCEDURE ${ext}.refresh_continuous_aggregate(continuous_aggregate regclass, window_start anyelement, window_end anyelement) LANGUAGE plpgsql
    AS $$ BEGIN PERFORM pg_sleep(${REFRESH_S}); INSERT INTO ${ext}.refresh_calls VALUES (continuous_aggregate, current_setting('statement_timeout')); COMMIT; END $$`);
});

afterAll(async () => {
  await store.close();
  await c.end();
  await dropSchema(url, schema);
  await dropSchema(url, ext);
});

// The engine's pools bound every statement (postgres.statementTimeoutMs, 10 s, and the client-side
// postgres.queryTimeoutMs), and the store refreshed its continuous aggregates on the same pool: a
// refresh after a long replay, minutes over months of history, was cancelled every time
// ('canceling statement due to statement timeout'), leaving bars_1h stale. Refreshes now run on a
// connection of their own with no statement bound.
describe('the timeseries store refreshes its continuous aggregates without the pools\' statement bounds', () => {
  it('a refresh running past statementTimeoutMs and queryTimeoutMs completes, on a session with no statement_timeout', async () => {
    expect(store.flavor).toBe('timescale');
    const done = await store.refreshAggregates?.({ bars: { from: T0, to: T0 + H } });
    expect(done).toEqual([{ view: 'bars_1h', from: T0, to: T0 + H }]);
    expect((await c.query<{ view: string; statement_timeout: string }>(`SELECT view::text, statement_timeout FROM ${ext}.refresh_calls`)).rows).toEqual([
      { view: `${schema}.bars_1h`, statement_timeout: '0' },
    ]);
  });

  it('the store\'s other statements keep their bound', async () => {
    await c.query('BEGIN');
    try {
      await c.query(`LOCK TABLE ${schema}.bars IN ACCESS EXCLUSIVE MODE`);
      await expect(store.counts()).rejects.toThrow(/canceling statement due to (lock|statement) timeout/);
    } finally {
      await c.query('ROLLBACK');
    }
  });
});
