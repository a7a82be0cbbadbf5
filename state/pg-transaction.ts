import type pg from 'pg';
import { isPgQueryTimeout } from './pg-errors.js';
import { timedQuery } from './pg-timed-query.js';

/**
 * Runs `fn` in one transaction on a connection just taken from the pool: `begin` (BEGIN with its
 * SET LOCALs, one round trip), then `fn`, then COMMIT; on a failure ROLLBACK and the failure is
 * thrown as it came. The connection always goes back to the pool, and is destroyed there (not
 * handed to the next caller) when it broke or its ROLLBACK failed.
 *
 * While the connection is checked out, its own 'error' events are taken here: PostgreSQL ending
 * the backend (pg_terminate_backend, a restart or failover, idle_in_transaction_session_timeout)
 * or the socket dropping makes node-postgres emit 'error' on the client, besides failing the
 * query under way, and a client the pool has handed out has no listener of its own: the event
 * went unhandled and took the process down.
 *
 * A query given up on client-side (`query_timeout`: a server that stopped answering) leaves the
 * connection with that query still under way: no ROLLBACK is sent (it would wait behind it, a
 * second timeout); the connection is destroyed, and the server rolls the transaction back.
 *
 * With `queryTimeoutMs`, BEGIN, COMMIT and ROLLBACK each wait at most that long for their answer
 * instead of the pool's `query_timeout` (`fn` bounds its own queries, `timedQuery`).
 */
/**
 * The BEGIN of a write transaction committed with `synchronous_commit = on`, whatever the sessions'
 * default, sent in the same round trip (one WAL flush per group commit): see `durableWrite`.
 */
export const DURABLE_BEGIN = 'BEGIN; SET LOCAL synchronous_commit = on';

export async function inPgTransaction<T>(client: pg.PoolClient, begin: string, fn: (c: pg.PoolClient) => Promise<T>, queryTimeoutMs?: number): Promise<T> {
  let broken: Error | undefined;
  const onError = (e: Error): void => {
    broken ??= e;
  };
  client.on('error', onError);
  try {
    await client.query(timedQuery(begin, undefined, queryTimeoutMs));
    const out = await fn(client);
    await client.query(timedQuery('COMMIT', undefined, queryTimeoutMs));
    return out;
  } catch (e) {
    if (isPgQueryTimeout(e)) {
      broken ??= e;
    } else {
      try {
        await client.query(timedQuery('ROLLBACK', undefined, queryTimeoutMs));
      } catch (r) {
        broken ??= r instanceof Error ? r : new Error(String(r));
      }
    }
    throw e;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
