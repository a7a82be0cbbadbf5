import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { StoreBoundError, StoreConnectError } from './errors.js';
import { isPgQueryTimeout, pgStoreError } from './pg-errors.js';
import { CREATE_TIMESCALE_SQL, hypertableStatements, PROBE_TIMESCALE_SQL, timescaleStep } from './pg-timescale.js';
import type { StoreFlavor, TimescaleProbe } from './pg-timescale.js';
import { continuousAggregateStatements } from './pg-timescale-aggregates.js';
import { timescalePolicyStatements } from './pg-timescale-policies.js';
import type { TimescalePolicies } from './timescale-policy-config.js';

/** Plain SQL files, so node-pg-migrate loads them the same under tsx, node and a bundler. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
/** Kept inside the store's own schema, so two schemas in one database migrate independently. */
export const MIGRATIONS_TABLE = 'sextant_migrations';

/** `url` with its password, if any, as `***`: `postgres://sx:***@db:5432/sextant`. */
export const maskPassword = (url: string): string => url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');

/**
 * Brings `schema` up to the newest migration and picks the flavor: hypertables, continuous
 * aggregates and (with `policies`, from the timeseries store's config) compression and retention
 * policies when TimescaleDB is installed (or can be installed), plain time-indexed tables
 * otherwise. Every store migrates the same schema; only the one given `policies` sets them.
 *
 * Concurrent starts are serialised by a session advisory lock per schema that waits, instead of
 * node-pg-migrate's own try-lock, which fails the second process. The lock lives on a dedicated
 * connection that is closed afterwards, so a crash mid-migration releases it and no pooled
 * connection keeps the runner's `search_path`.
 *
 * With `timeoutMs` (`postgres.migrationTimeoutMs`, the engine's stores) each statement waits at
 * most that long for its answer, the wait for another process's migrations of the schema
 * included: a server that accepts the session and then stops answering fails the start-up with
 * an error naming the setting instead of stalling it for ever. PostgreSQL sends nothing while a
 * statement runs, so this is also the longest one migration statement may take (an index built
 * over a big table): generous, and per statement, not for the migrations in all. Without it (the
 * CLI's one-off jobs) no bound, as before.
 */
export async function migrateSchema(url: string, schema: string, policies?: TimescalePolicies, timeoutMs?: number): Promise<StoreFlavor> {
  return (await migrateStoreSchema(url, schema, policies, timeoutMs)).flavor;
}

/**
 * {@link migrateSchema}, answering also the schema TimescaleDB's functions live in (quoted, as the
 * probe names it), for a store that calls them after the migration (`refresh_continuous_aggregate`).
 */
export async function migrateStoreSchema(url: string, schema: string, policies?: TimescalePolicies, timeoutMs?: number): Promise<Flavor> {
  if (timeoutMs !== undefined && (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1)) throw new RangeError(`migrationTimeoutMs must be a whole number of ms above 0, got ${timeoutMs}`);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, ...(timeoutMs !== undefined ? { query_timeout: timeoutMs } : {}) });
  client.on('error', () => {}); // a dropped session surfaces as the failing query below
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    // The URL (its password masked), not only the address the driver names: the setting to change.
    throw new StoreConnectError(`cannot connect to PostgreSQL at ${maskPassword(url)}: ${(e as Error).message}`, { cause: e });
  }
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`sextant-migrate:${schema}`]);
    await runner({
      dbClient: client,
      noLock: true,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: MIGRATIONS_TABLE,
      schema,
      createSchema: true,
      checkOrder: true,
      log: () => {},
    });
    const { flavor, extensionSchema } = await chooseFlavor(client);
    const statements = [
      ...hypertableStatements(flavor, schema, extensionSchema),
      ...continuousAggregateStatements(flavor, schema, extensionSchema),
      ...(policies !== undefined ? timescalePolicyStatements(flavor, schema, policies, extensionSchema) : []),
    ];
    for (const sql of statements) await client.query(sql);
    return { flavor, ...(extensionSchema !== undefined ? { extensionSchema } : {}) };
  } catch (e) {
    // After a statement given up on nothing else is sent (the runner runs each migration in a
    // transaction of its own, no ROLLBACK after a failed step), and end() below drops a connection
    // with a query still under way instead of waiting for the server's goodbye.
    const bound = timeoutMs === undefined ? undefined : `postgres.migrationTimeoutMs (${timeoutMs} ms for each statement, or for another process's migrations of the schema: raise it if one is that slow)`;
    const err = pgStoreError(`migrations failed in schema ${schema}`, e, bound);
    // The server took the session and then answered nothing within the bound: the setting to look at is the bound, not the URL.
    throw bound !== undefined && isPgQueryTimeout(e) ? new StoreBoundError(err.message, err.retryable, 'postgres.migrationTimeoutMs', { cause: e }) : err;
  } finally {
    await client.end().catch(() => {}); // ends the session: the advisory lock goes with it
  }
}

async function probe(client: pg.Client): Promise<TimescaleProbe> {
  const r = await client.query<{ installed: boolean; available: boolean; schema: string | null }>(PROBE_TIMESCALE_SQL);
  const row = r.rows[0];
  return { installed: row?.installed === true, available: row?.available === true, ...(typeof row?.schema === 'string' ? { schema: row.schema } : {}) };
}

/** The flavor a schema was migrated to, and on TimescaleDB the (quoted) schema of the extension's functions. */
export type Flavor = Readonly<{ flavor: StoreFlavor; extensionSchema?: string }>;

const chosen = (p: TimescaleProbe): Flavor => (p.installed ? { flavor: 'timescale', ...(p.schema !== undefined ? { extensionSchema: p.schema } : {}) } : { flavor: 'postgres' });

async function chooseFlavor(client: pg.Client): Promise<Flavor> {
  const first = await probe(client);
  const step = timescaleStep(first);
  if (step !== 'create') return chosen(first);
  try {
    await client.query(CREATE_TIMESCALE_SQL);
  } catch (e) {
    // Not preloaded, or no privilege to create extensions: plain PostgreSQL serves the same schema.
    // Another process may have created it meanwhile, hence the second look. A server that did not
    // answer fails the migrations now (the second look would wait the bound again).
    if (isPgQueryTimeout(e)) throw e;
  }
  return chosen(await probe(client));
}
