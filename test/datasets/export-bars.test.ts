import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSymbolBars } from '../../cli/commands/train.js';
import { runDatasetExport } from '../../cli/commands/dataset.js';
import type { DatasetExportCliOptions } from '../../cli/commands/dataset.js';
import type { DatasetRows } from '../../models/datasets/arrow-codec.js';
import { contentHash } from '../../models/datasets/content-hash.js';
import { DatasetMetadataSchema } from '../../models/datasets/dataset-metadata.js';
import { SPLIT_NAMES } from '../../models/datasets/dataset-split.js';
import type { SplitName } from '../../models/datasets/dataset-split.js';
import type { ExportResult } from '../../models/datasets/export-dataset.js';
import { readDatasetSplit } from '../../models/datasets/export-dataset.js';
import { qualityReport } from '../../models/datasets/quality-report.js';
import { buildBarDataset } from '../../models/training/bar-dataset.js';
import type { BarDataset } from '../../models/training/bar-dataset.js';
import { testDataDir } from '../support/data-dir.js';

const HOUR = 3_600_000;
const FROM = Date.UTC(2022, 0, 1);
const TO = Date.UTC(2022, 3, 1);
const opts = (out: string, extra: Partial<DatasetExportCliOptions> = {}): DatasetExportCliOptions => ({
  source: 'bars',
  data: testDataDir(),
  symbols: ['BTC/USDT'],
  timeframe: '1h',
  from: FROM,
  to: TO,
  horizon: 4,
  kAtr: 0.75,
  out,
  name: 'btc-1h',
  trainFraction: 0.7,
  validationFraction: 0.15,
  embargoBars: 24,
  outlierZ: 6,
  ...extra,
});
const quiet = (): void => undefined;
const sha = async (f: string): Promise<string> => createHash('sha256').update(await readFile(f)).digest('hex');

const dirs: string[] = [];
let ds: BarDataset;
let first: ExportResult;
const read: Record<string, DatasetRows> = {};

beforeAll(async () => {
  const out = await mkdtemp(join(tmpdir(), 'sx-ds-bars-'));
  dirs.push(out);
  first = await runDatasetExport(opts(out), undefined, quiet);
  for (const s of SPLIT_NAMES) for (const f of ['parquet', 'arrow'] as const) read[`${s}.${f}`] = await readDatasetSplit(first.dir, s, f);
  // The rows, independently: the same bars through the training code, split by hand.
  ds = buildBarDataset(await loadSymbolBars(testDataDir(), ['BTC/USDT'], '1h', { from: FROM, to: TO }), { horizon: 4, kAtr: 0.75, barMs: HOUR });
}, 120_000);
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Expected row indices of each split: boundaries at 70% / 85% of the bar times, label end = ts + 5 h ≤ boundary, 24 h embargo. */
function expected(): Record<SplitName, number[]> {
  const times = [...new Set(ds.ts)].sort((a, b) => a - b);
  const b1 = times[Math.floor(times.length * 0.7)]!;
  const b2 = times[Math.floor(times.length * 0.85)]!;
  const out: Record<SplitName, number[]> = { train: [], validation: [], test: [] };
  for (let i = 0; i < ds.rows; i++) {
    const t = ds.ts[i]!;
    if (t < b1 && t + 5 * HOUR <= b1) out.train.push(i);
    else if (t >= b1 + 24 * HOUR && t < b2 && t + 5 * HOUR <= b2) out.validation.push(i);
    else if (t >= b2 + 24 * HOUR) out.test.push(i);
  }
  return out;
}

