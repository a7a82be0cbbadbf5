import { HYPERTABLES } from './pg-timescale.js';
import type { StoreFlavor } from './pg-timescale.js';
import type { TimescalePolicies } from './timescale-policy-config.js';

/** Chunks compressed per venue and symbol (how history is read), newest first within a segment. */
export const COMPRESS_SEGMENTBY = 'venue, symbol';
export const COMPRESS_ORDERBY = 'ts DESC';

type Policy = Readonly<{ proc: 'policy_compression' | 'policy_retention'; key: 'compress_after' | 'drop_after'; add: string; remove: string }>;

const COMPRESSION: Policy = { proc: 'policy_compression', key: 'compress_after', add: 'add_compression_policy', remove: 'remove_compression_policy' };
const RETENTION: Policy = { proc: 'policy_retention', key: 'drop_after', add: 'add_retention_policy', remove: 'remove_retention_policy' };

/** The job of `policy` on the table, as TimescaleDB lists it (`timescaledb_information.jobs`). */
const jobOf = (p: Policy, schema: string, table: string): string =>
  `SELECT 1 FROM timescaledb_information.jobs WHERE proc_name = '${p.proc}' AND hypertable_schema = '${schema}' AND hypertable_name = '${table}'`;

/**
 * One policy at `days`, idempotently and without restarting its schedule: a policy already there
 * with another interval is removed first (`add_…(if_not_exists => TRUE)` would keep it, with only a
 * warning), one with the same interval is kept. Removing and re-adding at every start instead
 * would push its next run back at every start, and never run a daily job on an engine restarted
 * more often.
 */
const policyBlock = (p: Policy, schema: string, table: string, ext: string, days: number): string =>
  `DO $$ BEGIN IF EXISTS (${jobOf(p, schema, table)} AND (config->>'${p.key}')::interval IS DISTINCT FROM INTERVAL '${days} days') THEN ` +
  `PERFORM ${ext}.${p.remove}('${schema}.${table}'); END IF; ` +
  `PERFORM ${ext}.${p.add}('${schema}.${table}', ${p.key} => INTERVAL '${days} days', if_not_exists => TRUE); END $$`;

/**
 * Turns compression on, once: changing the settings of a hypertable that already holds compressed
 * chunks fails, so a table whose compression is on is left as it is.
 */
const enableCompression = (schema: string, table: string): string =>
  `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_schema = '${schema}' AND hypertable_name = '${table}' AND compression_enabled) THEN ` +
  `ALTER TABLE ${schema}.${table} SET (timescaledb.compress, timescaledb.compress_segmentby = '${COMPRESS_SEGMENTBY}', timescaledb.compress_orderby = '${COMPRESS_ORDERBY}'); END IF; END $$`;

/**
 * The compression and retention policies `policies` asks for on the market-history hypertables,
 * on TimescaleDB only; none on plain PostgreSQL, and none for a key that is absent (a policy
 * added earlier is then left in place: `remove_retention_policy` / `remove_compression_policy`
 * by hand removes it). Compression applies to bars, trades, quotes and features alike; retention
 * per table. `training_samples` gets neither: samples are what models are retrained on.
 * `schema` must already be a validated identifier, `extensionSchema` quoted; run after the
 * hypertables, on the migration session.
 */
export function timescalePolicyStatements(flavor: StoreFlavor, schema: string, policies: TimescalePolicies, extensionSchema = 'public'): string[] {
  if (flavor !== 'timescale') return [];
  const out: string[] = [];
  const compressAfter = policies.compressAfterDays;
  if (compressAfter !== undefined) {
    for (const t of HYPERTABLES) out.push(enableCompression(schema, t), policyBlock(COMPRESSION, schema, t, extensionSchema, compressAfter));
  }
  for (const t of HYPERTABLES) {
    const days = policies.retentionDays[t];
    if (days !== undefined) out.push(policyBlock(RETENTION, schema, t, extensionSchema, days));
  }
  return out;
}
