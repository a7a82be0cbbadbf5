import { StoreError } from './errors.js';
import { stringifyExact } from './exact-json.js';
import type { ActorSnapshot } from './feature-store.js';
import { durableWrite } from './pg-durable-write.js';
import { migrateSchema } from './pg-migrate.js';
import { createPgPool } from './pg-pool.js';
import type { PgTimeouts } from './pg-pool.js';
import { pgQuery } from './pg-query.js';
import type { SnapshotArchive } from './snapshot-archive.js';

export type PgSnapshotArchiveOptions = Readonly<{ url: string; schema: string; timeouts?: PgTimeouts }>;

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

type Row = { version: number; stream_seq: string; event_ms: string; state: string };

/** Actor snapshots in PostgreSQL (`actor_snapshots`, migrated with the other tables): see {@link SnapshotArchive}. */
export async function createPgSnapshotArchive(opts: PgSnapshotArchiveOptions): Promise<SnapshotArchive> {
  if (!SCHEMA_RE.test(opts.schema)) throw new StoreError(`invalid schema name ${opts.schema}`, false);
  const s = opts.schema;
  await migrateSchema(opts.url, s, undefined, opts.timeouts?.migrationTimeoutMs);
  // One connection: saves are spaced out and serialised per actor, loads happen at actor starts.
  const pool = createPgPool(opts.url, 1, opts.timeouts);
  const query = pgQuery(pool);
  return {
    load: async (actorKey) => {
      const rows = await query<Row>('load an archived snapshot', `SELECT version, stream_seq::text, event_ms::text, state FROM ${s}.actor_snapshots WHERE actor = $1`, [actorKey]);
      const r = rows[0];
      if (r === undefined) return undefined;
      let state: unknown;
      try {
        state = JSON.parse(r.state);
      } catch (e) {
        throw new StoreError(`archived snapshot of ${actorKey} is not JSON`, false, { cause: e });
      }
      return { version: r.version, streamSeq: Number(r.stream_seq), ts: Number(r.event_ms), state };
    },
    save: async (actorKey, snap: ActorSnapshot) => {
      // Committed with synchronous_commit on, whatever the sessions' default (`durableWrite`): the
      // copy is what an actor whose Redis snapshot is gone resumes from. One a PostgreSQL crash lost
      // sends it back to the copy before (about `asset.snapshotArchiveEvery` messages more to
      // replay) or to the stream's oldest message; with a retention limit on the market-data
      // stream, to messages it may no longer hold (state missing history). Copies are that many
      // stream messages apart per actor, one in flight, behind the checkpoints: the WAL flush each
      // waits for holds up no checkpoint.
      await durableWrite(
        pool,
        'archive a snapshot',
        `INSERT INTO ${s}.actor_snapshots (actor, version, stream_seq, event_ms, state) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (actor) DO UPDATE SET version = EXCLUDED.version, stream_seq = EXCLUDED.stream_seq, event_ms = EXCLUDED.event_ms, state = EXCLUDED.state
         WHERE ${s}.actor_snapshots.stream_seq <= EXCLUDED.stream_seq`,
        [actorKey, snap.version, snap.streamSeq, snap.ts, stringifyExact(snap.state)],
      );
    },
    clear: async () => {
      await query('clear the archived snapshots', `DELETE FROM ${s}.actor_snapshots`);
    },
    close: async () => {
      await pool.end();
    },
  };
}
