import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDatasetExport } from '../../cli/commands/dataset.js';
import { EmptySplitError } from '../../models/datasets/empty-split.js';
import { exportDataset } from '../../models/datasets/export-dataset.js';
import { testDataDir } from '../support/data-dir.js';
import { handSource, HOUR } from './hand-table.js';

/**
 * `sextant dataset export --embargo-bars 100000` embargoed every row after the first boundary,
 * wrote validation and test as empty Parquet and Arrow files and said `wrote …/v2` with
 * "validation 0, test 0". An export with an empty split is refused and writes nothing.
 */
describe('dataset export: a split left empty', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sx-export-empty-split-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('refuses an embargo that leaves validation and test empty, naming the counts, and writes no version', async () => {
    const out = join(root, 'hand');
    const run = exportDataset(handSource(), { outDir: out, name: 'hand', split: { trainFraction: 0.6, validationFraction: 0.2, embargoMs: 100 * HOUR } });
    await expect(run).rejects.toThrow(EmptySplitError);
    await expect(exportDataset(handSource(), { outDir: out, name: 'hand', split: { trainFraction: 0.6, validationFraction: 0.2, embargoMs: 100 * HOUR } })).rejects.toThrow(
      /^the validation and test splits are empty \(rows: train \d+, validation 0, test 0; embargoed \d+ within 360000000 ms after a boundary, purged \d+\); give a shorter embargo or more data$/,
    );
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('sextant dataset export names --embargo-bars', async () => {
    const out = join(root, 'cli');
    const from = Date.UTC(2024, 0, 1);
    const run = runDatasetExport(
      {
        source: 'bars', data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from, to: from + 1000 * HOUR,
        horizon: 4, kAtr: 0.75, out, name: 'btc', trainFraction: 0.7, validationFraction: 0.15, embargoBars: 100_000, outlierZ: 6,
      },
      undefined,
      () => undefined,
      () => undefined,
    );
    await expect(run).rejects.toThrow(
      /^the validation and test splits would be empty \(rows: train \d+, validation 0, test 0; embargoed \d+, purged \d+\); nothing written: --embargo-bars 100000 left out \d+ rows after the split boundaries; give a smaller --embargo-bars, or more rows \(a wider --from\/--to window\)$/,
    );
    expect(await readdir(join(out, 'btc')).catch(() => [])).toEqual([]);
  }, 60_000);
});
