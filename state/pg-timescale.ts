/** Tables that become hypertables (partitioned by `ts`) when TimescaleDB is installed. */
export const HYPERTABLES = ['bars', 'trades', 'quotes', 'features'] as const;

/**
 * The labeling actor's samples, a hypertable too, partitioned by decision time in 30-day chunks
 * (a few rows per bar, far fewer than the market tables); its key includes `decision_ts`.
 */
export const SAMPLES_HYPERTABLE = Object.freeze({ table: 'training_samples', column: 'decision_ts', chunk: '30 days' });

export type StoreFlavor = 'timescale' | 'postgres';

/**
 * What the database says about the extension: installed in this database (and in which schema its
 * functions live, as a quoted identifier), or only available.
 */
export type TimescaleProbe = Readonly<{ installed: boolean; available: boolean; schema?: string }>;

/** One query answers every question, so a start costs one round trip when Timescale is absent. */
export const PROBE_TIMESCALE_SQL = `SELECT
  EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS installed,
  EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS available,
  (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'timescaledb') AS schema`;

/**
 * Idempotent; fails without privileges or without `shared_preload_libraries`, then we stay plain.
 * In `public`, where TimescaleDB's images put it: created by a session whose `search_path` is a
 * store's schema, it would land in that schema, and dropping the schema would drop the extension.
 */
export const CREATE_TIMESCALE_SQL = 'CREATE EXTENSION IF NOT EXISTS timescaledb SCHEMA public';

/**
 * The next step for a probe: use the extension, try to install it (packaged but not yet created
 * in this database), or stay on plain PostgreSQL.
 */
export function timescaleStep(probe: TimescaleProbe): 'use' | 'create' | 'plain' {
  if (probe.installed) return 'use';
  return probe.available ? 'create' : 'plain';
}

/**
 * The statements that turn the plain tables into hypertables on TimescaleDB; none on plain
 * PostgreSQL, where the same tables stay time-indexed: the market tables, then `training_samples`
 * (every migration has run by then, whichever store started). Idempotent (`if_not_exists`), and
 * `migrate_data` converts tables that already hold rows. Every unique key includes `ts`, which
 * hypertables require. `schema` must already be a validated identifier.
 *
 * `create_hypertable` is called by the schema the extension is installed in (`extensionSchema`,
 * from the probe, already quoted): the migration session's `search_path` is the store's schema
 * alone, where an unqualified call does not find the extension's functions (installed in
 * `public` by `CREATE EXTENSION` on a TimescaleDB image).
 */
export function hypertableStatements(flavor: StoreFlavor, schema: string, extensionSchema = 'public'): string[] {
  if (flavor !== 'timescale') return [];
  const create = (table: string, column: string, chunk: string): string =>
    `SELECT ${extensionSchema}.create_hypertable('${schema}.${table}', '${column}', chunk_time_interval => INTERVAL '${chunk}', if_not_exists => TRUE, migrate_data => TRUE)`;
  return [...HYPERTABLES.map((t) => create(t, 'ts', '7 days')), create(SAMPLES_HYPERTABLE.table, SAMPLES_HYPERTABLE.column, SAMPLES_HYPERTABLE.chunk)];
}
