import type pg from 'pg';
import type { WriteBound } from './risk-store.js';
import { StoreError, StoreUnconfirmedError } from './errors.js';
import { hasSqlState, pgStoreError } from './pg-errors.js';
import { timedQuery } from './pg-timed-query.js';
import { DURABLE_BEGIN, inPgTransaction } from './pg-transaction.js';

/**
 * How much longer than a bounded write's server-side `statement_timeout` the client waits for an
 * answer before giving the server up for hung: a server that still answers sends its own
 * 'canceling statement due to …' within a round trip, and that error (the server is there, a
 * lock or a slow statement) is the one to report. Small: `control.riskWriteTimeoutMs` plus the
 * audit deadline may use 4 of ctl's 5 s.
 */
export const ANSWER_MARGIN_MS = 250;

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
 * stored; and a server that stops answering altogether fails it client-side after `timeoutMs` and
 * {@link ANSWER_MARGIN_MS} per statement (not the pool's longer `query_timeout`): an operator's
 * command bounded by `control.riskWriteTimeoutMs` answers UNAVAILABLE before `sextant ctl` gives
 * up (5 s), not "engine not reached" after the pool's 15. Not bounded here: the wait for a pooled
 * connection (the pool's own timeout, 3 s); but with `remainingMs` the time left is read again
 * once the connection is in hand, and a write with none left is given up (a retryable
 * `StoreError`, nothing sent), its statements bounded by the lesser of the two: a command
 * answered as not done by its deadline is not stored after that answer. A COMMIT sent and not
 * answered (given up client-side, or the connection lost) fails with a `StoreUnconfirmedError`:
 * the server may have committed it.
 */
export async function durableWrite(pool: pg.Pool, what: string, sql: string, params: unknown[], bound?: number | WriteBound): Promise<void> {
  const b = typeof bound === 'number' ? { timeoutMs: bound } : bound;
  if (b !== undefined && (!Number.isSafeInteger(b.timeoutMs) || b.timeoutMs < 1)) throw new RangeError(`${what}: timeoutMs must be a whole number of ms above 0, got ${b.timeoutMs}`);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw pgStoreError(what, e);
  }
  // The time left once the connection is in hand (a pooled one can take up to the pool's 3 s).
  const remaining = b?.remainingMs === undefined ? undefined : Math.floor(b.remainingMs());
  if (remaining !== undefined && remaining < 1) {
    client.release();
    throw new StoreError(`${what}: given up, not written: no time left once a connection was free (its bound passed while it waited for one)`, true);
  }
  const timeoutMs = b === undefined ? undefined : remaining === undefined ? b.timeoutMs : Math.min(b.timeoutMs, remaining);
  const begin = timeoutMs === undefined ? DURABLE_BEGIN : `${DURABLE_BEGIN}; SET LOCAL lock_timeout = ${timeoutMs}; SET LOCAL statement_timeout = ${timeoutMs}`;
  const answerMs = timeoutMs === undefined ? undefined : timeoutMs + ANSWER_MARGIN_MS;
  let committing = false; // the statement done: what fails next is the COMMIT
  try {
    await inPgTransaction(
      client,
      begin,
      async (c) => {
        await c.query(timedQuery(sql, params, answerMs));
        committing = true;
      },
      answerMs,
    );
  } catch (e) {
    const err = pgStoreError(what, e, answerMs === undefined ? undefined : `${answerMs} ms (the write's bound, ${timeoutMs} ms, and ${ANSWER_MARGIN_MS} for the server's own answer)`);
    // No answer to the COMMIT (given up client-side, or the connection lost): the server may have
    // committed. Not "not written", as a server's own error (a cancel, 55P03 / 57014) or a failure
    // before the COMMIT is: whoever is told must not be told it was not done.
    if (committing && !hasSqlState(e)) throw new StoreUnconfirmedError(`${err.message}: sent its COMMIT, unanswered: it may be stored`, true, { cause: e });
    throw err;
  }
}
