import type { Bar } from '../streams/messages/bar.js';
import type { Logger } from './logger.js';
import { pgBarPages } from './pg-bar-pages.js';
import type { BarRelation } from './pg-bar-pages.js';
import type { PgQuery } from './pg-query.js';
import type { StoreFlavor } from './pg-timescale.js';
import { rangeWhere } from './pg-timeseries-sql.js';
import { DEFAULT_PAGE_ROWS, pageSizeOf } from './timeseries-store.js';
import type { PagedQuery, TimeseriesReader } from './timeseries-store.js';

/** The timeframe of `bars_1h`'s buckets (`CONTINUOUS_AGGREGATES`: 1 hour). */
export const AGGREGATE_TF = '1h';

/** Whether the `bars` table holds a row of the asked timeframe in the asked window (one index probe). */
export function nativeBarsSql(schema: string, q: PagedQuery & Readonly<{ tf: string }>): { sql: string; params: unknown[] } {
  const { where, params } = rangeWhere(q, 2);
  return { sql: `SELECT EXISTS (SELECT 1 FROM ${schema}.bars WHERE tf = $1 AND ${where}) AS found`, params: [q.tf, ...params] };
}

/**
 * Where a read of bars goes, decided conservatively: `bars_1h` only on TimescaleDB, only for
 * exactly its timeframe (1h), and only when the `bars` table has no 1h row of the asset in the
 * window, so stored 1h bars (a CSV replay of 1h files) are always what is read when there are
 * any, and a window is never stitched from both. Everything else reads `bars`, with no query to
 * decide it.
 */
export async function chooseBarRelation(query: PgQuery, o: Readonly<{ flavor: StoreFlavor; schema: string }>, q: PagedQuery & Readonly<{ tf: string }>): Promise<BarRelation> {
  if (o.flavor !== 'timescale' || q.tf !== AGGREGATE_TF) return 'bars';
  const { sql, params } = nativeBarsSql(o.schema, q);
  const rows = await query<{ found: boolean }>('bars read failed', sql, params);
  return rows[0]?.found === true ? 'bars' : 'bars_1h';
}

/**
 * The store's bar reads (`bars`, `barPages`): on TimescaleDB a 1h read of a window that has only
 * 1m bars stored is served from the continuous aggregate `bars_1h`, the same paged keyset reads
 * and the same Bar shape (ids as every source makes them); the log says which source a 1h read
 * used there. On plain PostgreSQL every read is of `bars`, as before, and nothing is logged.
 *
 * Tests run this on plain PostgreSQL with `flavor: 'timescale'` and a stand-in `bars_1h` table
 * (test/state/store-timescale-bars.test.ts): the store picks the flavor from the installed
 * extension, which cannot be installed here.
 */
export function pgHistoryBars(query: PgQuery, o: Readonly<{ flavor: StoreFlavor; schema: string; log?: Logger }>): Pick<TimeseriesReader, 'bars' | 'barPages'> {
  const pages = async function* (q: PagedQuery & Readonly<{ tf: string }>, pageSize: number, limit?: number): AsyncGenerator<Bar[]> {
    const relation = await chooseBarRelation(query, o, q);
    if (o.flavor === 'timescale' && q.tf === AGGREGATE_TF) {
      o.log?.info({ venue: q.venue, symbol: q.symbol, tf: q.tf, from: q.from, to: q.to, source: relation }, relation === 'bars' ? 'bars read from the bars table' : 'no 1h bars stored in the window: bars read from the continuous aggregate bars_1h');
    }
    yield* pgBarPages(query, o.schema, q, pageSize, limit, relation);
  };
  return {
    // Paged even when collected: one query result of years of bars held the raw rows and the bars at once.
    bars: async (q) => {
      const limit = q.limit !== undefined && Number.isFinite(q.limit) ? Math.max(0, Math.floor(q.limit)) : undefined;
      const out: Bar[] = [];
      for await (const page of pages(q, DEFAULT_PAGE_ROWS, limit)) for (const b of page) out.push(b);
      return out;
    },
    barPages: (q) => pages(q, pageSizeOf(q)),
  };
}
