import { StoreError } from './errors.js';
import { pgStoreError } from './pg-errors.js';
import { durableWrite } from './pg-durable-write.js';
import { migrateSchema } from './pg-migrate.js';
import { createPgPool } from './pg-pool.js';
import type { PgTimeouts } from './pg-pool.js';
import type { RiskStore, StoredRisk, WriteBound } from './risk-store.js';

export type PgRiskStoreOptions = Readonly<{ url: string; schema: string; timeouts?: PgTimeouts }>;

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;
const TRADING_STATES: ReadonlySet<string> = new Set(['ACTIVE', 'REDUCING', 'HALTED']);

/**
 * The risk store in PostgreSQL (`risk_limits`, `risk_trading`, `risk_book`, migrated with the
 * other tables). Each save is one idempotent upsert, so a retried write changes nothing twice, and
 * is stored durably once it resolves (`durableWrite`).
 */
export async function createPgRiskStore(opts: PgRiskStoreOptions): Promise<RiskStore> {
  if (!SCHEMA_RE.test(opts.schema)) throw new StoreError(`invalid schema name ${opts.schema}`, false);
  const s = opts.schema;
  await migrateSchema(opts.url, s, undefined, opts.timeouts?.migrationTimeoutMs);
  const pool = createPgPool(opts.url, 2, opts.timeouts);

  // Every write is committed durably (synchronous_commit on, whatever the sessions' default): the
  // engine acknowledges the inputs a book write covers once it is stored, so a book save a
  // PostgreSQL crash could still lose would restore an older book than was acknowledged
  // (positions and orders in flight gone, nothing redelivered to rebuild them), and a HALTED
  // state lost with it would let the account trade again. The book is written at most every
  // decision.riskCheckpointMs (200 ms), so the WAL flush each waits for (about
  // half a millisecond more per write, measured on a local server) costs little.
  // An operator's command passes a bound (`WriteBound`): behind a lock it fails, not stored, instead of waiting.
  const upsert = (what: string, sql: string, params: unknown[], bound?: WriteBound): Promise<void> => durableWrite(pool, `save risk ${what}`, sql, params, bound);
  const at = `to_timestamp($3::double precision / 1000)`;

  return {
    label: `PostgreSQL (the risk store, schema ${opts.schema})`,
    load: async (account) => {
      try {
        const [l, t, b] = await Promise.all([
          pool.query<{ limits: unknown }>(`SELECT limits FROM ${s}.risk_limits WHERE account = $1`, [account]),
          pool.query<{ trading: unknown }>(`SELECT trading FROM ${s}.risk_trading WHERE account = $1`, [account]),
          pool.query<{ book: unknown }>(`SELECT book FROM ${s}.risk_book WHERE account = $1`, [account]),
        ]);
        const out: { -readonly [K in keyof StoredRisk]?: unknown } = {};
        if (l.rows[0] !== undefined) out.limits = l.rows[0].limits;
        if (t.rows[0] !== undefined) out.trading = t.rows[0].trading;
        if (b.rows[0] !== undefined) out.book = b.rows[0].book;
        return out;
      } catch (err) {
        throw pgStoreError(`load risk state of ${account}`, err);
      }
    },
    saveLimits: (account, limits, ms, bound) =>
      upsert(
        'limits',
        `INSERT INTO ${s}.risk_limits (account, limits, updated_at) VALUES ($1, $2, ${at}) ON CONFLICT (account) DO UPDATE SET limits = EXCLUDED.limits, updated_at = EXCLUDED.updated_at`,
        [account, JSON.stringify(limits), ms],
        bound,
      ),
    saveTrading: (account, trading, ms, bound) => {
      const state = typeof trading === 'object' && trading !== null && 'state' in trading ? trading.state : undefined;
      if (typeof state !== 'string' || !TRADING_STATES.has(state)) return Promise.reject(new StoreError(`trading snapshot of ${account} has no valid state`, false));
      return upsert(
        'trading state',
        // A newer state (higher seq) already stored stays: writers of the trading state may land in either order.
        `INSERT INTO ${s}.risk_trading (account, trading, updated_at, state) VALUES ($1, $2, ${at}, $4) ON CONFLICT (account) DO UPDATE SET trading = EXCLUDED.trading, state = EXCLUDED.state, updated_at = EXCLUDED.updated_at ` +
          `WHERE COALESCE((${s}.risk_trading.trading->>'seq')::bigint, 0) <= COALESCE((EXCLUDED.trading->>'seq')::bigint, 0)`,
        [account, JSON.stringify(trading), ms, state],
        bound,
      );
    },
    saveBook: (account, book, ms) =>
      upsert('book', `INSERT INTO ${s}.risk_book (account, book, updated_at) VALUES ($1, $2, ${at}) ON CONFLICT (account) DO UPDATE SET book = EXCLUDED.book, updated_at = EXCLUDED.updated_at`, [
        account,
        JSON.stringify(book),
        ms,
      ]),
    clear: async (account) => {
      await durableWrite(
        pool,
        `clear risk state of ${account}`,
        `WITH a AS (DELETE FROM ${s}.risk_limits WHERE account = $1), b AS (DELETE FROM ${s}.risk_trading WHERE account = $1) DELETE FROM ${s}.risk_book WHERE account = $1`,
        [account],
      );
    },
    close: async () => {
      await pool.end();
    },
  };
}
