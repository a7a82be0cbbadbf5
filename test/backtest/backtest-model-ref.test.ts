import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { resolveBacktestInputs } from '../../cli/commands/backtest-spec.js';
import { ensureDemoModel } from '../../cli/commands/demo-model.js';
import { openPgRegistry } from '../../cli/registry.js';
import { loadConfig } from '../../config/load.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { streamSpecs } from '../../streams/provision.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { testDataDir } from '../support/data-dir.js';
import { testTrainingCache } from '../support/training-cache.js';
import { dropSchema } from '../support/pg.js';

const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bt_model_${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'sextant-bt-model-'));
const configFile = join(dir, 'config.yaml');
writeFileSync(configFile, `prefix: btm\nstreamNamePrefix: BTM_\npostgres:\n  url: ${PG_URL}\n  schema: ${schema}\nmodels:\n  artifactDir: ${join(dir, 'models')}\n`);
const window = { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 15) };

describe('sextant backtest --model: a registered version served instead of a freshly trained model', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    registry = await openPgRegistry(loadConfig({ file: configFile }));
    // Version 1 trained on the years before 2024, then a second registration of it as version 2, now in production.
    const v1 = (await ensureDemoModel(registry, { name: 'direction-mlp', dataDir: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: window.from, cache: await testTrainingCache() })).model;
    const bytes = await registry.artifact(v1);
    const { version: _v, aliases: _a, featureSpecHash: _h, artifactSha256: _s, createdAt: _c, ...fields } = v1;
    const v2 = await registry.register({ ...fields, parentVersion: v1.version }, bytes, { actor: 'test' });
    await registry.promote(v2.name, v2.version, { actor: 'test', reason: 'newer' });
  }, 300_000);
  afterAll(async () => {
    await registry.close();
    const cfg = loadConfig({ file: configFile });
    const bus = await createNatsBus({ url: cfg.nats.url, name: 'bt-model-cleanup', connectTimeoutMs: 3000 });
    await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus.close();
    await dropSchema(PG_URL, schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the version asked for from the configured registry (flag or spec), and decides with it', async () => {
    const inputs = resolveBacktestInputs({ model: 'direction-mlp@1' }, { symbols: ['BTC/USDT'], ...window, data: testDataDir(), report: join(dir, 'v1') });
    expect(inputs.model).toBe('direction-mlp@1');
    const report = await runBacktest({ configFile, ...inputs });
    expect(report.model.ref).toBe('direction-mlp@1');
    expect(report.counts['predictions']).toBe(14 * 24); // warm from the first bar of the window
    const prod = await runBacktest({ configFile, ...inputs, model: 'direction-mlp@production', report: join(dir, 'prod') });
    expect(prod.model.ref).toBe('direction-mlp@2');
  }, 300_000);

  it('warns in the report (printed on stderr too) when the window lies in the served model\'s training data', async () => {
    const base = { configFile, symbols: ['BTC/USDT'], timeframe: '1h', data: testDataDir(), capital: 10_000, model: 'direction-mlp@1' };
    const v1 = await registry.get('direction-mlp@1');
    const from = v1.trainRange.from + 30 * 86_400_000;
    const inside = await runBacktest({ ...base, from, to: from + 7 * 86_400_000, report: join(dir, 'in-sample') });
    expect(inside.warnings.join('\n')).toMatch(/^model direction-mlp@1 was trained on bars from .* which overlaps the window .*: its figures there are in-sample/m);
    expect(inside.model.dataBeforeWindow).toBe(false);
    expect(inside.warnings.filter((w) => w.includes('saw bars up to'))).toEqual([]); // said once, as in-sample
    const after = await runBacktest({ ...base, ...window, report: join(dir, 'out-of-sample') });
    expect(after.warnings.filter((w) => w.includes('in-sample') || w.includes('saw bars up to'))).toEqual([]);
    // Trained on the years before 2024: its calibration and test segments run on past its training
    // range, up to the window's start and no further.
    const seen = after.model.dataRange;
    expect(seen).not.toBeNull();
    expect(Date.parse(seen?.to ?? '')).toBeGreaterThan(Date.parse(after.model.trainRange.to) + 30 * 86_400_000);
    expect(Date.parse(seen?.to ?? '')).toBeLessThanOrEqual(window.from);
    expect(after.model.split?.test?.rows).toBeGreaterThan(0);
    expect(after.model.dataBeforeWindow).toBe(true);
    expect(after.currency).toBe('USDT');
  }, 300_000);

  it('says so when the version is not registered, or when strategy.model names one a backtest does not train', async () => {
    const base = { configFile, symbols: ['BTC/USDT'], timeframe: '1h', ...window, data: testDataDir(), capital: 10_000 };
    await expect(runBacktest({ ...base, report: join(dir, 'missing'), model: 'direction-mlp@9' })).rejects.toThrow("--model (or a spec's `model:`) direction-mlp@9: not in the model registry");
    await expect(runBacktest({ ...base, report: join(dir, 'bad-ref'), model: 'direction-mlp@@9' })).rejects.toThrow(/^--model \(or a spec's `model:`\) direction-mlp@@9: bad version or alias/);
    await expect(runBacktest({ ...base, report: join(dir, 'strategy'), strategy: { model: 'direction-mlp@3' } })).rejects.toThrow(/give --model direction-mlp@3/);
  }, 300_000);
});
