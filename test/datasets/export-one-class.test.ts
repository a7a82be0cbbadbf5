import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDatasetExport } from '../../cli/commands/dataset.js';
import { testDataDir } from '../support/data-dir.js';
import { HOUR } from './hand-table.js';

/**
 * `sextant dataset export --k-atr 1e9` labelled every row flat and wrote the dataset without a
 * word; `sextant train` refuses such labels. The export is still written (it is data), with a
 * warning naming the class counts and the flags that make them, on stderr and in quality.json and
 * quality.md (it went to stderr only, and was lost with the terminal).
 */
describe('dataset export: labels of one class', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sx-export-one-class-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const exportWith = async (kAtr: number, name: string): Promise<string[]> => {
    const warnings: string[] = [];
    const from = Date.UTC(2024, 0, 1);
    await runDatasetExport(
      {
        source: 'bars', data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from, to: from + 1000 * HOUR,
        horizon: 4, kAtr, out: root, name, trainFraction: 0.7, validationFraction: 0.15, embargoBars: 24, outlierZ: 6,
      },
      undefined,
      () => undefined,
      (s) => warnings.push(s),
    );
    return warnings;
  };

  it('warns when every training row is one class, and writes the export', async () => {
    const warnings = await exportWith(1e9, 'flat');
    expect(warnings.filter((w) => w.includes('every training row'))).toEqual([
      expect.stringMatching(/^warning: every training row is labelled flat \(down 0, flat \d+, up 0\): a classifier fitted on this split learns one answer \(bars: widen --horizon or narrow --k-atr\)\n$/),
    ]);
    expect(await readdir(join(root, 'flat'))).toEqual(['v1']);
    // Kept with the dataset, not only said on stderr.
    const quality = JSON.parse(await readFile(join(root, 'flat', 'v1', 'quality.json'), 'utf8')) as { warnings: string[] };
    expect(quality.warnings.filter((w) => w.startsWith('every training row is labelled flat'))).toHaveLength(1);
    expect(await readFile(join(root, 'flat', 'v1', 'quality.md'), 'utf8')).toMatch(/## Warnings\n\n(- .*\n)*- every training row is labelled flat \(down 0, flat \d+, up 0\)/);
  }, 60_000);

  it('says nothing of labels of several classes', async () => {
    const warnings = await exportWith(0.75, 'mixed');
    expect(warnings.filter((w) => w.includes('every training row'))).toEqual([]);
    const quality = JSON.parse(await readFile(join(root, 'mixed', 'v1', 'quality.json'), 'utf8')) as { warnings: string[] };
    expect(quality.warnings.filter((w) => w.includes('every training row'))).toEqual([]);
  }, 60_000);
});
