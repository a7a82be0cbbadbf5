import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDatasetExport } from '../../cli/commands/dataset.js';
import type { DatasetExportCliOptions } from '../../cli/commands/dataset.js';

/**
 * Bad `--out`, `--name` and split flags are refused before any rows are read, with the flag named,
 * and nothing on disk changes. Before: an empty `--out` wrote `direction/v1` into the working
 * folder; an `--out` that is a file failed after the export with "ENOTDIR: not a directory, mkdir …"
 * (`<out>/<name>` a file: "EEXIST: file already exists"); fractions summing to 1 or more were
 * refused only after every symbol's bars had been loaded and featurised.
 */
describe('dataset export: where it writes and how it splits', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sx-export-target-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // A data folder that does not exist: any check that reads bars would fail with a different message.
  const opts = (extra: Partial<DatasetExportCliOptions>): DatasetExportCliOptions => ({
    source: 'bars',
    data: join(root, 'no-data-here'),
    symbols: ['BTC/USDT'],
    timeframe: '1h',
    horizon: 4,
    kAtr: 0.75,
    out: join(root, 'out'),
    name: 'direction',
    trainFraction: 0.7,
    validationFraction: 0.15,
    embargoBars: 24,
    outlierZ: 6,
    ...extra,
  });
  const run = (extra: Partial<DatasetExportCliOptions>): Promise<unknown> => runDatasetExport(opts(extra), undefined, () => undefined);

  it('refuses an --out that is a file, and leaves the file as it was', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'keep me');
    await expect(run({ out: file })).rejects.toThrow(`--out ${file} is a file, not a folder; give the root folder of datasets`);
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });

  it('refuses an <out>/<name> that is a file, and leaves it as it was', async () => {
    const out = join(root, 'named');
    await mkdir(out);
    await writeFile(join(out, 'direction'), 'keep me too');
    await expect(run({ out })).rejects.toThrow(`${join(out, 'direction')} is a file, not a folder; give another --out or --name`);
    expect(await readFile(join(out, 'direction'), 'utf8')).toBe('keep me too');
    expect(await readdir(out)).toEqual(['direction']);
  });

  it('refuses an empty --out (it wrote into the working folder)', async () => {
    await expect(run({ out: '' })).rejects.toThrow('--out is empty; give the root folder of datasets');
    await expect(run({ out: '  ' })).rejects.toThrow('--out is empty');
  });

  it('refuses fractions that leave no test split before reading any rows, and creates no folder', async () => {
    await expect(run({ trainFraction: 0.9, validationFraction: 0.2 })).rejects.toThrow('--train-fraction 0.9 and --validation-fraction 0.2 leave no test split; their sum must be below 1');
    await expect(run({ trainFraction: 0.5, validationFraction: 0.5 })).rejects.toThrow('leave no test split');
    expect(await readdir(root)).not.toContain('out');
  });

  it('with good flags goes on to read the bars (here: a data folder that is not there)', async () => {
    await expect(run({})).rejects.toThrow(/no-data-here/);
  });
});
