import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { splitDataset } from '../../models/datasets/dataset-split.js';
import { exportDataset, readDatasetSplit } from '../../models/datasets/export-dataset.js';
import { qualityMarkdown } from '../../models/datasets/quality-markdown.js';
import { qualityReport } from '../../models/datasets/quality-report.js';
import { allRows, handSource, handTable, HOUR } from './hand-table.js';

const classes = ['down', 'flat', 'up'];
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('qualityReport', () => {
  const q = qualityReport([{ split: 'train', rows: allRows(handTable()) }], classes);

  it('counts missing values and |z| > 6 outliers per column', () => {
    const [a, b, fr] = q.columns;
    expect(a).toMatchObject({ column: 'a', missing: 0, outliers: 1, mean: 2, std: 14, min: 0, max: 100 });
    expect(b).toMatchObject({ column: 'b', missing: 4, missingShare: 0.08, outliers: 0, min: 0, max: 49 });
    expect(fr).toMatchObject({ column: 'forward_return', missing: 0, outliers: 0 });
    expect(q.outlierRule).toContain('6·std');
  });

  it('label balance overall, per symbol and per asset class', () => {
    expect(q.labels.overall.counts).toEqual([9, 33, 8]);
    expect(q.labels.overall.shares).toEqual([0.18, 0.66, 0.16]);
    expect(q.labels.bySymbol['BTC/USDT']!.counts).toEqual([9, 8, 8]);
    expect(q.labels.bySymbol['PEPE/USDT']!.counts).toEqual([0, 25, 0]);
    expect(q.labels.byAssetClass['large-cap']!.counts).toEqual([9, 8, 8]);
    expect(q.labels.byAssetClass['memecoin']!.counts).toEqual([0, 25, 0]);
    expect(q.labels.bySplit['train']!.rows).toBe(50);
  });

  it('a stricter z flags more', () => {
    const q3 = qualityReport([{ split: 'train', rows: allRows(handTable()) }], classes, 1);
    expect(q3.columns[0]!.outliers).toBe(1);
    expect(q3.columns[2]!.outliers).toBe(0 + 9 + 8); // |±0.01 − mean| > std for the non-flat rows
  });

  it('renders a readable page', () => {
    const md = qualityMarkdown(q, 'hand v1');
    expect(md).toContain('| a | 0 (0.00%) | 1 (2.00%) | 2 | 14 | 0 | 100 |');
    expect(md).toContain('| b | 4 (8.00%) |');
    expect(md).toContain('| memecoin | 25 | 0 (0.00%) | 25 (100.00%) | 0 (0.00%) |');
  });
});

describe('splitDataset', () => {
  it('purges labels still open at a boundary and embargoes the rows just after it', () => {
    const t = handTable();
    const s = splitDataset(t, { trainFraction: 0.6, validationFraction: 0.2, embargoMs: HOUR });
    const hours = (idx: Int32Array): number[] => [...new Set(Array.from(idx, (i) => ((t.start[i] as number) - (t.start[0] as number)) / HOUR))];
    expect(s.boundaries.map((b) => (b - (t.start[0] as number)) / HOUR)).toEqual([15, 20]);
    expect(hours(s.indices.train)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(hours(s.indices.validation)).toEqual([16, 17, 18]);
    expect(hours(s.indices.test)).toEqual([21, 22, 23, 24]);
    expect(s.dropped).toEqual({ purged: 4, embargoed: 4 });
    expect(s.indices.train.length + s.indices.validation.length + s.indices.test.length).toBe(42);
  });
});

describe('exportDataset on a hand-built table', () => {
  it('writes quality.json of the exported rows and keeps NaN and ∞ exactly', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sx-ds-hand-'));
    dirs.push(out);
    const r = await exportDataset(handSource(), { outDir: out, name: 'hand', split: { trainFraction: 0.6, validationFraction: 0.2 } });
    expect(r.version).toBe(1);
    const train = await readDatasetSplit(r.dir, 'train', 'parquet');
    // Train keeps hours 0…13 (28 rows): b is NaN at rows 3-5, +∞ at row 7, a = 100 at row 10.
    expect(train.label.length).toBe(28);
    expect(Array.from(train.x.filter((_, k) => k % 2 === 1).slice(0, 8))).toEqual([0, 1, 2, NaN, NaN, NaN, 6, Infinity]);
    const quality = JSON.parse(await readFile(join(r.dir, 'quality.json'), 'utf8')) as { rows: number; columns: { missing: number }[] };
    expect(quality.rows).toBe(r.metadata.rows);
    expect(quality.columns[1]!.missing).toBe(4);
    // Normalisation stats come from the train split's finite values only.
    const bTrain = [0, 1, 2, 6, ...Array.from({ length: 20 }, (_, k) => 8 + k)];
    const mean = bTrain.reduce((x, y) => x + y, 0) / bTrain.length;
    expect(r.metadata.featureSpec.mean[1]).toBeCloseTo(mean, 12);
    expect(r.metadata.featureSpec.fittedOn).toBe('train');
  });
});
