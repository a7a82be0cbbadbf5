import type pg from 'pg';
import { jsonOf } from '../streams/codec.js';
import type { Bar } from '../streams/messages/bar.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import type { Quote } from '../streams/messages/quote.js';
import type { Trade } from '../streams/messages/trade.js';
import { StoreConnectError, StoreError } from './errors.js';
import { pgStoreError } from './pg-errors.js';
import { DURABLE_BEGIN, inPgTransaction } from './pg-transaction.js';
import { migrateStoreSchema } from './pg-migrate.js';
import { createPgPool } from './pg-pool.js';
import type { PgTimeouts } from './pg-pool.js';
import { insertStatements, limitClause, MS_COLUMN, rangeWhere } from './pg-timeseries-sql.js';
import type { InsertCounts, TimeseriesStore } from './timeseries-store.js';
import type { TimescalePolicies } from './timescale-policy-config.js';
import { pgAggregateRefresher } from './pg-aggregate-refresh.js';
import { pgHistoryBars } from './pg-history-bars.js';
import type { Logger } from './logger.js';
import { pgQuery } from './pg-query.js';

export type PgTimeseriesStoreOptions = Readonly<{
  url: string;
  schema: string;
  poolSize: number;
  /** Compression and retention on TimescaleDB (`postgres.timescale`); absent: none added. */
  timescale?: TimescalePolicies;
  /** Says which source a 1h read used on TimescaleDB (`bars` or the aggregate `bars_1h`). */
  log?: Logger;
  /**
   * Bounds every statement (`createPgPool`) but the aggregate refreshes', and the migrations
   * (`migrateStoreSchema`); absent: none.
   */
  timeouts?: PgTimeouts;
}>;

/**
 * What the store runs at start, replaceable: a test stands TimescaleDB in (plain PostgreSQL cannot
 * load it) by answering its flavor after the real migrations.
 */
export type PgTimeseriesStoreDeps = Readonly<{ migrate?: typeof migrateStoreSchema }>;

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;
/** Rows per statement: bounds the size of one message to the server, not a parameter count. */
const CHUNK = 5000;
const TABLES: ReadonlySet<string> = new Set(['bars', 'trades', 'quotes', 'features']);
const ZERO: InsertCounts = { trades: 0, quotes: 0, bars: 0, features: 0 };

/**
 * History on PostgreSQL, with TimescaleDB hypertables, continuous aggregates (`bars_1h`,
 * `trade_bars_1m`) and the configured compression and retention when the extension is there; there
 * a 1h read of a window with only 1m bars stored is served from `bars_1h` (`pgHistoryBars`), and
 * `refreshAggregates` refreshes the aggregates over history written too old for their policies
 * (`pgAggregateRefresher`; nothing on plain PostgreSQL). Migrations
 * run at start (see `migrateSchema`); inserts are column arrays, chunked per table, one
 * transaction per batch, and idempotent on keys that include time.
 *
 * @example
 * const ts = await createPgTimeseriesStore({ url: 'postgres://postgres@127.0.0.1/test', schema: 'sextant', poolSize: 4 });
 * await ts.insert({ bars }); // → { bars: <new rows>, trades: 0, quotes: 0, features: 0 }
 */
