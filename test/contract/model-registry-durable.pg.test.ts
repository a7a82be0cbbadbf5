import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgModelRegistry } from '../../models/registry/pg-model-registry.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dropSchema } from '../support/pg.js';
import { watchCommitSetting, withAsyncCommitDefault } from '../support/pg-commit-setting.js';
import { newModel, onnxBytes, T0 } from './model-registry.fixtures.js';

// Real PostgreSQL; fails (never skips) when it is not reachable. Schema and directory of this file only.
const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_mrdur_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const dirs: string[] = [];
afterAll(async () => {
  await dropSchema(url, schema);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('model registry changes are durable (PostgreSQL)', () => {
  // A change is announced on sx.model.<name>.<event> once its transaction committed: engines then
  // load the promoted version, the operator is told it is deployed. A commit a PostgreSQL crash
  // can still lose (synchronous_commit off) would leave that announcement naming a version, an
  // alias move or a rejection the registry no longer holds.
  it('commits registrations, promotions, rollbacks and rejections with synchronous_commit on, even where the sessions default to off', async () => {
    const artifactDir = await mkdtemp(join(tmpdir(), 'sx-models-dur-'));
    dirs.push(artifactDir);
    const bus = createMemoryBus();
    const subjects = subjectsFor('sxmrdur');
    await bus.ensureStreams([{ name: 'MODELS_DUR', subjects: [subjects.model('*', '*')], maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
    const base = { schema, artifactDir, bus, subjects, clock: createSimulatedClock(T0) };
    const first = await createPgModelRegistry({ ...base, url });
    await first.close();
    const seen = {
      versions: await watchCommitSetting(url, schema, 'model_versions'),
      aliases: await watchCommitSetting(url, schema, 'model_aliases'),
      history: await watchCommitSetting(url, schema, 'model_alias_history'),
    };
    for (const u of [url, withAsyncCommitDefault(url)]) {
      const reg = await createPgModelRegistry({ ...base, url: u, poolSize: 1 });
      const name = `dur-${u === url ? 'a' : 'b'}`;
      const ops = { actor: 'ops', reason: 'test' };
      try {
        await reg.register(newModel(name), onnxBytes(1));
        await reg.register(newModel(name), onnxBytes(2));
        await reg.promote(name, 1, ops);
        await reg.promote(name, 2, ops);
        await reg.rollback(name, ops);
        await reg.promote(name, 2, { ...ops, alias: 'staging' });
        await reg.reject(name, 2, ops);
      } finally {
        await reg.close();
      }
    }
    expect(await seen.versions()).toEqual(Array<string>(4).fill('on'));
    expect(await seen.aliases()).toEqual(Array<string>(8).fill('on')); // 3 production moves and 1 staging, twice
    expect(await seen.history()).toEqual(Array<string>(14).fill('on')); // 2 registered, 3 promoted, rolled back, rejected, twice
  });
});
