import { describe, expect, it } from 'vitest';
import { isRetryableStoreError, StoreError } from '../../state/errors.js';
import { isRetryablePgError, pgStoreError } from '../../state/pg-errors.js';
import { limitClause, rangeWhere } from '../../state/pg-timeseries-sql.js';

const pgError = (code: string): Error => Object.assign(new Error(`sqlstate ${code}`), { code });

describe('PostgreSQL error classification', () => {
  it('retries connection loss, serialization failures, deadlocks, shutdowns and exhausted resources', () => {
    for (const code of ['08006', '08001', '40001', '40P01', '53300', '57P01', '57P03', '55P03']) expect(isRetryablePgError(pgError(code))).toBe(true);
    expect(isRetryablePgError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetryablePgError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('does not retry bad data, constraint or syntax errors', () => {
    for (const code of ['22P02', '23505', '42601', '42P01']) expect(isRetryablePgError(pgError(code))).toBe(false);
  });

  it('wraps a failure once, keeping its cause and retryability', () => {
    const cause = pgError('42601');
    const e = pgStoreError('insert failed', cause);
    expect(e).toBeInstanceOf(StoreError);
    expect(e.cause).toBe(cause);
    expect(isRetryableStoreError(e)).toBe(false);
    expect(pgStoreError('again', e)).toBe(e);
  });
});

describe('range SQL', () => {
  it('numbers parameters from the given position and rounds fractional bounds up', () => {
    const r = rangeWhere({ venue: 'binance', symbol: 'BTC/USDT', from: 10.2, to: 20 }, 2);
    expect(r.params).toEqual(['binance', 'BTC/USDT', 11, 20]);
    expect(r.where).toMatch(/^venue = \$2 AND symbol = \$3 AND ts >= .*\$4::bigint.* AND ts < .*\$5::bigint/);
  });

  it('limits only by a finite number, never below zero', () => {
    expect(limitClause(undefined)).toBe('');
    expect(limitClause(Number.POSITIVE_INFINITY)).toBe('');
    expect(limitClause(2.7)).toBe(' LIMIT 2');
    expect(limitClause(-3)).toBe(' LIMIT 0');
  });
});