describe('dataset export of real bars (BTC/USDT 1h, 2022 Q1)', () => {
  it('writes v1 with every file', async () => {
    expect(first.version).toBe(1);
    expect(first.reused).toBe(false);
    expect((await readdir(first.dir)).sort()).toEqual(['metadata.json', 'quality.json', 'quality.md', 'test.arrow', 'test.parquet', 'train.arrow', 'train.parquet', 'validation.arrow', 'validation.parquet']);
  });

  it('Parquet and Arrow read back bit-identical to the rows exported', () => {
    const exp = expected();
    expect(exp.train.length).toBeGreaterThan(1000);
    for (const s of SPLIT_NAMES) {
      for (const f of ['parquet', 'arrow']) {
        const r = read[`${s}.${f}`]!;
        const idx = exp[s];
        expect(r.features).toEqual(ds.features);
        expect(r.label.length).toBe(idx.length);
        let mismatches = 0;
        idx.forEach((i, k) => {
          if (r.start[k] !== ds.ts[i] || r.end[k] !== ds.ts[i]! + 5 * HOUR || r.symbol[k] !== 'BTC/USDT' || r.label[k] !== ds.y[i] || !Object.is(r.forwardReturn[k], ds.r[i])) mismatches++;
          for (let j = 0; j < ds.cols; j++) if (!Object.is(r.x[k * ds.cols + j], ds.x[i * ds.cols + j])) mismatches++;
        });
        expect(mismatches, `${s}.${f}`).toBe(0);
      }
    }
  });

  it('no training or validation label reaches into a later split; embargoed rows are absent', () => {
    const m = first.metadata;
    const b1 = Date.parse(m.split.boundaries.validation);
    const b2 = Date.parse(m.split.boundaries.test);
    const tr = read['train.parquet']!;
    const va = read['validation.parquet']!;
    const te = read['test.parquet']!;
    expect(Math.max(...tr.end)).toBeLessThanOrEqual(b1);
    expect(Math.max(...va.end)).toBeLessThanOrEqual(b2);
    expect(Math.max(...tr.end)).toBeLessThanOrEqual(Math.min(...va.start));
    expect(Math.max(...va.end)).toBeLessThanOrEqual(Math.min(...te.start));
    expect(Math.min(...va.start)).toBe(b1 + 24 * HOUR);
    expect(Math.min(...te.start)).toBe(b2 + 24 * HOUR);
    for (const r of [tr, va, te]) for (const t of r.start) expect((t >= b1 && t < b1 + 24 * HOUR) || (t >= b2 && t < b2 + 24 * HOUR)).toBe(false);
    // One symbol, hourly, no gap in 2022 Q1: 4 purged bars and 24 embargoed bars per boundary.
    expect(m.split.dropped).toEqual({ purged: 8, embargoed: 48 });
  });

  it('metadata counts and content hash match the files', async () => {
    const m = DatasetMetadataSchema.parse(JSON.parse(await readFile(join(first.dir, 'metadata.json'), 'utf8')));
    const parts = SPLIT_NAMES.map((s) => ({ split: s, rows: read[`${s}.parquet`]! }));
    expect(m.rows).toBe(parts.reduce((a, p) => a + p.rows.label.length, 0));
    expect(m.rows + m.split.dropped.purged + m.split.dropped.embargoed).toBe(ds.rows);
    for (const p of parts) {
      expect(m.splits[p.split as SplitName].rows).toBe(p.rows.label.length);
      expect(m.splits[p.split as SplitName].contentHash).toBe(contentHash([p]));
    }
    expect(m.contentHash).toBe(contentHash(parts));
    expect(m.splits.train.from).toBe(new Date(read['train.parquet']!.start[0]!).toISOString());
    expect(m.featureSpec.features).toEqual(ds.features);
    expect(m.featureSpec.mean[0]).toBeCloseTo(read['train.parquet']!.x.filter((_, k) => k % ds.cols === 0).reduce((a, b) => a + b, 0) / m.splits.train.rows, 15);
    expect(m.labelSpec.params).toMatchObject({ horizonBars: 4, kAtr: 0.75 });
    expect(m.createdAt).toBeUndefined();
    const q = JSON.parse(await readFile(join(first.dir, 'quality.json'), 'utf8')) as unknown;
    expect(q).toEqual(JSON.parse(JSON.stringify(qualityReport(parts, ['down', 'flat', 'up']))));
  });

  it('is stable: a second export elsewhere writes identical files; the same folder reuses v1; another config makes v2', async () => {
    const out2 = await mkdtemp(join(tmpdir(), 'sx-ds-bars2-'));
    dirs.push(out2);
    const second = await runDatasetExport(opts(out2), undefined, quiet);
    for (const f of await readdir(first.dir)) expect(await sha(join(second.dir, f)), f).toBe(await sha(join(first.dir, f)));
    const again = await runDatasetExport(opts(join(first.dir, '..', '..')), undefined, quiet);
    expect(again).toMatchObject({ version: 1, reused: true, dir: first.dir });
    const other = await runDatasetExport(opts(join(first.dir, '..', '..'), { embargoBars: 12 }), undefined, quiet);
    expect(other.version).toBe(2);
    expect(other.metadata.contentHash).not.toBe(first.metadata.contentHash);
  }, 120_000);

  it('refuses an unknown source and a samples export without a store', async () => {
    await expect(runDatasetExport(opts('/nonexistent', { source: 'csv' }), undefined, quiet)).rejects.toThrow(/unknown --source/);
    await expect(runDatasetExport(opts('/nonexistent', { source: 'samples' }), undefined, quiet)).rejects.toThrow(/training-sample store/);
  });

  it('refuses an empty window, and names a symbol with no bars in the window (it said "too few distinct times to split: 0")', async () => {
    await expect(runDatasetExport(opts('/nonexistent', { from: TO, to: FROM }), undefined, quiet)).rejects.toThrow('the window is empty: --from 2022-04-01T00:00:00.000Z is not before --to 2022-01-01T00:00:00.000Z');
    // PEPE/USDT's 1h bars begin in 2023-05.
    await expect(runDatasetExport(opts('/nonexistent', { symbols: ['BTC/USDT', 'PEPE/USDT'] }), undefined, quiet)).rejects.toThrow(
      /^no 1h bars of PEPE\/USDT from 2022-01-01T00:00:00\.000Z → 2022-04-01T00:00:00\.000Z under /,
    );
  });
});
