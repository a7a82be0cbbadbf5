import type { RangeQuery } from './timeseries-store.js';

/**
 * Epoch milliseconds (a bigint expression) to timestamptz, exactly: whole seconds plus a whole
 * number of milliseconds. `to_timestamp(ms / 1000.0)` goes through a float8 of seconds and
 * drifts by a microsecond or more past the year 2255; this stays exact over the whole range.
 */
export const tsOfMs = (ms: string): string => `(to_timestamp((${ms} / 1000)::float8) + (${ms} % 1000) * interval '1 millisecond')`;

/** timestamptz back to epoch milliseconds; `extract` returns numeric, so the float8 is exact. */
export const MS_COLUMN = `(extract(epoch from ts) * 1000)::float8 AS ms`;

/**
 * Inserts of whole columns as arrays (`unnest`): one statement per table per chunk whatever the
 * row count, no 65,535-parameter limit, and no SQL text to build per row. Feature vectors travel
 * as one JSON array of their own JSON (already serialised for Redis and NATS): a `text[]` of JSON
 * strings made PostgreSQL unescape every quote and was the slowest part of the write path.
 */
export function insertStatements(s: string) {
  return {
    bars: `INSERT INTO ${s}.bars (venue, symbol, tf, ts, id, open, high, low, close, volume)
      SELECT venue, symbol, tf, ${tsOfMs('ms')}, id, o, h, l, c, v
      FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::float8[])
        AS u(venue, symbol, tf, ms, id, o, h, l, c, v)
      ON CONFLICT DO NOTHING`,
    trades: `INSERT INTO ${s}.trades (venue, symbol, ts, id, price, qty, side)
      SELECT venue, symbol, ${tsOfMs('ms')}, id, price, qty, side
      FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::float8[], $6::float8[], $7::text[]) AS u(venue, symbol, ms, id, price, qty, side)
      ON CONFLICT DO NOTHING`,
    quotes: `INSERT INTO ${s}.quotes (venue, symbol, ts, id, bid, bid_size, ask, ask_size)
      SELECT venue, symbol, ${tsOfMs('ms')}, id, bid, bs, ask, asz
      FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::float8[]) AS u(venue, symbol, ms, id, bid, bs, ask, asz)
      ON CONFLICT DO NOTHING`,
    features: `INSERT INTO ${s}.features (venue, symbol, ts, id, source, "values")
      SELECT e->>'venue', e->>'symbol', ${tsOfMs(`(e->>'ts')::bigint`)}, e->>'id', e->>'source', e->'values'
      FROM jsonb_array_elements($1::jsonb) AS e
      ON CONFLICT DO NOTHING`,
  } as const;
}

/**
 * The WHERE clause of a range read, parameters numbered from `first`, on the time `column` (`ts`
 * in the tables, `bucket` in a continuous aggregate). Event times are whole
 * milliseconds, so a fractional bound is rounded up: `ts >= 1.5` and `ts < 1.5` mean `>= 2`, `< 2`.
 */
export function rangeWhere(q: RangeQuery, first: number, column = 'ts'): { where: string; params: unknown[] } {
  const params: unknown[] = [q.venue, q.symbol];
  let where = `venue = $${first} AND symbol = $${first + 1}`;
  if (q.from !== undefined) {
    params.push(Math.ceil(q.from));
    where += ` AND ${column} >= ${tsOfMs(`$${first + params.length - 1}::bigint`)}`;
  }
  if (q.to !== undefined) {
    params.push(Math.ceil(q.to));
    where += ` AND ${column} < ${tsOfMs(`$${first + params.length - 1}::bigint`)}`;
  }
  return { where, params };
}

/** `LIMIT n` for a finite limit (negative means none returned); no clause otherwise. */
export const limitClause = (limit: number | undefined): string =>
  limit !== undefined && Number.isFinite(limit) ? ` LIMIT ${Math.max(0, Math.floor(limit))}` : '';
