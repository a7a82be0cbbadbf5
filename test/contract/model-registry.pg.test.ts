import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueryResultRow } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgModelRegistry } from '../../models/registry/pg-model-registry.js';
import type { PgModelRegistryOptions } from '../../models/registry/pg-model-registry.js';
import { RegistryError } from '../../models/registry/model-registry.js';
import { AnnouncementPendingError, ArtifactIntegrityError } from '../../models/registry/registry-errors.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { MIGRATIONS_TABLE } from '../../state/pg-migrate.js';
import type { Bus } from '../../streams/bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dropSchema, queryRows } from '../support/pg.js';
import { modelRegistryContract } from './model-registry.contract.js';
import { eventsOf, newModel, onnxBytes, T0, withOutage } from './model-registry.fixtures.js';
import type { RegistryHarness } from './model-registry.fixtures.js';

// Real PostgreSQL and NATS JetStream; fails (never skips) when either is not reachable.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const tag = (): string => randomUUID().replaceAll('-', '').slice(0, 12);
const schemas: string[] = [];
const dirs: string[] = [];

/** A registry on a schema, artifact directory, subject prefix and stream of its own. */
async function harness(): Promise<RegistryHarness & { opts: PgModelRegistryOptions }> {
  const t = tag();
  const schema = `sx_mr_${t}`;
  schemas.push(schema);
  const artifactDir = await mkdtemp(join(tmpdir(), 'sx-models-'));
  dirs.push(artifactDir);
  const bus: Bus = await createNatsBus({ url: natsUrl, name: 'model-registry-test', connectTimeoutMs: 2000 });
  const subjects = subjectsFor(`sxt${t}`);
  const stream = `SXT_MODELS_${t}`;
  await bus.ensureStreams([{ name: stream, subjects: [subjects.model('*', '*')], maxAgeMs: 600_000, duplicateWindowMs: 120_000, storage: 'memory' }]);
  const clock = createSimulatedClock(T0);
  const outage = { on: false };
  const opts: PgModelRegistryOptions = { url, schema, artifactDir, bus: withOutage(bus, outage), subjects, clock, poolSize: 3 };
  const registry = await createPgModelRegistry(opts);
  const close = async (): Promise<void> => {
    await registry.close();
    await bus.deleteStreams([stream]);
    await bus.close();
  };
  return { registry, bus, stream, subjects, clock, outage, close, opts };
}

const sql = <R extends QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> => queryRows<R>(url, text, params);

afterAll(async () => {
  for (const s of schemas) await dropSchema(url, s);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

modelRegistryContract('PostgreSQL + files + NATS', harness);

describe('PostgreSQL model registry', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => h.close());
  const ops = { actor: 'ops', reason: 'test' };

  it('migrates the registry tables into the store schema', async () => {
    const applied = await sql<{ name: string }>(`SELECT name FROM ${h.opts.schema}.${MIGRATIONS_TABLE}`);
    expect(applied.map((r) => r.name)).toContainEqual(expect.stringMatching(/^\d+_model-registry$/));
    const tables = await sql<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'model%' ORDER BY 1`, [h.opts.schema]);
    expect(tables.map((r) => r.table_name)).toEqual(['model_alias_history', 'model_aliases', 'model_events_announced', 'model_versions']);
  });

  it('writes the artifact as <dir>/<name>/<version>.onnx, leaving no temporary file', async () => {
    const v = await h.registry.register(newModel('files'), onnxBytes(3));
    expect(await readdir(join(h.opts.artifactDir, 'files'))).toEqual(['1.onnx']);
    expect(new Uint8Array(await readFile(join(h.opts.artifactDir, 'files', '1.onnx')))).toEqual(onnxBytes(3));
    expect(v.version).toBe(1);
  });

  it('refuses an artifact whose file was altered or removed', async () => {
    await h.registry.register(newModel('tamper'), onnxBytes(1));
    const file = join(h.opts.artifactDir, 'tamper', '1.onnx');
    const bytes = await readFile(file);
    bytes[bytes.length - 5] ^= 0xff;
    await writeFile(file, bytes);
    const err = await h.registry.artifact({ name: 'tamper', version: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactIntegrityError);
    expect((err as Error).message).toMatch(/sha256/);
    await rm(file);
    await expect(h.registry.artifact({ name: 'tamper', version: 1 })).rejects.toBeInstanceOf(ArtifactIntegrityError);
  });

  it('validates the stored feature spec on read', async () => {
    await h.registry.register(newModel('spec'), onnxBytes(1));
    await sql(`UPDATE ${h.opts.schema}.model_versions SET feature_spec = jsonb_set(feature_spec, '{std,0}', '0') WHERE name = 'spec'`);
    await expect(h.registry.get('spec@1')).rejects.toThrow(/stored feature spec of spec@1 is invalid/);
    await sql(`UPDATE ${h.opts.schema}.model_versions SET feature_spec = jsonb_set(feature_spec, '{std,0}', '0.5') WHERE name = 'spec'`);
    await expect(h.registry.get('spec@1')).rejects.toThrow(/hashes to/); // valid, but not the spec registered
  });

  it('gives distinct versions to registrations from two processes at once', async () => {
    const other = await createPgModelRegistry(h.opts);
    try {
      const made = await Promise.all([1, 2, 3, 4].flatMap((s) => [h.registry, other].map((r) => r.register(newModel('shared'), onnxBytes(s)))));
      expect(made.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      for (const v of made) expect(sha256Of(await other.artifact(v))).toBe(v.artifactSha256);
    } finally {
      await other.close();
    }
  });

  it('publishes at start what a crashed or cut-off process committed but did not announce', async () => {
    await h.registry.register(newModel('restart'), onnxBytes(1));
    h.outage.on = true;
    const err = await h.registry.promote('restart', 1, ops).catch((e: unknown) => e);
    h.outage.on = false;
    expect(err).toBeInstanceOf(AnnouncementPendingError);
    expect(err).toBeInstanceOf(RegistryError);
    await eventsOf(h, 'restart', 1);
    const again = await createPgModelRegistry(h.opts); // a restarted process
    await again.close();
    const events = await eventsOf(h, 'restart', 2);
    expect(events[1]).toEqual((err as AnnouncementPendingError).event);
    const third = await createPgModelRegistry(h.opts); // nothing pending any more: nothing published twice
    await third.close();
    await eventsOf(h, 'restart', 2);
  });

  it('refuses an unsafe schema name', async () => {
    await expect(createPgModelRegistry({ ...h.opts, schema: 'x; drop table y' })).rejects.toThrow(/invalid schema name/);
  });
});

function sha256Of(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
