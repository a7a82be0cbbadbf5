import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { featureSpecHash, FeatureSpecSchema } from '../registry/feature-spec.js';
import { fromArrowIpc, fromArrowTable, fromParquet, toArrowIpc, toArrowTable, toParquet } from './arrow-codec.js';
import type { DatasetRows } from './arrow-codec.js';
import { canonicalJson } from './canonical-json.js';
import { columnStats } from './column-stats.js';
import { contentHash } from './content-hash.js';
import { DatasetMetadataSchema } from './dataset-metadata.js';
import type { DatasetMetadata } from './dataset-metadata.js';
import { SPLIT_NAMES, splitDataset } from './dataset-split.js';
import type { DatasetSplitOptions, SplitName } from './dataset-split.js';
import { requireEverySplit, smallSplitWarnings } from './empty-split.js';
import { qualityMarkdown } from './quality-markdown.js';
import { oneClassWarning } from './one-class-warning.js';
import { OUTLIER_Z, qualityReport } from './quality-report.js';
import type { QualityReport } from './quality-report.js';
import { checkSampleTable } from './sample-source.js';
import type { Progress, SampleSource, SampleTable } from './sample-source.js';

export type ExportOptions = Readonly<{
  /** Root folder; the dataset goes to `<outDir>/<name>/v<N>/`. */
  outDir: string;
  name: string;
  split?: DatasetSplitOptions;
  /** Outlier threshold in standard deviations for the quality report; default 6. */
  outlierZ?: number;
  /** Written to metadata.json as is when given (the export reads no clock). */
  createdAt?: string;
  progress?: Progress;
}>;

