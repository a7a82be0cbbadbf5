import type pg from 'pg';
import { pgStoreError } from './pg-errors.js';

export type PgQuery = <R extends pg.QueryResultRow>(what: string, sql: string, params?: unknown[]) => Promise<R[]>;

/** Rows of one pooled query; a failure becomes a `StoreError` saying what was being done. */
export function pgQuery(pool: pg.Pool): PgQuery {
  return async <R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[] = []): Promise<R[]> => {
    try {
      return (await pool.query<R>(sql, params)).rows;
    } catch (e) {
      throw pgStoreError(what, e);
    }
  };
}
