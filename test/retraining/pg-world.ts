import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import { createPgModelRegistry } from '../../models/registry/pg-model-registry.js';
import type { ModelVersion } from '../../models/registry/model-registry.js';
import { createPgTrainingSampleStore } from '../../state/pg-training-sample-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import type { Subjects } from '../../streams/subjects.js';
import { dropSchema } from '../support/pg.js';
import { registerChampion, samplesOf } from './fixtures.js';
import type { RetrainingWorld } from './fixtures.js';

// Real PostgreSQL (a schema of its own per world); fails (never skips) when it is not reachable.
const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * `retrainingWorld` with the registry and the sample store on PostgreSQL (a schema and an artifact
 * directory of its own) and a memory bus: the same 200 old-regime samples stored and a champion
 * fitted on them in production. `close` drops the schema and the artifacts.
 */
export async function pgRetrainingWorld(cfg: Pick<Config, 'prefix' | 'streamNamePrefix' | 'streams'>, subjects: Subjects): Promise<RetrainingWorld & { champion: ModelVersion; close: () => Promise<void> }> {
  const schema = `sx_rtw_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfg, { storage: 'memory' }));
  const artifactDir = await mkdtemp(join(tmpdir(), 'sx-rtw-'));
  const store = await createPgTrainingSampleStore({ url: PG_URL, schema });
  const registry = await createPgModelRegistry({ url: PG_URL, schema, artifactDir, bus, subjects, clock: { now: () => 0 } });
  const old = samplesOf(0, 200, -1, 1);
  await store.commit({ samples: old });
  const champion = await registerChampion(registry, old);
  const close = async (): Promise<void> => {
    await registry.close();
    await store.close();
    await bus.close();
    await dropSchema(PG_URL, schema);
    await rm(artifactDir, { recursive: true, force: true });
  };
  return { bus, store, registry, champion, close };
}
