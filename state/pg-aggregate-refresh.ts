import { alignOutward } from './aggregate-refresh.js';
import type { AggregateRefresher, RefreshedAggregate, WrittenRanges } from './aggregate-refresh.js';
import type { PgQuery } from './pg-query.js';
import type { StoreFlavor } from './pg-timescale.js';
import { CONTINUOUS_AGGREGATES } from './pg-timescale-aggregates.js';

export type RefreshStatement = RefreshedAggregate & Readonly<{ sql: string }>;

/**
 * The `CALL refresh_continuous_aggregate(…)` of each aggregate whose table was written, over the
 * written range widened to whole buckets: TimescaleDB refreshes only the buckets that lie wholly
 * inside the window it is given, so an unaligned window would leave the first and last hour
 * stale. None on plain PostgreSQL. The procedure is called through the extension's schema
 * (`extensionSchema`, already quoted), as `continuousAggregateStatements` calls the rest; the
 * bounds are whole seconds (every bucket is), written as `to_timestamp(<seconds>)` so no time zone
 * setting or float rounding changes them. `schema` must already be a validated identifier.
 *
 * @example
 * refreshStatements('timescale', 'sextant', { bars: { from: Date.UTC(2024, 0, 1, 0, 30), to: Date.UTC(2024, 0, 1, 2, 1) } }, '"public"')
 * // → [{ view: 'bars_1h', from: 2024-01-01T00:00Z, to: 2024-01-01T03:00Z, sql: 'CALL "public".refresh_continuous_aggregate(…)' }]
 */
export function refreshStatements(flavor: StoreFlavor, schema: string, written: WrittenRanges, extensionSchema = 'public'): RefreshStatement[] {
  if (flavor !== 'timescale') return [];
  const out: RefreshStatement[] = [];
  for (const a of CONTINUOUS_AGGREGATES) {
    const range = written[a.from];
    if (range === undefined || !(range.from < range.to)) continue;
    const { from, to } = alignOutward(range, a.bucketMs);
    out.push({
      view: a.view,
      from,
      to,
      sql: `CALL ${extensionSchema}.refresh_continuous_aggregate('${schema}.${a.view}', to_timestamp(${from / 1000}), to_timestamp(${to / 1000}))`,
    });
  }
  return out;
}

/**
 * The store's {@link AggregateRefresher}: runs the refreshes one statement at a time on a pooled
 * connection outside any transaction (`refresh_continuous_aggregate` refuses to run inside a
 * transaction block), and answers what it refreshed; nothing, and no query, on plain PostgreSQL.
 * `query` must not bound a statement's time (the store gives it a pool of its own): a refresh over
 * months of history takes minutes, far past the hot path's `postgres.statementTimeoutMs`.
 */
export function pgAggregateRefresher(query: PgQuery, o: Readonly<{ flavor: StoreFlavor; schema: string; extensionSchema?: string }>): AggregateRefresher {
  return {
    refreshAggregates: async (written) => {
      const done: RefreshedAggregate[] = [];
      for (const s of refreshStatements(o.flavor, o.schema, written, o.extensionSchema)) {
        await query(`refreshing ${s.view} failed`, s.sql);
        done.push({ view: s.view, from: s.from, to: s.to });
      }
      return done;
    },
  };
}