export async function createPgTimeseriesStore(opts: PgTimeseriesStoreOptions, deps: PgTimeseriesStoreDeps = {}): Promise<TimeseriesStore> {
  if (!SCHEMA_RE.test(opts.schema)) throw new StoreError(`invalid schema name ${opts.schema}`, false);
  const s = opts.schema;
  const { flavor, extensionSchema } = await (deps.migrate ?? migrateStoreSchema)(opts.url, s, opts.timescale, opts.timeouts?.migrationTimeoutMs);
  const pool = createPgPool(opts.url, opts.poolSize, opts.timeouts);
  // The aggregate refreshes' own connection, with no bound on a statement: a refresh after a replay
  // of months of history legitimately runs for minutes, and nothing waits on it but the engine's
  // stop (actors/history-refresh.ts); under the pools' statementTimeoutMs, meant for the hot path's
  // writes, it was cancelled every time. One connection (refreshes run one at a time), opened at
  // the first refresh (on TimescaleDB only), closed when idle and with the store.
  const refreshPool = createPgPool(opts.url, 1);

  const query = pgQuery(pool);
  const INSERT = insertStatements(s);

  const insertChunks = async <T>(client: pg.PoolClient, rows: readonly T[], sql: string, columns: (chunk: readonly T[]) => unknown[]): Promise<number> => {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.length <= CHUNK ? rows : rows.slice(i, i + CHUNK);
      inserted += (await client.query(sql, columns(chunk))).rowCount ?? 0;
    }
    return inserted;
  };

  const insert: TimeseriesStore['insert'] = async (batch) => {
    const { bars = [], trades = [], quotes = [], features = [] } = batch;
    if (bars.length + trades.length + quotes.length + features.length === 0) return ZERO;
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw new StoreConnectError(`cannot get a PostgreSQL connection: ${(e as Error).message}`, { cause: e });
    }
    try {
      // Committed with synchronous_commit on, whatever the sessions' default (as `durableWrite`):
      // an asset actor acknowledges its input once its history is stored (actors/recorder-actor.ts),
      // so nothing delivers a lost row again, and the labeling actor reads a prediction's
      // point-in-time vector back from `features`. One WAL flush per group commit.
      return await inPgTransaction(client, DURABLE_BEGIN, async (tx): Promise<InsertCounts> => ({
        bars: await insertChunks<Bar>(tx, bars, INSERT.bars, (c) => [
          c.map((r) => r.venue), c.map((r) => r.symbol), c.map((r) => r.tf), c.map((r) => r.ts), c.map((r) => r.id),
          c.map((r) => r.open), c.map((r) => r.high), c.map((r) => r.low), c.map((r) => r.close), c.map((r) => r.volume),
        ]),
        trades: await insertChunks<Trade>(tx, trades, INSERT.trades, (c) => [
          c.map((r) => r.venue), c.map((r) => r.symbol), c.map((r) => r.ts), c.map((r) => r.id), c.map((r) => r.price), c.map((r) => r.qty), c.map((r) => r.side),
        ]),
        quotes: await insertChunks<Quote>(tx, quotes, INSERT.quotes, (c) => [
          c.map((r) => r.venue), c.map((r) => r.symbol), c.map((r) => r.ts), c.map((r) => r.id),
          c.map((r) => r.bid), c.map((r) => r.bidSize), c.map((r) => r.ask), c.map((r) => r.askSize),
        ]),
        features: await insertChunks<FeatureVector>(tx, features, INSERT.features, (c) => [`[${c.map((r) => jsonOf(r)).join(',')}]`]),
      }));
    } catch (e) {
      throw pgStoreError('insert failed', e);
    }
  };

  return {
    flavor,
    insert,
    ...pgHistoryBars(query, { flavor, schema: s, ...(opts.log !== undefined ? { log: opts.log } : {}) }),
    ...pgAggregateRefresher(pgQuery(refreshPool), { flavor, schema: s, ...(extensionSchema !== undefined ? { extensionSchema } : {}) }),
    trades: async (q) => {
      const { where, params } = rangeWhere(q, 1);
      const rows = await query<{ id: string; price: number; qty: number; side: Trade['side']; ms: number }>(
        'trades read failed',
        `SELECT id, price, qty, side, ${MS_COLUMN} FROM ${s}.trades WHERE ${where} ORDER BY ts, id${limitClause(q.limit)}`,
        params,
      );
      return rows.map((x) => ({ type: 'md.trade', v: 1, id: x.id, venue: q.venue, symbol: q.symbol, price: x.price, qty: x.qty, side: x.side, ts: x.ms }));
    },
    quotes: async (q) => {
      const { where, params } = rangeWhere(q, 1);
      const rows = await query<{ id: string; bid: number; bid_size: number; ask: number; ask_size: number; ms: number }>(
        'quotes read failed',
        `SELECT id, bid, bid_size, ask, ask_size, ${MS_COLUMN} FROM ${s}.quotes WHERE ${where} ORDER BY ts, id${limitClause(q.limit)}`,
        params,
      );
      return rows.map((x) => ({ type: 'md.quote', v: 1, id: x.id, venue: q.venue, symbol: q.symbol, bid: x.bid, bidSize: x.bid_size, ask: x.ask, askSize: x.ask_size, ts: x.ms }));
    },
    features: async (q) => {
      const { where, params } = rangeWhere(q, 1);
      const rows = await query<{ id: string; source: string; values: Record<string, number | null>; ms: number }>(
        'features read failed',
        `SELECT id, source, "values", ${MS_COLUMN} FROM ${s}.features WHERE ${where} ORDER BY ts, id${limitClause(q.limit)}`,
        params,
      );
      return rows.map((x) => ({ type: 'feat.vector', v: 1, id: x.id, venue: q.venue, symbol: q.symbol, ts: x.ms, source: x.source, values: x.values }));
    },
    barFeatures: async (q) => {
      // A bar's vector id is `f:` + its bar id, `b:venue:symbol:tf:ts`: the id range of that prefix
      // (ids compare byte by byte) is checked on the primary-key index, before any row is fetched.
      const prefix = `b:${q.venue}:${q.symbol}:${q.tf}:`;
      const rows = await query<{ id: string; source: string; values: Record<string, number | null>; ms: number }>(
        'bar features read failed',
        `SELECT id, source, "values", ${MS_COLUMN} FROM ${s}.features
          WHERE venue = $1 AND symbol = $2 AND id > $3 AND id < $4 AND source = $5 || ((extract(epoch from ts) * 1000)::bigint)::text
          ORDER BY ts DESC, id DESC${limitClause(q.limit)}`,
        [q.venue, q.symbol, `f:${prefix}`, `f:${prefix.slice(0, -1)};`, prefix],
      );
      return rows.map((x) => ({ type: 'feat.vector', v: 1, id: x.id, venue: q.venue, symbol: q.symbol, ts: x.ms, source: x.source, values: x.values }));
    },
    counts: async () => {
      const rows = await query<{ t: string; b: string; q: string; f: string }>(
        'counts failed',
        `SELECT (SELECT count(*) FROM ${s}.trades)::text AS t, (SELECT count(*) FROM ${s}.bars)::text AS b,
                (SELECT count(*) FROM ${s}.quotes)::text AS q, (SELECT count(*) FROM ${s}.features)::text AS f`,
      );
      const row = rows[0];
      return { trades: Number(row?.t ?? 0), bars: Number(row?.b ?? 0), quotes: Number(row?.q ?? 0), features: Number(row?.f ?? 0) };
    },
    lastTs: async (table: 'trades' | 'quotes' | 'bars' | 'features', venue: string, symbol: string, tf?: string) => {
      // The type guards callers in TypeScript; this guards the SQL text against anything else.
      if (!TABLES.has(table)) throw new StoreError(`unknown table ${String(table)}`, false);
      // The (venue, symbol, …, ts) primary key serves max(ts) from the asset's index range.
      const ofTf = table === 'bars' && tf !== undefined;
      const rows = await query<{ ms: number | null }>(
        'lastTs failed',
        `SELECT (extract(epoch from max(ts)) * 1000)::float8 AS ms FROM ${s}.${table} WHERE venue = $1 AND symbol = $2${ofTf ? ' AND tf = $3' : ''}`,
        ofTf ? [venue, symbol, tf] : [venue, symbol],
      );
      return rows[0]?.ms ?? undefined;
    },
    clear: async () => {
      await query('clear failed', `TRUNCATE ${s}.bars, ${s}.trades, ${s}.quotes, ${s}.features`);
    },
    close: async () => {
      await Promise.all([pool.end(), refreshPool.end()]);
    },
  };
}
