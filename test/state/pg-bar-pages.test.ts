import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBarFiles } from '../../gateways/data-dir.js';
import { readBars } from '../../gateways/historical/bars-csv.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import type { Bar } from '../../streams/messages/bar.js';
import { testDataDir } from '../support/data-dir.js';
import { dropSchema } from '../support/pg.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. A schema of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_pages_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'] as const;
const FROM = Date.UTC(2022, 0, 1);
const TO = Date.UTC(2022, 2, 1); // two months of 1h bars: 1,416 per symbol, at the same times
let store: TimeseriesStore;
let client: pg.Client;

/** Every bar of `symbol` the way one unpaged query reads them (the read before paging). */
async function singleQuery(symbol: string, tf: string, from?: number, to?: number): Promise<Bar[]> {
  const rows = await client.query<{ id: string; open: number; high: number; low: number; close: number; volume: number; ms: number }>(
    `SELECT id, open, high, low, close, volume, (extract(epoch from ts) * 1000)::float8 AS ms FROM ${schema}.bars
     WHERE venue = 'binance' AND symbol = $1 AND tf = $2 AND ts >= to_timestamp($3::float8 / 1000) AND ts < to_timestamp($4::float8 / 1000) ORDER BY ts`,
    [symbol, tf, from ?? 0, to ?? 253_402_300_799_999],
  );
  return rows.rows.map((x) => ({ type: 'md.bar', v: 1, id: x.id, venue: 'binance', symbol, tf: tf as Bar['tf'], open: x.open, high: x.high, low: x.low, close: x.close, volume: x.volume, ts: x.ms }));
}

async function pagesOf(q: Parameters<TimeseriesStore['barPages']>[0]): Promise<(readonly Bar[])[]> {
  const out: (readonly Bar[])[] = [];
  for await (const p of store.barPages(q)) out.push(p);
  return out;
}

beforeAll(async () => {
  store = await createPgTimeseriesStore({ url, schema, poolSize: 2 });
  client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const symbol of SYMBOLS) {
    const bars: Bar[] = [];
    for (const f of findBarFiles(testDataDir(), { symbols: [symbol], timeframe: '1h' })) {
      for await (const b of readBars(f.path, { venue: 'binance', symbol, tf: '1h', from: FROM, to: TO })) bars.push(b);
    }
    expect(bars).toHaveLength((TO - FROM) / 3_600_000);
    // The same bars under another timeframe too: rows at the same times that a page must not take.
    await store.insert({ bars: [...bars, ...bars.map((b): Bar => ({ ...b, tf: '4h', id: `${b.id}:4h` }))] });
  }
});

afterAll(async () => {
  await client?.end();
  await store?.close();
  await dropSchema(url, schema);
});

describe('PostgreSQL bars read a page at a time (keyset on ts)', () => {
  it('gives exactly the rows of one query, across page boundaries on times every symbol shares', async () => {
    for (const symbol of SYMBOLS) {
      const one = await singleQuery(symbol, '1h');
      expect(one).toHaveLength(1_416);
      for (const pageSize of [1, 7, 500, 1_415, 1_416, 1_417]) {
        const pages = await pagesOf({ venue: 'binance', symbol, tf: '1h', pageSize });
        expect(pages.map((p) => p.length)).toEqual(Array.from({ length: Math.ceil(1_416 / pageSize) }, (_, i) => Math.min(pageSize, 1_416 - i * pageSize)));
        expect(pages.flat()).toEqual(one);
      }
      expect(await store.bars({ venue: 'binance', symbol, tf: '1h' })).toEqual(one);
    }
  });

  it('keeps the bounds: from inclusive, to exclusive, a fractional bound rounded up', async () => {
    const from = FROM + 100 * 3_600_000;
    const to = FROM + 900 * 3_600_000;
    const one = await singleQuery('ETH/USDT', '1h', from, to);
    expect(one).toHaveLength(800);
    expect((await pagesOf({ venue: 'binance', symbol: 'ETH/USDT', tf: '1h', from, to, pageSize: 64 })).flat()).toEqual(one);
    expect((await pagesOf({ venue: 'binance', symbol: 'ETH/USDT', tf: '1h', from: from - 0.5, to: to - 0.5, pageSize: 64 })).flat()).toEqual(one);
    expect(await store.bars({ venue: 'binance', symbol: 'ETH/USDT', tf: '1h', from, to, limit: 10 })).toEqual(one.slice(0, 10));
  });

  it('neither skips nor repeats a row written with sub-millisecond time by another writer', async () => {
    await client.query(
      `INSERT INTO ${schema}.bars (venue, symbol, tf, ts, id, open, high, low, close, volume)
       SELECT 'binance', 'US/USDT', '1m', timestamptz '2022-01-01 00:00:00+00' + k * interval '1 microsecond', 'us:' || k, 1, 1, 1, 1, 1 FROM generate_series(0, 9) AS k`,
    );
    const pages = await pagesOf({ venue: 'binance', symbol: 'US/USDT', tf: '1m', pageSize: 3 });
    expect(pages.map((p) => p.map((b) => b.id))).toEqual([['us:0', 'us:1', 'us:2'], ['us:3', 'us:4', 'us:5'], ['us:6', 'us:7', 'us:8'], ['us:9']]);
  });
});
