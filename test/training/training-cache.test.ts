import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../models/registry/model-registry.js';
import { trainBaseline } from '../../models/training/train-baseline.js';
import type { TrainBaselineReport } from '../../models/training/train-baseline.js';
import type { TrainingCache } from '../../models/training/training-cache.js';
import { createFileTrainingCache } from '../../state/file-training-cache.js';
import { randomWalkBars } from './synthetic-bars.js';
import { tinyRegistry } from './tiny-registry.js';

const bars = [
  { symbol: 'AAA/USDT', bars: randomWalkBars(900, 11) },
  { symbol: 'BBB/USDT', bars: randomWalkBars(900, 12, { price: 20 }) },
];
const dataset = { source: 'synthetic', symbols: ['AAA/USDT', 'BBB/USDT'] };
const options = { timeframe: '1h', barMs: 3_600_000, epochs: 3, kAtr: 0.5 };

/** What a registration holds besides what the registry assigns (version, parent, creation time). */
const content = (m: ModelVersion): unknown => {
  const { version: _v, parentVersion: _p, createdAt: _c, aliases: _a, ...rest } = m;
  return rest;
};
const figures = (r: TrainBaselineReport): unknown => {
  const { model: _m, cached: _c, ...rest } = r;
  return rest;
};

describe('training cache (models.trainingCacheDir): the same bars, settings and code register the model trained before', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'sextant-tcache-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a second training is answered from the cache with the model a fresh training gives, byte for byte', async () => {
    const cache = await createFileTrainingCache(tmp());
    const first = tinyRegistry();
    const trained = await trainBaseline(bars, dataset, options, first, cache);
    expect(trained.cached).toBe(false);
    expect(readdirSync(cache.where).filter((f) => f.endsWith('.json'))).toHaveLength(1);

    // Into a registry that already holds a version: the cached model gets that registry's parent.
    const second = tinyRegistry();
    await second.register({ ...trained.model, parentVersion: null }, first.artifacts.get('direction-mlp@1') ?? new Uint8Array());
    const reused = await trainBaseline(bars, dataset, options, second, cache);
    expect(reused.cached).toBe(true);
    expect(reused.model).toMatchObject({ version: 2, parentVersion: 1 });

    // What the cache answered is what training gives without it (training is deterministic).
    const fresh = await trainBaseline(bars, dataset, options, tinyRegistry());
    expect(fresh.cached).toBe(false);
    expect(content(reused.model)).toEqual(content(fresh.model));
    expect(second.artifacts.get('direction-mlp@2')).toEqual(first.artifacts.get('direction-mlp@1'));
    expect(figures(reused)).toEqual(figures(fresh));
  }, 60_000);

  it('misses when a bar, a setting or the code revision differs, and when an entry is damaged', async () => {
    const dir = tmp();
    const cache = await createFileTrainingCache(dir);
    await trainBaseline(bars, dataset, options, tinyRegistry(), cache);
    const again = async (c: TrainingCache, b = bars, o = options): Promise<boolean> => (await trainBaseline(b, dataset, o, tinyRegistry(), c)).cached;
    expect(await again(cache)).toBe(true);

    // One close of one bar a little different: trained again.
    const moved = [bars[0], { symbol: 'BBB/USDT', bars: bars[1]?.bars.map((b, i) => (i === 700 ? { ...b, close: b.close * 1.0001, high: Math.max(b.high, b.close * 1.0001) } : b)) ?? [] }].filter((s) => s !== undefined);
    expect(await again(cache, moved)).toBe(false);
    expect(await again(cache, bars, { ...options, kAtr: 0.6 })).toBe(false);
    // Other training code (another revision) does not see these entries.
    const otherCode: TrainingCache = { ...cache, revision: `${cache.revision}x`, get: (k) => cache.get(k), put: (k, e) => cache.put(k, e) };
    expect(await again(otherCode)).toBe(false);

    // A damaged entry is a miss; training replaces it.
    for (const f of readdirSync(dir)) writeFileSync(join(dir, f), '{"format":1,"model":');
    expect(await again(cache)).toBe(false);
    expect(await again(cache)).toBe(true);
  }, 120_000);

  it('keeps at most maxEntries, removing the least recently written first', async () => {
    const dir = tmp();
    const cache = await createFileTrainingCache(dir, { maxEntries: 2 });
    await trainBaseline(bars, dataset, options, tinyRegistry(), cache);
    const [first] = readdirSync(dir);
    const entry = await cache.get(first?.replace(/\.json$/, '') ?? '');
    if (entry === undefined) throw new Error('the trained entry reads back');
    const keys = ['1', '2', '3'].map((d) => d.repeat(64));
    for (const k of keys) {
      await new Promise((r) => setTimeout(r, 15)); // distinct write times
      await cache.put(k, entry);
    }
    expect(readdirSync(dir).sort()).toEqual([`${keys[1]}.json`, `${keys[2]}.json`]);
    expect(await cache.get(keys[2] ?? '')).toEqual(entry);
    await expect(createFileTrainingCache(dir, { maxEntries: 0 })).rejects.toThrow(/maxEntries must be an integer >= 1/);
  }, 60_000);

  it('a cache it cannot write to costs only the reuse: said, and the model is registered', async () => {
    const parent = tmp();
    const blocked = join(parent, 'not-a-folder');
    writeFileSync(blocked, 'a file where the cache folder should be');
    const said: string[] = [];
    const cache = await createFileTrainingCache(blocked, { onWriteError: (m) => said.push(m) });
    const registry = tinyRegistry();
    const r = await trainBaseline(bars, dataset, options, registry, cache);
    expect(r.cached).toBe(false);
    expect(r.model.version).toBe(1);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^training cache: could not keep the trained model in .*not-a-folder/);
  }, 60_000);
});
