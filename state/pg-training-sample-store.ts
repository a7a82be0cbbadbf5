import type pg from 'pg';
import { StoreConnectError, StoreError } from './errors.js';
import { pgStoreError } from './pg-errors.js';
import { DURABLE_BEGIN, inPgTransaction } from './pg-transaction.js';
import { migrateSchema } from './pg-migrate.js';
import { createPgPool } from './pg-pool.js';
import type { PgTimeouts } from './pg-pool.js';
import { pgQuery } from './pg-query.js';
import { checkSampleCommit } from './sample-check.js';
import { limitClause, tsOfMs } from './pg-timeseries-sql.js';
import { byAsset } from './training-sample-store.js';
import type { CountQuery, SampleAsset, SampleQuery, TrainingSample, TrainingSampleStore } from './training-sample-store.js';

export type PgTrainingSampleStoreOptions = Readonly<{ url: string; schema: string; poolSize?: number; timeouts?: PgTimeouts }>;

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Samples travel as one JSON array (as the feature vectors do in the timeseries store): no
 * parameter limit, no per-row SQL. An upsert replaces a row with the same key, so re-labeling
 * a prediction after a crash rewrites the same values rather than adding a row.
 */
const upsertSql = (s: string): string => `INSERT INTO ${s}.training_samples
  (strategy, venue, symbol, decision_ts, id, kind, side, labeled_ts, model_name, model_version, feature_spec_hash, feature_id, features,
   label, barrier, outcome_class, forward_return, net_return_bps, horizon_bars)
  SELECT e->>'strategy', e->>'venue', e->>'symbol', ${tsOfMs(`(e->>'ts')::bigint`)}, e->>'id', e->>'kind', e->>'side', ${tsOfMs(`(e->>'labeledTs')::bigint`)},
    e->'model'->>'name', (e->'model'->>'version')::int, e->>'featureSpecHash', e->>'featureId', e->'features',
    (e->>'label')::smallint, e->>'barrier', e->>'outcomeClass', (e->>'forwardReturn')::float8, (e->>'netReturnBps')::float8, (e->>'horizonBars')::int
  FROM jsonb_array_elements($1::jsonb) AS e
  ON CONFLICT (strategy, venue, symbol, decision_ts, id) DO UPDATE SET
    kind = EXCLUDED.kind, side = EXCLUDED.side, labeled_ts = EXCLUDED.labeled_ts, model_name = EXCLUDED.model_name, model_version = EXCLUDED.model_version,
    feature_spec_hash = EXCLUDED.feature_spec_hash, feature_id = EXCLUDED.feature_id, features = EXCLUDED.features,
    label = EXCLUDED.label, barrier = EXCLUDED.barrier, outcome_class = EXCLUDED.outcome_class,
    forward_return = EXCLUDED.forward_return, net_return_bps = EXCLUDED.net_return_bps, horizon_bars = EXCLUDED.horizon_bars`;

type Row = {
  strategy: string; venue: string; symbol: string; ms: number; id: string; kind: TrainingSample['kind']; side: 'buy' | 'sell' | null;
  labeled_ms: number; model_name: string | null; model_version: number | null; feature_spec_hash: string | null; feature_id: string; features: Record<string, number | null>; label: number; barrier: TrainingSample['barrier'];
  outcome_class: TrainingSample['outcomeClass']; forward_return: number; net_return_bps: number; horizon_bars: number;
};

/** A row back as the sample it was (the table's check constraint keeps each kind's columns filled). */
const sampleOf = (r: Row): TrainingSample => {
  const base = {
    id: r.id, strategy: r.strategy, venue: r.venue, symbol: r.symbol, ts: r.ms, labeledTs: r.labeled_ms, featureId: r.feature_id, features: r.features,
    label: r.label as TrainingSample['label'], barrier: r.barrier, outcomeClass: r.outcome_class, forwardReturn: r.forward_return,
    netReturnBps: r.net_return_bps, horizonBars: r.horizon_bars,
  };
  if (r.kind === 'order') {
    if (r.side === null) throw new StoreError(`training sample ${r.id}: an order row without a side`, false);
    return { ...base, kind: 'order', model: null, featureSpecHash: null, side: r.side };
  }
  if (r.model_name === null || r.model_version === null || r.feature_spec_hash === null) throw new StoreError(`training sample ${r.id}: a prediction row without its model`, false);
  return { ...base, kind: 'prediction', model: { name: r.model_name, version: r.model_version }, featureSpecHash: r.feature_spec_hash };
};

