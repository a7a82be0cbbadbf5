import type { AuditEntry, AuditStore } from './audit-store.js';
import { StoreError } from './errors.js';
import { durableWrite } from './pg-durable-write.js';
import { pgQuery } from './pg-query.js';
import { migrateSchema } from './pg-migrate.js';
import { createPgPool } from './pg-pool.js';
import type { PgTimeouts } from './pg-pool.js';

export type PgAuditStoreOptions = Readonly<{ url: string; schema: string; timeouts?: PgTimeouts }>;

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

type Row = { request_id: string; operator: string; verb: string; args: unknown; outcome: 'ok' | 'error'; detail: unknown; at_ms: string };

/** The operator audit trail in PostgreSQL (`control_audit`, migrated with the other tables). */
export async function createPgAuditStore(opts: PgAuditStoreOptions): Promise<AuditStore> {
  if (!SCHEMA_RE.test(opts.schema)) throw new StoreError(`invalid schema name ${opts.schema}`, false);
  const s = opts.schema;
  await migrateSchema(opts.url, s, undefined, opts.timeouts?.migrationTimeoutMs);
  const pool = createPgPool(opts.url, 2, opts.timeouts);
  const query = pgQuery(pool);
  return {
    // Committed durably whatever the sessions' default: the reply to a command goes out once its
    // row is stored, so a PostgreSQL crash must not lose the record of a command already answered.
    record: async (e: AuditEntry) => {
      await durableWrite(
        pool,
        'record an audit entry',
        `INSERT INTO ${s}.control_audit (request_id, operator, verb, args, outcome, detail, at) VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::double precision / 1000))`,
        [e.requestId, e.operator, e.verb, JSON.stringify(e.args ?? null), e.outcome, JSON.stringify(e.detail ?? null), e.at],
      );
    },
    recent: async (limit) => {
      const rows = await query<Row>(
        'read the audit trail',
        `SELECT request_id, operator, verb, args, outcome, detail, (extract(epoch FROM at) * 1000)::bigint::text AS at_ms FROM ${s}.control_audit ORDER BY seq DESC LIMIT $1`,
        [limit],
      );
      return rows.map((r) => ({ requestId: r.request_id, operator: r.operator, verb: r.verb, args: r.args, outcome: r.outcome, detail: r.detail, at: Number(r.at_ms) }));
    },
    close: async () => {
      await pool.end();
    },
  };
}
