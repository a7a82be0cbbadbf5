/** Tables that become hypertables (partitioned by `ts`) when TimescaleDB is installed. */
export const HYPERTABLES = ['bars', 'trades', 'quotes', 'features'] as const;

export type StoreFlavor = 'timescale' | 'postgres';

/** What the database says about the extension: installed in this database, or only available. */
export type TimescaleProbe = Readonly<{ installed: boolean; available: boolean }>;

/** One query answers both questions, so a start costs one round trip when Timescale is absent. */
export const PROBE_TIMESCALE_SQL = `SELECT
  EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS installed,
  EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS available`;

/** Idempotent; fails without privileges or without `shared_preload_libraries`, then we stay plain. */
export const CREATE_TIMESCALE_SQL = 'CREATE EXTENSION IF NOT EXISTS timescaledb';

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
 * PostgreSQL, where the same tables stay time-indexed. Idempotent (`if_not_exists`), and
 * `migrate_data` converts tables that already hold rows. Every unique key includes `ts`, which
 * hypertables require. `schema` must already be a validated identifier.
 */
export function hypertableStatements(flavor: StoreFlavor, schema: string): string[] {
  if (flavor !== 'timescale') return [];
  return HYPERTABLES.map(
    (t) => `SELECT create_hypertable('${schema}.${t}', 'ts', chunk_time_interval => INTERVAL '7 days', if_not_exists => TRUE, migrate_data => TRUE)`,
  );
}
