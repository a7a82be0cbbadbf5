import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { StoreConnectError, StoreError } from '../../state/errors.js';
import { pgStoreError } from '../../state/pg-errors.js';
import { DURABLE_BEGIN, inPgTransaction } from '../../state/pg-transaction.js';
import { migrateSchema } from '../../state/pg-migrate.js';
import { createPgPool } from '../../state/pg-pool.js';
import type { PgTimeouts } from '../../state/pg-pool.js';
import type { Logger } from '../../state/logger.js';
import type { Clock } from '../../state/clock.js';
import type { DurablePublisher } from '../../streams/bus.js';
import type { ModelEvent, ModelEventKind } from '../../streams/messages/model-event.js';
import type { Subjects } from '../../streams/subjects.js';
import { removableAliases, removedByPromotion, requireCurrent, requireRemovable, rollbackTarget } from './alias-history.js';
import type { AliasHistoryRow } from './alias-history.js';
import { artifactRelPath, readArtifactFile, sha256Hex, writeArtifactFile } from './artifact-files.js';
import { featureSpecHash } from './feature-spec.js';
import { announce, modelEventOf } from './model-event-of.js';
import type { HistoryEntry } from './model-event-of.js';
import type { ListedModelVersion, ModelRegistry, ModelVersion } from './model-registry.js';
import { ModelNotFoundError, parseModelRef, RegistryError } from './model-registry.js';
import { ModelNameSchema, parseNewModelVersion } from './new-model-version.js';
import { parseAction, parseVersionNumber } from './registry-action.js';
import { AnnouncementPendingError, ModelRejectedError, NoRollbackTargetError } from './registry-errors.js';
import { historyColumns, historyOfRow, rejectedColumn, tsParam, versionColumns, versionOfRow } from './pg-model-rows.js';
import type { HistoryRow, VersionRow } from './pg-model-rows.js';
import { pgQuery } from '../../state/pg-query.js';

export type PgModelRegistryOptions = Readonly<{
  url: string;
  schema: string;
  /** Artifacts are `<artifactDir>/<name>/<version>.onnx`. */
  artifactDir: string;
  bus: DurablePublisher;
  subjects: Pick<Subjects, 'model'>;
  clock: Pick<Clock, 'now'>;
  poolSize?: number;
  /** Bounds every statement, the model lock's wait included (`createPgPool`); absent: none. */
  timeouts?: PgTimeouts;
  /** Says when announcements left pending by an earlier process cannot be published at start. */
  log?: Pick<Logger, 'warn'>;
}>;

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The model registry on PostgreSQL (`model_versions`, `model_aliases`, `model_alias_history`,
 * migrated with the other stores) with artifacts as files. Every change of one model runs in one
 * transaction under an advisory lock on the model's name, so concurrent registrations get
 * consecutive versions and an alias moves exactly once per request, with its history row.
 *
 * Events are published after commit with msgId = event id. One that was committed but not
 * published (bus down, crash) is published again at start and after every later change; the
 * change that could not announce rejects with `AnnouncementPendingError` (it is committed).
 *
 * @example
 * const reg = await createPgModelRegistry({ url, schema: 'sextant', artifactDir: 'var/models', bus, subjects, clock });
 * const v = await reg.register(model, onnxBytes);            // btc-dir@1, announced `registered`
 * await reg.promote(v.name, v.version, { actor: 'ops', reason: 'beats v0 on walk-forward' });
 */
