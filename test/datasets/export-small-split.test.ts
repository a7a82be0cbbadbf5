import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDatasetExport } from '../../cli/commands/dataset.js';
import { splitDataset } from '../../models/datasets/dataset-split.js';
import { smallSplitWarnings } from '../../models/datasets/empty-split.js';
import type { QualityReport } from '../../models/datasets/quality-report.js';
import { testDataDir } from '../support/data-dir.js';
import { handTable, HOUR } from './hand-table.js';

/**
 * `sextant dataset export` of a short window wrote train 125, validation 1, test 4 rows: the
 * default 24-bar embargo took almost all of validation and test, and nothing said so. A split
 * left with fewer than 20 rows is still written (none is empty: that is refused), with a warning
 * on stderr and in quality.json / quality.md naming what the embargo and the purge left out of it.
 */
describe('dataset export: a split left with too few rows', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sx-export-small-split-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const exportHours = async (hours: number, name: string) => {
    const warnings: string[] = [];
    const from = Date.UTC(2024, 0, 1);
    const r = await runDatasetExport(
      {
        source: 'bars', data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from, to: from + hours * HOUR,
        horizon: 4, kAtr: 0.75, out: root, name, trainFraction: 0.7, validationFraction: 0.15, embargoBars: 24, outlierZ: 6,
      },
      undefined,
      () => undefined,
      (s) => warnings.push(s),
    );
    const quality = JSON.parse(await readFile(join(r.dir, 'quality.json'), 'utf8')) as QualityReport;
    return { r, warnings, quality, markdown: await readFile(join(r.dir, 'quality.md'), 'utf8') };
  };

  it('warns of validation and test left with a handful of rows, saying what the embargo and the purge took, and writes the export', async () => {
    const { r, warnings, quality, markdown } = await exportHours(400, 'short');
    const m = r.metadata;
    expect(m.splits.validation.rows).toBeLessThan(20);
    expect(m.splits.test.rows).toBeLessThan(20);
    expect(m.splits.train.rows).toBeGreaterThanOrEqual(20);
    const small = warnings.filter((w) => / split has \d+ rows?, fewer than 20/.test(w));
    expect(small).toEqual([
      `warning: the validation split has ${m.splits.validation.rows} rows, fewer than 20: the embargo left out 24 rows at its start and the purge 4 at its end (labels still open at the next split), of ${m.splits.validation.rows + 28}; a score on so few rows is noise (a shorter embargo or a wider window gives it more)\n`,
      `warning: the test split has ${m.splits.test.rows} rows, fewer than 20: the embargo left out 24 rows at its start, of ${m.splits.test.rows + 24}; a score on so few rows is noise (a shorter embargo or a wider window gives it more)\n`,
    ]);
    expect(m.split.dropped).toEqual({ purged: 8, embargoed: 48 });
    expect(quality.warnings).toEqual(small.map((w) => w.slice('warning: '.length, -1)));
    expect(markdown).toContain(`## Warnings\n\n- ${quality.warnings[0]}\n- ${quality.warnings[1]}\n`);
  }, 60_000);

  it('says nothing of splits of 20 rows or more', async () => {
    const { warnings, quality, markdown } = await exportHours(1000, 'long');
    expect(warnings.filter((w) => w.includes('fewer than'))).toEqual([]);
    expect(quality.warnings).toEqual([]);
    expect(markdown).not.toContain('## Warnings');
  }, 60_000);

  it('counts what was left out by the split it fell in', () => {
    const t = handTable();
    const s = splitDataset(t, { trainFraction: 0.6, validationFraction: 0.2, embargoMs: HOUR });
    expect(s.droppedBySplit).toEqual({ train: { purged: 2, embargoed: 0 }, validation: { purged: 2, embargoed: 2 }, test: { purged: 0, embargoed: 2 } });
    // The hand table's validation has 6 rows, its test 8: below a minimum of 10, not of 6.
    expect(smallSplitWarnings(s, 10)).toEqual([
      'the validation split has 6 rows, fewer than 10: the embargo left out 2 rows at its start and the purge 2 at its end (labels still open at the next split), of 10; a score on so few rows is noise (a shorter embargo or a wider window gives it more)',
      'the test split has 8 rows, fewer than 10: the embargo left out 2 rows at its start, of 10; a score on so few rows is noise (a shorter embargo or a wider window gives it more)',
    ]);
    expect(smallSplitWarnings(s, 6)).toEqual([]);
  });
});
