import pg from 'pg';

/**
 * How long a statement of a store may take (`postgres.statementTimeoutMs`, `postgres.queryTimeoutMs`,
 * `postgres.migrationTimeoutMs`).
 *
 * - `statementTimeoutMs`: the sessions' `lock_timeout` and `statement_timeout`. PostgreSQL cancels
 *   a statement that waits that long for a lock another session holds, or runs that long, and
 *   rolls its transaction back: a retryable `StoreError` (55P03, 57014) naming the timeout, nothing
 *   stored. A transaction's own `SET LOCAL` (the control commands' risk writes) overrides it.
 * - `queryTimeoutMs`: node-postgres's `query_timeout`, for a server that stops answering altogether
 *   (no cancel ever comes back): the query is given up on client-side, the connection is dropped
 *   (the server rolls an open transaction back when it sees it gone) and the caller gets a
 *   retryable `StoreError`. Longer than `statementTimeoutMs`, so a server that still answers
 *   cancels first, with its own error.
 * - `migrationTimeoutMs` (optional): how long each statement of the store's migrations at start-up
 *   may wait for its answer (`migrateStoreSchema`); absent: no bound.
 */
export type PgTimeouts = Readonly<{ statementTimeoutMs: number; queryTimeoutMs: number; migrationTimeoutMs?: number }>;

/** How long getting a connection may take (the TCP connect and PostgreSQL's startup). */
const CONNECT_TIMEOUT_MS = 3000;

/**
 * A store's pool: connections in at most 3 s, and with `timeouts` every statement bounded. Without
 * them (the CLI's one-off jobs: a backtest's history read, `sextant db refresh-aggregates`), a
 * statement may take as long as it needs. An idle connection's failure surfaces on its next query.
 */
export function createPgPool(url: string, max: number, timeouts?: PgTimeouts): pg.Pool {
  if (timeouts !== undefined) {
    const { statementTimeoutMs: st, queryTimeoutMs: qt } = timeouts;
    if (!Number.isSafeInteger(st) || st < 1) throw new RangeError(`statementTimeoutMs must be a whole number of ms above 0, got ${st}`);
    if (!Number.isSafeInteger(qt) || qt <= st) throw new RangeError(`queryTimeoutMs must be a whole number of ms above statementTimeoutMs (${st}), got ${qt}`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    ...(timeouts === undefined ? {} : { statement_timeout: timeouts.statementTimeoutMs, lock_timeout: timeouts.statementTimeoutMs, query_timeout: timeouts.queryTimeoutMs }),
  });
  pool.on('error', () => {});
  return pool;
}
