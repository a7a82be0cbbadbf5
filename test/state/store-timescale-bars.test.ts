import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import { barPageSql } from '../../state/pg-bar-pages.js';
import { AGGREGATE_TF, chooseBarRelation, pgHistoryBars } from '../../state/pg-history-bars.js';
import { pgQuery } from '../../state/pg-query.js';
import { CONTINUOUS_AGGREGATES } from '../../state/pg-timescale-aggregates.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import { barId, TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import { dropSchema } from '../support/pg.js';
import { aggregateViews } from '../support/timescale-stand-ins.js';

// Real PostgreSQL. The store picks the Timescale flavor only where the extension is installed,
// which it cannot be here: the bar reads it wires (`pgHistoryBars`) are run with `flavor:
// 'timescale'` on the store's own schema, where `bars_1h` is a plain view of the continuous
// aggregate's own query over stand-ins for time_bucket/first/last.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const tag = randomUUID().replaceAll('-', '').slice(0, 12);
const schema = `sx_tsb_${tag}`;
const ext = `sx_tsbx_${tag}`;

const H = 3_600_000;
const M = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const V = 'binance';

const bar = (symbol: string, tf: Bar['tf'], ts: number, i: number): Bar => ({ type: 'md.bar', v: 1, id: barId(V, symbol, tf, ts), venue: V, symbol, tf, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 1, ts });

let store: TimeseriesStore;
let pool: pg.Pool;

beforeAll(async () => {
  store = await createPgTimeseriesStore({ url, schema, poolSize: 2 });
  pool = new pg.Pool({ connectionString: url, max: 2 });
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await aggregateViews(c, schema, ext);
  } finally {
    await c.end();
  }
  // BTC: 2 h 30 min of 1m bars only. ETH: 1m bars and its own 1h bars.
  const btc = Array.from({ length: 150 }, (_, i) => bar('BTC/USDT', '1m', T0 + i * M, i));
  const eth = [...Array.from({ length: 120 }, (_, i) => bar('ETH/USDT', '1m', T0 + i * M, i)), bar('ETH/USDT', '1h', T0, 1000), bar('ETH/USDT', '1h', T0 + H, 2000)];
  await store.insert({ bars: [...btc, ...eth] });
});

afterAll(async () => {
  await store.close();
  await pool.end();
  await dropSchema(url, schema);
  await dropSchema(url, ext);
});

const recording = (): { log: Logger; lines: Array<{ source: unknown; msg: string }> } => {
  const lines: Array<{ source: unknown; msg: string }> = [];
  const log: Logger = { ...silentLogger, info: (f, msg) => void lines.push({ source: f['source'], msg }), child: () => log };
  return { log, lines };
};

const window = { venue: V, from: T0, to: T0 + 3 * H };

