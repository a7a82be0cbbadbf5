import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoModel, servableBefore } from '../../cli/commands/demo-model.js';
import { openPgRegistry } from '../../cli/registry.js';
import { loadConfig } from '../../config/load.js';
import { modelDataEnd, modelDataSpan } from '../../models/registry/model-data-span.js';
import type { ModelRegistry, ModelVersion } from '../../models/registry/model-registry.js';
import { streamSpecs } from '../../streams/provision.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { testDataDir } from '../support/data-dir.js';
import { testTrainingCache } from '../support/training-cache.js';
import { dropSchema } from '../support/pg.js';

const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `demo_data_end_${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'sextant-demo-data-end-'));
const configFile = join(dir, 'config.yaml');
writeFileSync(configFile, `prefix: dde\nstreamNamePrefix: DDE_\npostgres:\n  url: ${PG_URL}\n  schema: ${schema}\nmodels:\n  artifactDir: ${join(dir, 'models')}\n`);
const DAY = 86_400_000;
const name = 'direction-mlp';

/**
 * The demo (and a backtest's worker-trained models) reuse `<name>@production` for a window when no
 * data of the window reached it. That was judged by `trainRange.to`, the training segment's end
 * only: a model whose calibration and test segments ran into the window was served there as out
 * of sample.
 */
describe('the demo reuses the production model only when all the data its training read ends by the window', () => {
  let registry: ModelRegistry;
  let v1: ModelVersion;
  beforeAll(async () => {
    registry = await openPgRegistry(loadConfig({ file: configFile }));
    // Trained on the three years before 2024 (as backtest-model-ref's: the training cache has it), promoted.
    v1 = (await ensureDemoModel(registry, { name, dataDir: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 0, 1), cache: await testTrainingCache() })).model;
  }, 300_000);
  afterAll(async () => {
    await registry.close();
    const cfg = loadConfig({ file: configFile });
    const bus = await createNatsBus({ url: cfg.nats.url, name: 'demo-data-end-cleanup', connectTimeoutMs: 3000 });
    await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus.close();
    await dropSchema(PG_URL, schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not serve a model whose test segment runs past the window\'s start, though its training range ends before it', async () => {
    const span = modelDataSpan(v1);
    const test = span?.segments.test;
    if (span === undefined || test === undefined) throw new Error('the demo model records its split');
    // A window starting a day into the model's test segment: its training range ended weeks before.
    const from = test.from + DAY;
    expect(v1.trainRange.to).toBeLessThan(from - 30 * DAY);
    expect(span.dataRange.to).toBeGreaterThan(from);
    expect(modelDataEnd(v1)).toBe(span.dataRange.to);
    // Not served, and said: the demo retrained silently, its summary then naming a new version.
    const notices: string[] = [];
    expect(await servableBefore(registry, name, from, '1h', (l) => notices.push(l))).toBeUndefined();
    expect(notices).toEqual([`${name}@${v1.version}'s training read bars up to ${new Date(span.dataRange.to).toISOString().slice(0, 10)}, past the window's start ${new Date(from).toISOString().slice(0, 16).replace('T', ' ')} UTC; training a new version on the years before the window`]);
    // From the end of everything it read on, it is out of sample: served.
    notices.length = 0;
    expect((await servableBefore(registry, name, span.dataRange.to, '1h', (l) => notices.push(l)))?.version).toBe(v1.version);
    expect(notices).toEqual([]);
    expect(await servableBefore(registry, name, span.dataRange.to - 3_600_000, '1h')).toBeUndefined();
  }, 60_000);

  it('judges a model without a recorded split (a retraining challenger) by its trainRange, which covers all it read', async () => {
    // A challenger's details.split holds row counts, no segments; its trainRange runs to just past its last label.
    const bytes = await registry.artifact(v1);
    const { version: _v, aliases: _a, featureSpecHash: _h, artifactSha256: _s, createdAt: _c, ...fields } = v1;
    const to = Date.UTC(2023, 9, 1);
    const challenger = await registry.register(
      { ...fields, parentVersion: v1.version, trainRange: { from: v1.trainRange.from, to }, details: { ...v1.details, split: { fitRows: 1000, purged: 4, validationRows: 200 } } },
      bytes,
      { actor: 'test' },
    );
    await registry.promote(name, challenger.version, { actor: 'test', reason: 'challenger' });
    expect(modelDataSpan(challenger)).toBeUndefined();
    expect(modelDataEnd(challenger)).toBe(to);
    expect((await servableBefore(registry, name, to, '1h'))?.version).toBe(challenger.version);
    expect(await servableBefore(registry, name, to - 3_600_000, '1h')).toBeUndefined();
  }, 60_000);
});