type Sql = Readonly<{ sql: string; params: unknown[] }>;

const whereOf = (q: CountQuery): Sql => {
  const params: unknown[] = [q.strategy];
  let sql = 'strategy = $1';
  if (q.venue !== undefined) sql += ` AND venue = $${params.push(q.venue)}`;
  if (q.symbol !== undefined) sql += ` AND symbol = $${params.push(q.symbol)}`;
  if (q.from !== undefined) sql += ` AND decision_ts >= ${tsOfMs(`$${params.push(Math.ceil(q.from))}::bigint`)}`;
  if (q.to !== undefined) sql += ` AND decision_ts < ${tsOfMs(`$${params.push(Math.ceil(q.to))}::bigint`)}`;
  if (q.labeledBefore !== undefined) sql += ` AND labeled_ts < ${tsOfMs(`$${params.push(Math.ceil(q.labeledBefore))}::bigint`)}`;
  if (q.kind !== 'all') sql += ` AND kind = $${params.push(q.kind ?? 'prediction')}`;
  return { sql, params };
};

const COLUMNS = `strategy, venue, symbol, id, kind, side, decision_ts, (extract(epoch from decision_ts) * 1000)::float8 AS ms, (extract(epoch from labeled_ts) * 1000)::float8 AS labeled_ms,
  model_name, model_version, feature_spec_hash, feature_id, features, label, barrier, outcome_class, forward_return, net_return_bps, horizon_bars`;
const finite = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n);

/**
 * The read of {@link TrainingSampleStore.samples} in `schema`. `newest` reads from the newest end
 * (descending, served by `training_samples_newest_idx`), then puts those back in order.
 */
export function samplesQuery(schema: string, q: SampleQuery): Sql {
  const w = whereOf(q);
  const from = finite(q.newest)
    ? `(SELECT ${COLUMNS} FROM ${schema}.training_samples WHERE ${w.sql} ORDER BY decision_ts DESC, id DESC${limitClause(q.newest)}) AS newest`
    : `${schema}.training_samples WHERE ${w.sql}`;
  return { sql: `SELECT ${finite(q.newest) ? '*' : COLUMNS} FROM ${from} ORDER BY decision_ts, id${limitClause(q.limit)}`, params: w.params };
}

/** The count of {@link TrainingSampleStore.countSamples} in `schema`; with `atMost`, only that many rows (the newest) are read. */
export function countQuery(schema: string, q: CountQuery): Sql {
  const w = whereOf(q);
  const sql = finite(q.atMost)
    ? `SELECT count(*)::text AS n FROM (SELECT 1 FROM ${schema}.training_samples WHERE ${w.sql} ORDER BY decision_ts DESC, id DESC${limitClause(q.atMost)}) AS capped`
    : `SELECT count(*)::text AS n FROM ${schema}.training_samples WHERE ${w.sql}`;
  return { sql, params: w.params };
}

/**
 * The read of {@link TrainingSampleStore.assets} in `schema` (`$1`: the strategy). PostgreSQL 15
 * has no skip scan: a DISTINCT over (venue, symbol) reads every sample of the strategy. This walks
 * the primary key (strategy, venue, symbol, …) instead: one probe for the first asset, then one
 * for the next past each, however many samples an asset holds.
 */
export const assetsQuery = (schema: string): string => `WITH RECURSIVE a AS (
    (SELECT venue, symbol FROM ${schema}.training_samples WHERE strategy = $1 ORDER BY venue, symbol LIMIT 1)
    UNION ALL
    SELECT n.venue, n.symbol FROM a CROSS JOIN LATERAL (
      SELECT t.venue, t.symbol FROM ${schema}.training_samples t WHERE t.strategy = $1 AND (t.venue, t.symbol) > (a.venue, a.symbol) ORDER BY t.venue, t.symbol LIMIT 1
    ) AS n
  ) SELECT venue, symbol FROM a`;

/**
 * Training samples and the labeling actor's snapshots on PostgreSQL (migrated with the other
 * tables; `training_samples` a hypertable when TimescaleDB is installed).
 *
 * @example
 * const store = await createPgTrainingSampleStore({ url, schema: 'sextant' });
 * await store.commit({ samples, snapshot: { actor: 'labeling:dirmlp', state, ts } });
 */