describe('1h bars from the continuous aggregate bars_1h on TimescaleDB (real PostgreSQL, stand-in view)', () => {
  it('serves 1h bars from bars_1h where only 1m bars are stored, paged, in the Bar shape, and says so in the log', async () => {
    const { log, lines } = recording();
    const reads = pgHistoryBars(pgQuery(pool), { flavor: 'timescale', schema, log });
    const hourly = (i: number, ts: number, n: number): Bar => ({ type: 'md.bar', v: 1, id: barId(V, 'BTC/USDT', '1h', ts), venue: V, symbol: 'BTC/USDT', tf: '1h', open: 100 + i, high: 102 + i + n - 1, low: 99 + i, close: 101 + i + n - 1, volume: n, ts });
    // The third hour holds 30 minutes of bars and no later bar is stored: not over, not served.
    const expected = [hourly(0, T0, 60), hourly(60, T0 + H, 60)];
    expect(await reads.bars({ ...window, symbol: 'BTC/USDT', tf: '1h' })).toEqual(expected);
    // A page at a time, keyset on the bucket: nothing skipped or repeated.
    const pages: Bar[][] = [];
    for await (const p of reads.barPages({ ...window, symbol: 'BTC/USDT', tf: '1h', pageSize: 1 })) pages.push([...p]);
    expect(pages).toEqual([expected.slice(0, 1), expected.slice(1)]);
    expect(await reads.bars({ ...window, symbol: 'BTC/USDT', tf: '1h', limit: 1 })).toEqual(expected.slice(0, 1));
    // The window's bounds apply to the bucket.
    expect(await reads.bars({ venue: V, symbol: 'BTC/USDT', tf: '1h', from: T0 + 1, to: T0 + 2 * H })).toEqual([expected[1]]);
    expect(lines.map((l) => l.source)).toEqual(['bars_1h', 'bars_1h', 'bars_1h', 'bars_1h']);
    expect(lines[0]?.msg).toMatch(/continuous aggregate bars_1h/);
  });

  it('serves an hour once a later 1m bar shows it is over, holes in its minutes and all', async () => {
    const reads = pgHistoryBars(pgQuery(pool), { flavor: 'timescale', schema });
    const sym = 'SOL/USDT';
    const q = { ...window, symbol: sym, tf: '1h' };
    // 45 minutes of the first hour (minutes 10–54): the hour may still be filling.
    await store.insert({ bars: Array.from({ length: 45 }, (_, i) => bar(sym, '1m', T0 + (10 + i) * M, i)) });
    expect(await reads.bars(q)).toEqual([]);
    // Its last minute arrives: over, with the 46 bars it holds.
    await store.insert({ bars: [bar(sym, '1m', T0 + 59 * M, 45)] });
    expect((await reads.bars(q)).map((b) => [b.ts, b.volume])).toEqual([[T0, 46]]);
    // The next hour's first minutes: the first hour as before, the second not yet.
    await store.insert({ bars: [bar(sym, '1m', T0 + H, 46), bar(sym, '1m', T0 + H + 5 * M, 47)] });
    expect((await reads.bars(q)).map((b) => [b.ts, b.volume])).toEqual([[T0, 46]]);
    // A bar of the third hour: the second, two minutes in all, is over.
    await store.insert({ bars: [bar(sym, '1m', T0 + 2 * H + 30 * M, 48)] });
    expect((await reads.bars(q)).map((b) => [b.ts, b.volume])).toEqual([[T0, 46], [T0 + H, 2]]);
    // Another asset's newer bars say nothing of this one's hours.
    expect((await reads.bars({ ...q, symbol: 'BTC/USDT' })).map((b) => b.ts)).toEqual([T0, T0 + H]);
  });

  it('reads the bars table when it holds 1h bars in the window, for other timeframes, and on plain PostgreSQL', async () => {
    const { log, lines } = recording();
    const q = pgQuery(pool);
    const reads = pgHistoryBars(q, { flavor: 'timescale', schema, log });
    const eth = await reads.bars({ ...window, symbol: 'ETH/USDT', tf: '1h' });
    expect(eth.map((b) => [b.ts, b.open])).toEqual([[T0, 1100], [T0 + H, 2100]]); // its own 1h bars, never stitched with bars_1h
    expect(lines.map((l) => l.source)).toEqual(['bars']);
    expect(await reads.bars({ ...window, symbol: 'BTC/USDT', tf: '1m', limit: 2 })).toHaveLength(2);
    expect(await chooseBarRelation(q, { flavor: 'timescale', schema }, { ...window, symbol: 'BTC/USDT', tf: '5m' })).toBe('bars');
    expect(lines).toHaveLength(1); // only 1h reads are decided, and logged
    // Plain PostgreSQL: the bars table always, nothing logged, as before.
    const plain = recording();
    expect(await pgHistoryBars(q, { flavor: 'postgres', schema, log: plain.log }).bars({ ...window, symbol: 'BTC/USDT', tf: '1h' })).toEqual([]);
    expect(await chooseBarRelation(q, { flavor: 'postgres', schema }, { ...window, symbol: 'BTC/USDT', tf: '1h' })).toBe('bars');
    expect(plain.lines).toEqual([]);
    // The store itself, plain here, with a bars_1h beside its tables: unchanged.
    expect(store.flavor).toBe('postgres');
    expect(await store.bars({ ...window, symbol: 'BTC/USDT', tf: '1h' })).toEqual([]);
  });

  it('reads the aggregate by its own columns, with the timeframe of its buckets', () => {
    expect(CONTINUOUS_AGGREGATES.find((a) => a.view === 'bars_1h')?.bucketMs).toBe(TIMEFRAME_MS[AGGREGATE_TF]);
    const { first, params } = barPageSql('sextant', { venue: V, symbol: 'BTC/USDT', tf: '1h', from: T0 }, 'bars_1h');
    expect(first).toMatch(/^SELECT NULL::text AS id, open, high, low, close, volume, \(extract\(epoch from bucket\) \* 1000\)::float8 AS ms, .* FROM sextant\.bars_1h WHERE venue = \$1 AND symbol = \$2 AND bucket >= .* AND bucket \+ interval '1 hour' <= \(SELECT max\(ts\) \+ interval '60000 milliseconds' FROM sextant\.bars WHERE tf = '1m' AND venue = \$1 AND symbol = \$2\) ORDER BY bucket LIMIT \$4$/);
    expect(params).toEqual([V, 'BTC/USDT', T0]);
  });
});
