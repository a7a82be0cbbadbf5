import type { Bar } from '../streams/messages/bar.js';
import type { PgQuery } from './pg-query.js';
import { MS_COLUMN, rangeWhere } from './pg-timeseries-sql.js';
import type { PagedQuery } from './timeseries-store.js';

type BarRow = { id: string; open: number; high: number; low: number; close: number; volume: number; ms: number; us: string };

/**
 * The bars of a range, a page at a time, by keyset pagination: each page is the next `pageSize`
 * rows after the last row's `ts` (`ts` is unique within (venue, symbol, tf), the primary key, so
 * `ts > last` neither skips nor repeats a row, and the key's index serves every page as a range
 * scan). The cursor is the row's time in whole microseconds, PostgreSQL's own precision, so a row
 * written with sub-millisecond time by another writer is not lost or read twice either.
 *
 * `limit` (for `bars()`): at most this many rows over all pages.
 */
export async function* pgBarPages(query: PgQuery, schema: string, q: PagedQuery & Readonly<{ tf: string }>, pageSize: number, limit = Number.POSITIVE_INFINITY): AsyncGenerator<Bar[]> {
  const { where, params } = rangeWhere(q, 2);
  const base = [q.tf, ...params];
  const cursorParam = base.length + 1;
  const select = `SELECT id, open, high, low, close, volume, ${MS_COLUMN}, (extract(epoch from ts) * 1000000)::bigint::text AS us FROM ${schema}.bars WHERE tf = $1 AND ${where}`;
  const first = `${select} ORDER BY ts LIMIT $${cursorParam}`;
  const next = `${select} AND ts > timestamptz 'epoch' + $${cursorParam}::bigint * interval '1 microsecond' ORDER BY ts LIMIT $${cursorParam + 1}`;
  const tf = q.tf as Bar['tf'];
  let cursor: string | undefined;
  let left = limit;
  while (left > 0) {
    const size = Math.min(pageSize, left);
    const rows = await query<BarRow>('bars read failed', cursor === undefined ? first : next, cursor === undefined ? [...base, size] : [...base, cursor, size]);
    if (rows.length === 0) return;
    yield rows.map((x) => ({ type: 'md.bar', v: 1, id: x.id, venue: q.venue, symbol: q.symbol, tf, open: x.open, high: x.high, low: x.low, close: x.close, volume: x.volume, ts: x.ms }));
    if (rows.length < size) return;
    left -= rows.length;
    cursor = (rows[rows.length - 1] as BarRow).us;
  }
}