export async function createPgTrainingSampleStore(opts: PgTrainingSampleStoreOptions): Promise<TrainingSampleStore> {
  if (!SCHEMA_RE.test(opts.schema)) throw new StoreError(`invalid schema name ${opts.schema}`, false);
  const s = opts.schema;
  // Migrating also makes `training_samples` a hypertable on TimescaleDB (`hypertableStatements`).
  await migrateSchema(opts.url, s, undefined, opts.timeouts?.migrationTimeoutMs);
  const pool = createPgPool(opts.url, opts.poolSize ?? 2, opts.timeouts);
  const query = pgQuery(pool);
  const UPSERT = upsertSql(s);

  // By the primary key (strategy, venue, symbol, decision_ts, id): one index probe per key.
  const STORED_IDS = `SELECT t.id FROM jsonb_to_recordset($2::jsonb) AS k(venue text, symbol text, ts bigint, id text)
    JOIN ${s}.training_samples t ON t.strategy = $1 AND t.venue = k.venue AND t.symbol = k.symbol AND t.decision_ts = ${tsOfMs('k.ts')} AND t.id = k.id COLLATE "C"`;

  const ASSETS = assetsQuery(s);

  return {
    storedIds: async (strategy, keys) => {
      if (keys.length === 0) return new Set<string>();
      const rows = await query<{ id: string }>('training samples lookup failed', STORED_IDS, [strategy, JSON.stringify(keys.map((k) => ({ venue: k.venue, symbol: k.symbol, ts: Math.round(k.ts), id: k.id })))]);
      return new Set(rows.map((r) => r.id));
    },
    commit: async (c) => {
      checkSampleCommit(c); // before a connection is taken: a refused commit writes nothing
      if (c.samples.length === 0 && c.snapshot === undefined) return 0;
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (e) {
        throw new StoreConnectError(`cannot get a PostgreSQL connection: ${(e as Error).message}`, { cause: e });
      }
      try {
        // Committed with synchronous_commit on, whatever the sessions' default (as `durableWrite`):
        // the labeling actor acknowledges its inputs once this commit returns, so nothing would
        // deliver them again, and a sample (the label with the vector its prediction was made from
        // and the model that made it) is kept nowhere else. A PostgreSQL crash must not lose it.
        return await inPgTransaction(client, DURABLE_BEGIN, async (tx) => {
          const n = c.samples.length > 0 ? ((await tx.query(UPSERT, [JSON.stringify(c.samples)])).rowCount ?? 0) : 0;
          if (c.snapshot !== undefined) {
            await tx.query(
              `INSERT INTO ${s}.labeling_snapshots (actor, state, event_ts) VALUES ($1, $2::jsonb, ${tsOfMs('$3::bigint')})
               ON CONFLICT (actor) DO UPDATE SET state = EXCLUDED.state, event_ts = EXCLUDED.event_ts`,
              [c.snapshot.actor, JSON.stringify(c.snapshot.state), Math.max(0, Math.floor(c.snapshot.ts))],
            );
          }
          return n;
        });
      } catch (e) {
        throw pgStoreError('training samples commit failed', e);
      }
    },
    samples: async (q) => {
      const r = samplesQuery(s, q);
      return (await query<Row>('training samples read failed', r.sql, r.params)).map(sampleOf);
    },
    countSamples: async (q) => {
      const r = countQuery(s, q);
      const rows = await query<{ n: string }>('training samples count failed', r.sql, r.params);
      return Number(rows[0]?.n ?? 0);
    },
    assets: async (strategy) => {
      const rows = await query<SampleAsset>('training samples assets read failed', ASSETS, [strategy]);
      return rows.map((r) => ({ venue: r.venue, symbol: r.symbol })).sort(byAsset);
    },
    count: async (strategy) => {
      const rows =
        strategy === undefined
          ? await query<{ n: string }>('training samples count failed', `SELECT count(*)::text AS n FROM ${s}.training_samples`)
          : await query<{ n: string }>('training samples count failed', `SELECT count(*)::text AS n FROM ${s}.training_samples WHERE strategy = $1`, [strategy]);
      return Number(rows[0]?.n ?? 0);
    },
    loadSnapshot: async (actor) => {
      const rows = await query<{ state: unknown }>('labeling snapshot read failed', `SELECT state FROM ${s}.labeling_snapshots WHERE actor = $1`, [actor]);
      return rows[0]?.state;
    },
    clear: async () => {
      await query('training samples clear failed', `TRUNCATE ${s}.training_samples, ${s}.labeling_snapshots`);
    },
    close: async () => {
      await pool.end();
    },
  };
}
