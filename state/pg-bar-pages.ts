import { barId, TIMEFRAME_MS } from '../streams/messages/bar.js';
import type { Bar } from '../streams/messages/bar.js';
import type { PgQuery } from './pg-query.js';
import { AGGREGATED_BAR_TF, CONTINUOUS_AGGREGATES } from './pg-timescale-aggregates.js';
import { rangeWhere } from './pg-timeseries-sql.js';
import type { PagedQuery } from './timeseries-store.js';

type BarRow = { id: string | null; open: number; high: number; low: number; close: number; volume: number; ms: number; us: string };

/**
 * Where bars are read from: the `bars` table (rows of the asked timeframe), or TimescaleDB's
 * continuous aggregate `bars_1h` (hourly buckets of the stored 1m bars; no id column, no tf).
 */
export type BarRelation = 'bars' | 'bars_1h';

const BUCKET = CONTINUOUS_AGGREGATES.find((a) => a.view === 'bars_1h')?.bucket ?? '1 hour';

/**
 * Only the hours that are over: a bucket is served once a 1m bar of the asset at or after its
 * last minute is stored (the newest 1m bar's close reaches the bucket's end), so the hour still
 * filling, or the last hour of a history that stops mid-hour, is not served as a whole 1h bar
 * (its volume and range were part of an hour's). An hour with a hole in its minutes is served once
 * later bars show it is over. One uncorrelated sub-query (the newest 1m bar, an index probe), run
 * once per page. Its parameters are the aggregate's own `$1` (venue) and `$2` (symbol).
 */
const closedBucket = (schema: string): string =>
  `bucket + interval '${BUCKET}' <= (SELECT max(ts) + interval '${TIMEFRAME_MS[AGGREGATED_BAR_TF]} milliseconds' FROM ${schema}.bars WHERE tf = '${AGGREGATED_BAR_TF}' AND venue = $1 AND symbol = $2)`;

/**
 * The first-page and next-page queries of a relation and the parameters before the cursor.
 * The aggregate's columns are those `continuousAggregateStatements` defines (`bucket`, `open`,
 * `high`, `low`, `close`, `volume`); its ids are made as every source makes a bar's (`barId`).
 */
export function barPageSql(schema: string, q: PagedQuery & Readonly<{ tf: string }>, relation: BarRelation): { first: string; next: string; params: unknown[] } {
  const native = relation === 'bars';
  const time = native ? 'ts' : 'bucket';
  const { where, params } = rangeWhere(q, native ? 2 : 1, time);
  const base = native ? [q.tf, ...params] : params;
  const cursorParam = base.length + 1;
  const select =
    `SELECT ${native ? 'id' : 'NULL::text AS id'}, open, high, low, close, volume, (extract(epoch from ${time}) * 1000)::float8 AS ms, ` +
    `(extract(epoch from ${time}) * 1000000)::bigint::text AS us FROM ${schema}.${relation} WHERE ${native ? 'tf = $1 AND ' : ''}${where}` +
    (native ? '' : ` AND ${closedBucket(schema)}`);
  return {
    first: `${select} ORDER BY ${time} LIMIT $${cursorParam}`,
    next: `${select} AND ${time} > timestamptz 'epoch' + $${cursorParam}::bigint * interval '1 microsecond' ORDER BY ${time} LIMIT $${cursorParam + 1}`,
    params: base,
  };
}

/**
 * The bars of a range, a page at a time, by keyset pagination: each page is the next `pageSize`
 * rows after the last row's `ts` (`ts` is unique within (venue, symbol, tf), the primary key, so
 * `ts > last` neither skips nor repeats a row, and the key's index serves every page as a range
 * scan). The cursor is the row's time in whole microseconds, PostgreSQL's own precision, so a row
 * written with sub-millisecond time by another writer is not lost or read twice either. From
 * `bars_1h` (`relation`) the same, on `bucket`, unique per (venue, symbol) there.
 *
 * `limit` (for `bars()`): at most this many rows over all pages.
 */
export async function* pgBarPages(
  query: PgQuery,
  schema: string,
  q: PagedQuery & Readonly<{ tf: string }>,
  pageSize: number,
  limit = Number.POSITIVE_INFINITY,
  relation: BarRelation = 'bars',
): AsyncGenerator<Bar[]> {
  const { first, next, params } = barPageSql(schema, q, relation);
  const tf = q.tf as Bar['tf'];
  let cursor: string | undefined;
  let left = limit;
  while (left > 0) {
    const size = Math.min(pageSize, left);
    const rows = await query<BarRow>('bars read failed', cursor === undefined ? first : next, cursor === undefined ? [...params, size] : [...params, cursor, size]);
    if (rows.length === 0) return;
    yield rows.map((x) => ({ type: 'md.bar', v: 1, id: x.id ?? barId(q.venue, q.symbol, tf, x.ms), venue: q.venue, symbol: q.symbol, tf, open: x.open, high: x.high, low: x.low, close: x.close, volume: x.volume, ts: x.ms }));
    if (rows.length < size) return;
    left -= rows.length;
    cursor = (rows[rows.length - 1] as BarRow).us;
  }
}