export type ExportResult = Readonly<{
  dir: string;
  version: number;
  /** True when an existing version already held these rows from the same config: nothing was written. */
  reused: boolean;
  metadata: DatasetMetadata;
  quality: QualityReport;
}>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const iso = (ms: number | undefined): string | null => (ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

/** The rows of `indices`, ordered by event time then symbol name (the canonical order). */
function rowsOf(t: SampleTable, indices: Int32Array): DatasetRows {
  const cols = t.features.length;
  const order = Array.from(indices).sort((a, b) => {
    const d = (t.start[a] as number) - (t.start[b] as number);
    if (d !== 0) return d;
    const sa = t.symbols[t.symbolIndex[a] as number] as string;
    const sb = t.symbols[t.symbolIndex[b] as number] as string;
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  });
  const x = new Float64Array(order.length * cols);
  order.forEach((i, k) => x.set(t.x.subarray(i * cols, (i + 1) * cols), k * cols));
  return {
    features: t.features,
    start: Float64Array.from(order, (i) => t.start[i] as number),
    end: Float64Array.from(order, (i) => t.end[i] as number),
    symbol: order.map((i) => t.symbols[t.symbolIndex[i] as number] as string),
    x,
    label: Int32Array.from(order, (i) => t.label[i] as number),
    forwardReturn: Float64Array.from(order, (i) => t.forwardReturn[i] as number),
  };
}

/** Existing `v<N>` folders of a dataset, ascending. */
async function versionsIn(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.flatMap((n) => (/^v[1-9]\d*$/.test(n) ? [Number(n.slice(1))] : [])).sort((a, b) => a - b);
}

/**
 * Exports a source's samples as a versioned dataset: `train`, `validation` and `test` split by
 * time with purge and embargo ({@link splitDataset}), each as Parquet and Arrow IPC, with
 * metadata.json, quality.json and quality.md.
 *
 * Versions are sequential (`v1`, `v2`, …): names a person can type and sort, while the content
 * hash in metadata.json identifies the rows. An export whose rows and config equal an existing
 * version's writes nothing and returns that version, so re-running an export is idempotent. The
 * files are written to a staging folder and renamed into place, so a reader never sees half a
 * version, and two concurrent exports cannot take the same number.
 */
export async function exportDataset(source: SampleSource, opts: ExportOptions): Promise<ExportResult> {
  if (!NAME.test(opts.name)) throw new RangeError(`dataset name must be letters, digits, '.', '_' or '-', got ${JSON.stringify(opts.name)}`);
  const progress = opts.progress ?? (() => undefined);
  const table = await source.read(progress);
  const classes = source.labelSpec.classes;
  checkSampleTable(table, classes.length);
  const splitOpts = { trainFraction: opts.split?.trainFraction ?? 0.7, validationFraction: opts.split?.validationFraction ?? 0.15, embargoMs: opts.split?.embargoMs ?? 0 };
  const split = splitDataset(table, splitOpts);
  const parts = SPLIT_NAMES.map((name) => ({ split: name, rows: rowsOf(table, split.indices[name]) }));
  requireEverySplit(split, splitOpts.embargoMs);

  const cols = table.features.length;
  // Over the train rows in their canonical order (time, then symbol name), not the source's: a sum
  // taken in another order rounds differently, and `--symbols ETH/USDT,BTC/USDT` wrote a mean and
  // std a few ulps off those of `--symbols BTC/USDT,ETH/USDT` for the same rows.
  const train = parts.find((p) => p.split === 'train')!.rows;
  const stats = table.features.map((_, j) => columnStats(train.x, cols, j));
  const spec = FeatureSpecSchema.parse({
    version: 1,
    features: table.features,
    mean: stats.map((s) => (Number.isFinite(s.mean) ? s.mean : 0)),
    std: stats.map((s) => (s.std > 1e-12 ? s.std : 1e-12)),
    transforms: table.transforms,
  });
  const configHash = sha256(canonicalJson({ format: 'sextant-dataset/1', source: source.description, labelSpec: source.labelSpec, features: table.features, transforms: table.transforms, split: splitOpts, outlierZ: opts.outlierZ ?? OUTLIER_Z }));
  const hash = contentHash(parts);
  const measured = qualityReport(parts, classes, opts.outlierZ ?? OUTLIER_Z, smallSplitWarnings(split));
  // Recorded in quality.json and quality.md, so it stays with the dataset (it went to stderr only).
  const oneClass = oneClassWarning(measured);
  const quality = oneClass === undefined ? measured : { ...measured, warnings: [...measured.warnings, oneClass] };

  const root = join(opts.outDir, opts.name);
  await mkdir(root, { recursive: true });
  for (const v of (await versionsIn(root)).reverse()) {
    const prior = await readFile(join(root, `v${v}`, 'metadata.json'), 'utf8').then(
      (s) => DatasetMetadataSchema.safeParse(JSON.parse(s)),
      () => null,
    );
    if (prior?.success === true && prior.data.contentHash === hash && prior.data.configHash === configHash) {
      return { dir: join(root, `v${v}`), version: v, reused: true, metadata: prior.data, quality };
    }
  }

  const staging = join(root, `.staging-${hash.slice(0, 12)}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  try {
    const tables = parts.map((p) => ({ ...p, table: toArrowTable(p.rows) }));
    const columns = tables[0]!.table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
    let written = 0;
    for (const t of tables) {
      await writeFile(join(staging, `${t.split}.parquet`), toParquet(t.table));
      progress(++written, tables.length * 2, 'files');
      await writeFile(join(staging, `${t.split}.arrow`), toArrowIpc(t.table));
      progress(++written, tables.length * 2, 'files');
    }
    const splitInfo = (name: SplitName, rows: DatasetRows): DatasetMetadata['splits'][SplitName] => ({
      rows: rows.label.length,
      from: iso(rows.start[0]),
      to: iso(rows.start[rows.start.length - 1]),
      labelsKnownBy: rows.end.length === 0 ? null : iso(rows.end.reduce((a, b) => Math.max(a, b), -Infinity)),
      contentHash: contentHash([{ split: name, rows }]),
      files: { parquet: `${name}.parquet`, arrow: `${name}.arrow` },
    });
    await writeFile(join(staging, 'quality.json'), `${JSON.stringify(quality, null, 2)}\n`);
    // The version number is only known at the rename; everything else is written first.
    for (let attempt = 0; ; attempt++) {
      const version = ((await versionsIn(root)).at(-1) ?? 0) + 1;
      const metadata: DatasetMetadata = DatasetMetadataSchema.parse({
        format: 'sextant-dataset',
        formatVersion: 1,
        name: opts.name,
        version,
        rows: parts.reduce((a, p) => a + p.rows.label.length, 0),
        contentHash: hash,
        configHash,
        source: source.description,
        ...(opts.createdAt !== undefined ? { createdAt: opts.createdAt } : {}),
        columns,
        featureSpec: { ...spec, features: [...spec.features], mean: [...spec.mean], std: [...spec.std], transforms: [...spec.transforms], hash: featureSpecHash(spec), fittedOn: 'train' },
        labelSpec: { ...source.labelSpec, classes: [...classes], params: { ...source.labelSpec.params } },
        split: {
          ...splitOpts,
          purge: 'a row of an earlier split is kept only if its label was known by the next split\'s first event time (label_end_ts ≤ boundary)',
          embargo: 'rows whose event time is within embargoMs after a boundary are left out of the later split',
          boundaries: { validation: iso(split.boundaries[0]) as string, test: iso(split.boundaries[1]) as string },
          dropped: split.dropped,
        },
        splits: { train: splitInfo('train', parts[0]!.rows), validation: splitInfo('validation', parts[1]!.rows), test: splitInfo('test', parts[2]!.rows) },
        qualityReport: { json: 'quality.json', markdown: 'quality.md' },
      });
      await writeFile(join(staging, 'metadata.json'), `${JSON.stringify(metadata, null, 2)}\n`);
      await writeFile(join(staging, 'quality.md'), qualityMarkdown(quality, `${opts.name} v${version}`));
      const dir = join(root, `v${version}`);
      try {
        await rename(staging, dir);
        return { dir, version, reused: false, metadata, quality };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 100) throw e;
      }
    }
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
}

/** Reads one split file of a dataset version back (`.parquet` or `.arrow`). */
export async function readDatasetSplit(dir: string, split: SplitName, format: 'parquet' | 'arrow'): Promise<DatasetRows> {
  const bytes = new Uint8Array(await readFile(join(dir, `${split}.${format}`)));
  return fromArrowTable(format === 'parquet' ? fromParquet(bytes) : fromArrowIpc(bytes));
}
