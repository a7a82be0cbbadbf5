import type pg from 'pg';

/**
 * A query config with its own client-side bound: node-postgres reads `query_timeout` from the
 * config object of each query before the pool's (lib/client.js, `config.query_timeout ||
 * connectionParameters.query_timeout`), though @types/pg does not declare it there. Past it the
 * query fails with 'Query read timeout' (`isPgQueryTimeout`). A bound of 0 or none keeps the
 * connection's own.
 */
export type TimedQueryConfig = pg.QueryConfig & Readonly<{ query_timeout?: number }>;

/** `text` (and `values`) as a query that waits at most `queryTimeoutMs` for its answer; the connection's own bound when undefined. */
export const timedQuery = (text: string, values: unknown[] | undefined, queryTimeoutMs: number | undefined): TimedQueryConfig => ({
  text,
  ...(values !== undefined ? { values } : {}),
  ...(queryTimeoutMs !== undefined ? { query_timeout: queryTimeoutMs } : {}),
});
