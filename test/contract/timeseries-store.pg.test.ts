import { readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { QueryResultRow } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreConnectError, StoreError } from '../../state/errors.js';
import { MIGRATIONS_DIR, MIGRATIONS_TABLE } from '../../state/pg-migrate.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import type { Bar } from '../../streams/messages/bar.js';
import { dropSchema, queryRows } from '../support/pg.js';
import { timeseriesStoreContract } from './timeseries-store.contract.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schemas of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const newSchema = (): string => `sx_ct_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const schema = newSchema();
const fresh = newSchema();
afterAll(async () => {
  await dropSchema(url, schema);
  await dropSchema(url, fresh);
});

timeseriesStoreContract('PostgreSQL', () => createPgTimeseriesStore({ url, schema, poolSize: 2 }));

const sql = <R extends QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> => queryRows<R>(url, text, params);

describe('PostgreSQL timeseries store', () => {
  it('migrates a fresh schema once when three processes start at once, then again as a no-op', async () => {
    const stores = await Promise.all([1, 2, 3].map(() => createPgTimeseriesStore({ url, schema: fresh, poolSize: 1 })));
    for (const s of stores) expect(s.flavor).toBe('postgres'); // no timescaledb on this machine
    await Promise.all(stores.map((s) => s.close()));
    const again = await createPgTimeseriesStore({ url, schema: fresh, poolSize: 1 });
    await again.close();
    const applied = await sql<{ name: string }>(`SELECT name FROM ${fresh}.${MIGRATIONS_TABLE} ORDER BY run_on, id`);
    // Every migration file, each applied exactly once, in file order.
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => f.slice(0, -'.sql'.length))
      .sort();
    expect(files.slice(0, 2)).toEqual(['1732300000000_market-history', '1732400000000_byte-order-ids']);
    expect(applied.map((r) => r.name)).toEqual(files);
    const tables = await sql<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [fresh]);
    expect(tables.map((r) => r.table_name)).toEqual(expect.arrayContaining(['bars', 'features', 'quotes', MIGRATIONS_TABLE, 'trades']));
  });

  it('stores time as timestamptz and feature values as jsonb, nulls kept', async () => {
    const cols = await sql<{ table_name: string; column_name: string; data_type: string }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND column_name IN ('ts', 'values') ORDER BY 1, 2`,
      [fresh],
    );
    expect(cols.map((c) => `${c.table_name}.${c.column_name}:${c.data_type}`)).toEqual([
      'bars.ts:timestamp with time zone', 'features.ts:timestamp with time zone', 'features.values:jsonb',
      'quotes.ts:timestamp with time zone', 'trades.ts:timestamp with time zone',
    ]);
  });

  it('rolls back the whole batch and says not to retry when a row is malformed', async () => {
    const store = await createPgTimeseriesStore({ url, schema: fresh, poolSize: 1 });
    try {
      const ok: Bar = { type: 'md.bar', v: 1, id: 'b:1', venue: 'binance', symbol: 'X/USDT', tf: '1h', open: 1, high: 1, low: 1, close: 1, volume: 1, ts: 1_000 };
      const err = await store.insert({ bars: [ok, { ...ok, id: 'b:2', ts: 1_000.5 }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).retryable).toBe(false);
      expect((await store.counts()).bars).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('fails fast with a retryable connect error when PostgreSQL cannot be reached', async () => {
    const t = performance.now();
    const err = await createPgTimeseriesStore({ url: 'postgres://postgres@127.0.0.1:1/test', schema: fresh, poolSize: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreConnectError);
    expect((err as StoreConnectError).retryable).toBe(true);
    expect(performance.now() - t).toBeLessThan(5_000);
  });

  it('refuses an unsafe schema name', async () => {
    const err = await createPgTimeseriesStore({ url, schema: 'x; drop table y', poolSize: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).retryable).toBe(false);
  });
});
