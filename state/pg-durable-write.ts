import type pg from 'pg';
import { pgStoreError } from './pg-errors.js';
import { DURABLE_BEGIN, inPgTransaction } from './pg-transaction.js';

/**
 * Runs one write in a transaction committed with `synchronous_commit = on`, whatever the
 * server, database, role or connection URL sets as the sessions' default: it resolves only
 * once the commit's WAL is flushed, so a PostgreSQL crash cannot lose a write its caller was
 * told was stored (with `off`, the last few hundred milliseconds of commits can go). For what
 * must never go backwards after it is acknowledged: the risk state, the operator audit trail.
 * A failure becomes a `StoreError` saying `what`; the transaction is rolled back (`inPgTransaction`).
 *
 * With `timeoutMs`, the transaction also sets `lock_timeout` and `statement_timeout` to it: a
 * write behind a lock another session holds, or a statement that runs longer, is cancelled by the
 * server and rolled back (a retryable `StoreError`: 55P03, 57014), so the caller knows it was not
 * stored. Not bounded here: the wait for a pooled connection (the pool's own timeout) and a
 * server that stops answering altogether (the pool's `query_timeout`, `createPgPool`).
 */
export async function durableWrite(pool: pg.Pool, what: string, sql: string, params: unknown[], timeoutMs?: number): Promise<void> {
  if (timeoutMs !== undefined && (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1)) throw new RangeError(`${what}: timeoutMs must be a whole number of ms above 0, got ${timeoutMs}`);
  const begin = timeoutMs === undefined ? DURABLE_BEGIN : `${DURABLE_BEGIN}; SET LOCAL lock_timeout = ${timeoutMs}; SET LOCAL statement_timeout = ${timeoutMs}`;
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw pgStoreError(what, e);
  }
  try {
    await inPgTransaction(client, begin, (c) => c.query(sql, params));
  } catch (e) {
    throw pgStoreError(what, e);
  }
}
