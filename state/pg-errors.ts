import { StoreError } from './errors.js';

/**
 * SQLSTATE classes and codes where the same statement can succeed later: connection exceptions
 * (08), transaction rollbacks such as serialization failures and deadlocks (40), insufficient
 * resources (53), operator intervention such as a server shutting down or starting (57P0x), and
 * a lock that was not available (55P03). Everything else (bad data, constraint, syntax) is not.
 */
const RETRYABLE_CLASSES = ['08', '40', '53'] as const;
const RETRYABLE_CODES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '55P03', '57014']);
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** Whether a failure is the server's own answer (it carries a SQLSTATE), not a socket error or a client-side timeout. */
export const hasSqlState = (e: unknown): boolean => typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' && SQLSTATE.test(e.code);

/** Whether a failure reported by `pg` may go away on retry. */
export function isRetryablePgError(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
  // No SQLSTATE: a socket error (ECONNREFUSED, ECONNRESET), "Connection terminated", a pool
  // timeout — the server or the network, not the statement.
  if (code === undefined || !SQLSTATE.test(code)) return true;
  return RETRYABLE_CODES.has(code) || RETRYABLE_CLASSES.some((c) => code.startsWith(c));
}

/** node-postgres's error when `query_timeout` passed with no answer (`createPgPool`): it has no SQLSTATE, only this message. */
export const isPgQueryTimeout = (e: unknown): e is Error => e instanceof Error && e.message === 'Query read timeout';

/**
 * Wraps a `pg` failure in a StoreError that carries its retryability. `bound` says what bounded a
 * query given up on for want of an answer: the pools' `postgres.queryTimeoutMs` unless told.
 */
export function pgStoreError(what: string, e: unknown, bound = 'postgres.queryTimeoutMs'): StoreError {
  if (e instanceof StoreError) return e;
  // 'Query read timeout' alone did not say that the server stopped answering, nor what bounds the wait.
  const message = isPgQueryTimeout(e) ? `no answer from PostgreSQL within ${bound} (${e.message}); it may be hung or unreachable` : e instanceof Error ? e.message : String(e);
  return new StoreError(`${what}: ${message}`, isRetryablePgError(e), { cause: e });
}