export async function createPgModelRegistry(opts: PgModelRegistryOptions): Promise<ModelRegistry> {
  if (!SCHEMA_RE.test(opts.schema)) throw new StoreError(`invalid schema name ${opts.schema}`, false);
  const s = opts.schema;
  const dir = opts.artifactDir;
  await migrateSchema(opts.url, s, undefined, opts.timeouts?.migrationTimeoutMs);
  const pool = createPgPool(opts.url, opts.poolSize ?? 4, opts.timeouts);

  const query = pgQuery(pool);

  /** Runs `fn` in one transaction holding the model's lock; registry refusals pass through as they are. */
  const inModelTx = async <T>(what: string, name: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    let c: pg.PoolClient;
    try {
      c = await pool.connect();
    } catch (e) {
      throw new StoreConnectError(`cannot get a PostgreSQL connection: ${(e as Error).message}`, { cause: e });
    }
    try {
      // Committed with synchronous_commit on, whatever the sessions' default (as `durableWrite`):
      // the change is announced once this commit returns, and engines and the operator act on it,
      // so a PostgreSQL crash must not be able to lose it afterwards.
      return await inPgTransaction(c, DURABLE_BEGIN, async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sextant-model-registry:${s}:${name}`]);
        return fn(tx);
      });
    } catch (e) {
      throw e instanceof RegistryError ? e : pgStoreError(what, e);
    }
  };

  const insertHistory = async (c: pg.PoolClient, h: Omit<HistoryEntry, 'seq'>): Promise<HistoryEntry> => {
    const r = await c.query<{ seq: string }>(
      `INSERT INTO ${s}.model_alias_history (name, alias, version, previous_version, event, actor, reason, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, ${tsParam(8)}) RETURNING seq::text AS seq`,
      [h.name, h.alias, h.version, h.previousVersion, h.event, h.actor, h.reason, h.at],
    );
    return { ...h, seq: Number(r.rows[0]?.seq) };
  };

  /** Publishes every committed event not yet announced, oldest first; duplicates die on msgId. */
  const flushAnnouncements = async (): Promise<void> => {
    const rows = await query<HistoryRow>(
      'read unannounced model events',
      `SELECT ${historyColumns} FROM ${s}.model_alias_history h
       WHERE NOT EXISTS (SELECT 1 FROM ${s}.model_events_announced a WHERE a.seq = h.seq) ORDER BY h.seq`,
    );
    for (const row of rows) {
      const h = historyOfRow(row);
      await announce(opts.bus, opts.subjects, modelEventOf(h));
      // Not a durable commit, on purpose: a marker lost (with synchronous_commit off, a PostgreSQL
      // crash can lose the last ones) only has its event published again, as after a crash between
      // the publish and this write. Same id, so JetStream drops it within its duplicate window, and
      // past it every consumer takes the event as a prompt to read the alias again (the engine's
      // swap, the retraining actor) or keeps the newest per alias (the dashboard): no change twice.
      await query('mark a model event announced', `INSERT INTO ${s}.model_events_announced (seq, at) VALUES ($1, ${tsParam(2)}) ON CONFLICT DO NOTHING`, [h.seq, opts.clock.now()]);
    }
  };

  const announced = async (h: HistoryEntry): Promise<ModelEvent> => {
    const event = modelEventOf(h);
    try {
      await flushAnnouncements();
    } catch (e) {
      throw new AnnouncementPendingError(event, e);
    }
    return event;
  };

  const versionWhere = async (what: string, where: string, params: unknown[]): Promise<ModelVersion[]> =>
    (await query<VersionRow>(what, `SELECT ${versionColumns(s)} FROM ${s}.model_versions v ${where}`, params)).map(versionOfRow);

  const listedWhere = async (what: string, where: string, params: unknown[]): Promise<ListedModelVersion[]> =>
    (await query<VersionRow & { rejected: boolean }>(what, `SELECT ${versionColumns(s)}, ${rejectedColumn(s)} FROM ${s}.model_versions v ${where}`, params)).map((r) => ({
      ...versionOfRow(r),
      rejected: r.rejected,
    }));

  const getVersion = async (name: string, version: number): Promise<ModelVersion> => {
    const [v] = await versionWhere('read a model version', 'WHERE v.name = $1 AND v.version = $2', [name, version]);
    if (v === undefined) throw new ModelNotFoundError(`model ${name}@${version} not found`);
    return v;
  };

  /** Inside a transaction: the version must exist and not have been rejected. */
  const requireLive = async (c: pg.PoolClient, name: string, version: number, Err: typeof RegistryError = ModelRejectedError): Promise<void> => {
    const r = await c.query<{ rejected: boolean }>(
      `SELECT ${rejectedColumn(s)} FROM ${s}.model_versions v WHERE v.name = $1 AND v.version = $2`,
      [name, version],
    );
    const row = r.rows[0];
    if (row === undefined) throw new ModelNotFoundError(`model ${name}@${version} not found`);
    if (row.rejected) throw new Err(`model ${name}@${version} was rejected`);
  };

  const aliasVersion = async (c: pg.PoolClient, name: string, alias: string): Promise<number | undefined> =>
    (await c.query<{ version: number }>(`SELECT version FROM ${s}.model_aliases WHERE name = $1 AND alias = $2`, [name, alias])).rows[0]?.version;

  const setAlias = async (c: pg.PoolClient, name: string, alias: string, version: number, at: number): Promise<void> => {
    await c.query(
      `INSERT INTO ${s}.model_aliases (name, alias, version, updated_at) VALUES ($1, $2, $3, ${tsParam(4)})
       ON CONFLICT (name, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at`,
      [name, alias, version, at],
    );
  };

  const event = (kind: ModelEventKind, name: string, version: number, alias: string | null, previousVersion: number | null, actor: string, reason: string): Omit<HistoryEntry, 'seq'> => ({
    name, alias, version, previousVersion, event: kind, actor, reason, at: opts.clock.now(),
  });

  try {
    await flushAnnouncements();
  } catch (e) {
    // The bus may be down at start; what is pending is published again after the next change.
    opts.log?.warn({ err: String(e) }, 'model registry: pending announcements not published at start (engines may serve an older alias until the next change)');
  }

  return {
    register: async (model, artifact, ropts) => {
      const m = parseNewModelVersion(model);
      const who = parseAction({ actor: ropts?.actor ?? 'registry', reason: ropts?.reason ?? '' });
      if (artifact.byteLength === 0) throw new RegistryError(`artifact of ${m.name} is empty`);
      const sha = sha256Hex(artifact);
      const createdAt = opts.clock.now();
      let relPath: string | undefined;
      try {
        const h = await inModelTx(`register a version of ${m.name}`, m.name, async (c) => {
          const max = await c.query<{ max: number }>(`SELECT COALESCE(max(version), 0)::int AS max FROM ${s}.model_versions WHERE name = $1`, [m.name]);
          const version = (max.rows[0]?.max ?? 0) + 1;
          if (m.parentVersion !== null && m.parentVersion >= version) throw new RegistryError(`parent version ${m.name}@${m.parentVersion} does not exist`);
          relPath = artifactRelPath(m.name, version);
          // The advisory lock serialises writers of this name, so process and content tell temp files apart.
          await writeArtifactFile(dir, relPath, artifact, `${process.pid}-${sha.slice(0, 16)}`);
          await c.query(
            `INSERT INTO ${s}.model_versions (name, version, format, metrics, feature_spec, feature_spec_hash, calibration, train_from, train_to,
               parent_version, config_hash, artifact_sha256, artifact_path, details, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, ${tsParam(8)}, ${tsParam(9)}, $10, $11, $12, $13, $14, ${tsParam(15)})`,
            [m.name, version, m.format, JSON.stringify(m.metrics), JSON.stringify(m.featureSpec), featureSpecHash(m.featureSpec), JSON.stringify(m.calibration),
              m.trainRange.from, m.trainRange.to, m.parentVersion, m.configHash, sha, relPath, JSON.stringify(m.details), createdAt],
          );
          return insertHistory(c, { ...event('registered', m.name, version, null, null, who.actor, who.reason), at: createdAt });
        });
        relPath = undefined; // committed: the file is the version's now
        await announced(h);
        return await getVersion(h.name, h.version);
      } finally {
        if (relPath !== undefined) await rm(join(dir, relPath), { force: true });
      }
    },

    get: async (ref) => {
      const r = parseModelRef(ref);
      if ('version' in r) return getVersion(r.name, r.version);
      const [v] = await versionWhere('resolve a model alias', `JOIN ${s}.model_aliases al ON al.name = v.name AND al.version = v.version WHERE al.name = $1 AND al.alias = $2`, [r.name, r.alias]);
      if (v === undefined) throw new ModelNotFoundError(`model ${r.name}@${r.alias} not found`);
      return v;
    },

    artifact: async ({ name, version }) => {
      const rows = await query<{ artifact_path: string; artifact_sha256: string }>(
        'read an artifact location', `SELECT artifact_path, artifact_sha256 FROM ${s}.model_versions WHERE name = $1 AND version = $2`, [name, version],
      );
      const row = rows[0];
      if (row === undefined) throw new ModelNotFoundError(`model ${name}@${version} not found`);
      return readArtifactFile(dir, row.artifact_path, row.artifact_sha256, `${name}@${version}`);
    },

    list: async (name) => {
      if (name === undefined) return listedWhere('list models', 'ORDER BY v.seq DESC', []);
      if (!ModelNameSchema.safeParse(name).success) throw new RegistryError(`bad model name ${JSON.stringify(name)}`);
      return listedWhere('list model versions', 'WHERE v.name = $1 ORDER BY v.seq DESC', [name]);
    },

    aliasEvents: async () => {
      // The newest move of each alias to the version it holds now (an alias cleared by a reject has no row).
      const rows = await query<HistoryRow>(
        'read the events that set the aliases',
        `SELECT * FROM (
           SELECT DISTINCT ON (a.name, a.alias) ${historyColumns}, h.seq AS n FROM ${s}.model_aliases a
           JOIN ${s}.model_alias_history h ON h.name = a.name AND h.alias = a.alias AND h.version = a.version AND h.event IN ('promoted', 'rolled_back')
           ORDER BY a.name, a.alias, h.seq DESC
         ) e ORDER BY e.n`,
      );
      return rows.map((r) => modelEventOf(historyOfRow(r)));
    },

    promote: async (name, version, popts) => {
      const a = parseAction(popts);
      parseVersionNumber(version);
      if (!ModelNameSchema.safeParse(name).success) throw new RegistryError(`bad model name ${JSON.stringify(name)}`);
      const removed = removableAliases(name, a.alias, popts.removeAliases);
      const h = await inModelTx(`promote ${name}@${version}`, name, async (c) => {
        await requireLive(c, name, version);
        const current = await aliasVersion(c, name, a.alias);
        requireCurrent({ name, alias: a.alias, current, ifCurrent: popts.ifCurrent });
        if (current === version) throw new RegistryError(`${name}@${a.alias} already points at version ${version}`);
        const e = event('promoted', name, version, a.alias, current ?? null, a.actor, a.reason);
        await setAlias(c, name, a.alias, version, e.at);
        const promoted = await insertHistory(c, e);
        // In this transaction: committed with the promotion or not at all, announced after it (seq order).
        for (const alias of removed) {
          const gone = await c.query(`DELETE FROM ${s}.model_aliases WHERE name = $1 AND alias = $2 AND version = $3`, [name, alias, version]);
          if (gone.rowCount === 1) await insertHistory(c, { ...event('alias_removed', name, version, alias, null, a.actor, removedByPromotion(a.alias, a.reason)), at: e.at });
        }
        return promoted;
      });
      return announced(h);
    },

    rollback: async (name, ropts) => {
      const a = parseAction(ropts);
      if (!ModelNameSchema.safeParse(name).success) throw new RegistryError(`bad model name ${JSON.stringify(name)}`);
      const h = await inModelTx(`roll back ${name}@${a.alias}`, name, async (c) => {
        const current = await aliasVersion(c, name, a.alias);
        if (current === undefined && (await c.query(`SELECT 1 FROM ${s}.model_versions WHERE name = $1 LIMIT 1`, [name])).rows.length === 0) {
          throw new ModelNotFoundError(`model ${name} not found`);
        }
        requireCurrent({ name, alias: a.alias, current, ifCurrent: ropts.ifCurrent });
        if (current === undefined) throw new NoRollbackTargetError(`${name}@${a.alias} is not set`);
        const rows = await c.query<{ event: ModelEventKind; version: number; previous_version: number | null }>(
          `SELECT event, version, previous_version FROM ${s}.model_alias_history WHERE name = $1 AND alias = $2 ORDER BY seq`, [name, a.alias],
        );
        const history = rows.rows.map((r): AliasHistoryRow => ({ event: r.event, version: r.version, previousVersion: r.previous_version }));
        const target = rollbackTarget(history, { name, alias: a.alias, current, ...(ropts.to !== undefined ? { to: ropts.to } : {}) });
        await requireLive(c, name, target, NoRollbackTargetError);
        const e = event('rolled_back', name, target, a.alias, current, a.actor, a.reason);
        await setAlias(c, name, a.alias, target, e.at);
        return insertHistory(c, e);
      });
      return announced(h);
    },

    reject: async (name, version, jopts) => {
      const a = parseAction(jopts);
      parseVersionNumber(version);
      if (!ModelNameSchema.safeParse(name).success) throw new RegistryError(`bad model name ${JSON.stringify(name)}`);
      const h = await inModelTx(`reject ${name}@${version}`, name, async (c) => {
        await requireLive(c, name, version);
        if ((await aliasVersion(c, name, 'production')) === version) {
          throw new RegistryError(`${name}@${version} is production: promote another version or roll back before rejecting it`);
        }
        await c.query(`DELETE FROM ${s}.model_aliases WHERE name = $1 AND version = $2`, [name, version]);
        return insertHistory(c, event('rejected', name, version, null, null, a.actor, a.reason));
      });
      return announced(h);
    },

    removeAlias: async (name, alias, xopts) => {
      const a = parseAction({ ...xopts, alias });
      if (!ModelNameSchema.safeParse(name).success) throw new RegistryError(`bad model name ${JSON.stringify(name)}`);
      requireRemovable(name, a.alias);
      const h = await inModelTx(`remove ${name}@${a.alias}`, name, async (c) => {
        const current = await aliasVersion(c, name, a.alias);
        requireCurrent({ name, alias: a.alias, current, ifCurrent: xopts.ifCurrent });
        if (current === undefined) throw new ModelNotFoundError(`model ${name}@${a.alias} not found`);
        await c.query(`DELETE FROM ${s}.model_aliases WHERE name = $1 AND alias = $2`, [name, a.alias]);
        return insertHistory(c, event('alias_removed', name, current, a.alias, null, a.actor, a.reason));
      });
      return announced(h);
    },

    close: async () => {
      await pool.end();
    },
  };
}
