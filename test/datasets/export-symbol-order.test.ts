import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSymbolBars } from '../../cli/commands/train.js';
import { runDatasetExport } from '../../cli/commands/dataset.js';
import { barSampleSource } from '../../models/datasets/bar-sample-source.js';
import { exportDataset } from '../../models/datasets/export-dataset.js';
import type { DatasetExportCliOptions } from '../../cli/commands/dataset.js';
import { testDataDir } from '../support/data-dir.js';

/**
 * `--symbols` names a set. `sextant dataset export --symbols ETH/USDT,BTC/USDT` wrote the same rows
 * (same content hash) as `--symbols BTC/USDT,ETH/USDT` but another config hash, so a re-export in
 * the other order became a new version beside an equal one, and a metadata.json whose feature
 * means and stds differed in their last digits (summed in another order).
 */
describe('dataset export: the order of --symbols', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sx-export-order-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const opts = (symbols: string[], out: string): DatasetExportCliOptions => ({
    source: 'bars', data: testDataDir(), symbols, timeframe: '1h', from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 2, 1),
    horizon: 4, kAtr: 0.75, out: join(root, out), name: 'direction', trainFraction: 0.7, validationFraction: 0.15, embargoBars: 24, outlierZ: 6,
  });
  const quiet = (): undefined => undefined;

  it('gives byte-identical files, and a re-export in another order reuses the version', async () => {
    const ab = await runDatasetExport(opts(['BTC/USDT', 'ETH/USDT'], 'ab'), undefined, quiet, quiet);
    const ba = await runDatasetExport(opts(['ETH/USDT', 'BTC/USDT'], 'ba'), undefined, quiet, quiet);
    expect(ba.metadata.configHash).toBe(ab.metadata.configHash);
    expect(ba.metadata.contentHash).toBe(ab.metadata.contentHash);
    const files = (await readdir(ab.dir)).sort();
    expect(files).toContain('metadata.json');
    for (const f of files) expect(Buffer.compare(await readFile(join(ba.dir, f)), await readFile(join(ab.dir, f))), f).toBe(0);
    const again = await runDatasetExport(opts(['ETH/USDT', 'BTC/USDT'], 'ab'), undefined, quiet, quiet);
    expect(again).toMatchObject({ reused: true, dir: ab.dir, version: 1 });
  }, 60_000);

  it('fits the feature means and stds on the train rows in their canonical order, whatever order a source reads its symbols in', async () => {
    const H = 3_600_000;
    const window = { from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 2, 1) };
    const [btc, eth] = await loadSymbolBars(testDataDir(), ['BTC/USDT', 'ETH/USDT'], '1h', window);
    const source = (order: 'ab' | 'ba') =>
      barSampleSource({ load: async () => (order === 'ab' ? [btc!, eth!] : [eth!, btc!]), description: { symbols: ['BTC/USDT', 'ETH/USDT'] }, timeframe: '1h', barMs: H, horizon: 4, kAtr: 0.75 });
    const split = { trainFraction: 0.7, validationFraction: 0.15, embargoMs: 24 * H };
    const ab = await exportDataset(source('ab'), { outDir: join(root, 'api-ab'), name: 'direction', split });
    const ba = await exportDataset(source('ba'), { outDir: join(root, 'api-ba'), name: 'direction', split });
    expect(ba.metadata.contentHash).toBe(ab.metadata.contentHash);
    expect(ba.metadata.featureSpec.mean).toEqual(ab.metadata.featureSpec.mean);
    expect(ba.metadata.featureSpec.std).toEqual(ab.metadata.featureSpec.std);
  }, 60_000);
});
