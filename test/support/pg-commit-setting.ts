import pg from 'pg';

/**
 * Records, for every row written to `schema.table`, the `synchronous_commit` in force in the
 * transaction that wrote it (a trigger of the test's own schema reads it inside that
 * transaction), so a test can assert what a store's write would survive: `off` returns before
 * the commit's WAL is flushed, and a PostgreSQL crash can lose it after the caller was told
 * it was stored.
 */
export async function watchCommitSetting(url: string, schema: string, table: string): Promise<() => Promise<string[]>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema) || !/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`refusing ${schema}.${table}`);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`CREATE TABLE IF NOT EXISTS ${schema}.commit_settings (seq bigserial PRIMARY KEY, tbl text NOT NULL, setting text NOT NULL)`);
    await c.query(
      `CREATE OR REPLACE FUNCTION ${schema}.record_commit_setting() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
        `INSERT INTO ${schema}.commit_settings (tbl, setting) VALUES (TG_TABLE_NAME, current_setting('synchronous_commit')); RETURN NULL; END $$`,
    );
    await c.query(`DROP TRIGGER IF EXISTS record_commit_setting ON ${schema}.${table}`);
    await c.query(`CREATE TRIGGER record_commit_setting AFTER INSERT OR UPDATE ON ${schema}.${table} FOR EACH ROW EXECUTE FUNCTION ${schema}.record_commit_setting()`);
  } finally {
    await c.end();
  }
  return async () => {
    const r = new pg.Client({ connectionString: url });
    await r.connect();
    try {
      const { rows } = await r.query<{ setting: string }>(`SELECT setting FROM ${schema}.commit_settings WHERE tbl = $1 ORDER BY seq`, [table]);
      return rows.map((x) => x.setting);
    } finally {
      await r.end();
    }
  };
}

/** `url` with `synchronous_commit=off` as its sessions' default: a server, database or role configured so. */
export const withAsyncCommitDefault = (url: string): string => `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c synchronous_commit=off')}`;
