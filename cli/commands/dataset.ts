import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { requireDataDir } from '../../gateways/data-dir.js';
import { parseTimeframe } from '../../gateways/historical/bars-csv.js';
import { barSampleSource } from '../../models/datasets/bar-sample-source.js';
import { isEmptySplit } from '../../models/datasets/empty-split.js';
import type { ExportResult } from '../../models/datasets/export-dataset.js';
import type { Progress, SampleSource } from '../../models/datasets/sample-source.js';
import { trainingSampleSource } from '../../models/datasets/training-sample-source.js';
import type { SampleKind, TrainingSampleStore } from '../../state/training-sample-store.js';
import type { SymbolBars } from '../../models/training/bar-dataset.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import { FEATURE_WARMUP_BARS } from '../../models/features/feature-engine.js';
import { loadSymbolBars, requireBars } from './train.js';
import { emptyWindow, fraction, isoTime, nonNegative, nonNegativeInt, parseSymbols, parseTime, positive, positiveInt, timeframeArg } from '../option-parsers.js';
import { spellingHint } from './symbol-spelling.js';

export type DatasetExportCliOptions = Readonly<{
  source: string;
  data?: string;
  /** `--source samples`: the strategy whose training samples to export, and optionally one venue. */
  strategy?: string;
  venue?: string;
  /** `--source samples`: labeled predictions (default) or labeled approved orders. */
  sampleKind?: SampleKind;
  /** `--source samples` without `--symbols` exports every symbol of the strategy. */
  symbols?: readonly string[];
  timeframe: string;
  from?: number;
  to?: number;
  horizon: number;
  kAtr: number;
  out: string;
  name: string;
  trainFraction: number;
  validationFraction: number;
  /** Embargo after each split boundary, in bars. */
  embargoBars: number;
  outlierZ: number;
  createdAt?: string;
  /** Show a progress bar on stderr (the CLI does; tests do not). */
  progress?: boolean;
}>;


/** Opens the training-sample store (the lead's wiring: PostgreSQL from config). */
export type OpenSampleStore = () => Promise<TrainingSampleStore>;

const sampleKindArg = (v: string): SampleKind => {
  if (v === 'prediction' || v === 'order') return v;
  throw new InvalidArgumentError(`expected prediction or order, got ${JSON.stringify(v)}`);
};

const DEFAULT_BAR_SYMBOLS = ['BTC/USDT', 'ETH/USDT'];
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The sample source the options name; `store` is needed for `--source samples`; `loaded` sees the bars a bars source read. */
export function sourceOf(given: DatasetExportCliOptions, store?: TrainingSampleStore, loaded?: (bars: readonly SymbolBars[]) => void): SampleSource {
  // The symbols are a set: in the order given they went into metadata.json and the config hash, so
  // `--symbols ETH/USDT,BTC/USDT` re-exported rows equal to an existing version's as a new version.
  const opts = given.symbols === undefined ? given : { ...given, symbols: [...given.symbols].sort(byCodeUnit) };
  if (opts.source === 'samples') {
    if (store === undefined) throw new InvalidArgumentError('--source samples needs the training-sample store');
    if (opts.strategy === undefined) throw new InvalidArgumentError('--source samples needs --strategy <name>');
    return trainingSampleSource({
      store,
      strategy: opts.strategy,
      ...(opts.venue !== undefined ? { venue: opts.venue } : {}),
      ...(opts.sampleKind !== undefined ? { kind: opts.sampleKind } : {}),
      ...(opts.symbols !== undefined ? { symbols: opts.symbols } : {}),
      ...(opts.from !== undefined ? { from: opts.from } : {}),
      ...(opts.to !== undefined ? { to: opts.to } : {}),
      hint: spellingHint,
    });
  }
  if (opts.source !== 'bars') throw new InvalidArgumentError(`unknown --source ${JSON.stringify(opts.source)} (bars, samples)`);
  const symbols = opts.symbols ?? DEFAULT_BAR_SYMBOLS;
  const timeframe = parseTimeframe(opts.timeframe);
  const dataDir = requireDataDir(opts.data);
  const window = { ...(opts.from !== undefined ? { from: opts.from } : {}), ...(opts.to !== undefined ? { to: opts.to } : {}) };
  return barSampleSource({
    // The folder is where the data lives, not what it is: it stays out of the description (and the config hash).
    description: { symbols: [...symbols], ...(opts.from !== undefined ? { from: new Date(opts.from).toISOString() } : {}), ...(opts.to !== undefined ? { to: new Date(opts.to).toISOString() } : {}) },
    timeframe,
    barMs: TIMEFRAME_MS[timeframe],
    horizon: opts.horizon,
    kAtr: opts.kAtr,
    load: async (progress?: Progress) => {
      const out: SymbolBars[] = [];
      for (const [i, symbol] of symbols.entries()) {
        out.push(...(await loadSymbolBars(dataDir, [symbol], timeframe, window)));
        progress?.(i + 1, symbols.length, 'symbols');
      }
      const bars = requireBars(out, { dataDir, timeframe, ...window });
      loaded?.(bars);
      return bars;
    },
  });
}

/** Whether `path` names something other than a folder (undefined when nothing is there). */
const notAFolder = (path: string): Promise<boolean> => stat(path).then((s) => !s.isDirectory(), () => false);

/**
 * What is wrong with where the export would go or how it would split, or undefined; checked
 * before any rows are read. An empty `--out` wrote into the working folder, and an `--out` (or
 * `<out>/<name>`) that is a file failed only after the whole export, with a bare ENOTDIR/EEXIST.
 */
async function exportTargetProblem(opts: DatasetExportCliOptions): Promise<string | undefined> {
  if (opts.out.trim() === '') return '--out is empty; give the root folder of datasets';
  if (await notAFolder(opts.out)) return `--out ${opts.out} is a file, not a folder; give the root folder of datasets`;
  if (await notAFolder(join(opts.out, opts.name))) return `${join(opts.out, opts.name)} is a file, not a folder; give another --out or --name`;
  if (!(opts.trainFraction + opts.validationFraction < 1)) {
    return `--train-fraction ${opts.trainFraction} and --validation-fraction ${opts.validationFraction} leave no test split; their sum must be below 1`;
  }
  return undefined;
}

/**
 * The split's "too few distinct times to split: 0" for a bars export whose window has bars but
 * too few past the feature warm-up ({@link FEATURE_WARMUP_BARS}) and the label horizon, restated
 * with the bars found, the warm-up needed and the flags that widen the window; an
 * InvalidArgumentError. Any other error passes unchanged.
 */
function tooFewBars(e: unknown, opts: DatasetExportCliOptions, loaded: readonly SymbolBars[]): unknown {
  if (!(e instanceof RangeError && /^too few distinct times to split/.test(e.message))) return e;
  const iso = (ms: number | undefined, none: string): string => (ms === undefined ? none : new Date(ms).toISOString());
  const found = loaded.map((b) => `${b.bars.length} of ${b.symbol}`).join(', ');
  return new InvalidArgumentError(
    `too few ${opts.timeframe} bars to export from ${iso(opts.from, 'the beginning')} → ${iso(opts.to, 'the end')}: found ${found}; ` +
      `each symbol needs more than ${FEATURE_WARMUP_BARS} (the feature warm-up) + ${opts.horizon} (--horizon) to label rows (${e.message}); ` +
      `widen the window: an earlier --from or a later --to`,
  );
}

/**
 * The export's refusal of an empty split, restated in the command's flags: `--embargo-bars 100000`
 * left validation and test empty and wrote them as empty files. An InvalidArgumentError; any
 * other error passes unchanged.
 */
function emptySplitInFlags(e: unknown, opts: DatasetExportCliOptions): unknown {
  if (!isEmptySplit(e)) return e;
  const { rows, embargoed, purged } = e.counts;
  const names = e.empty.join(' and ');
  const byEmbargo = embargoed > 0 ? `--embargo-bars ${opts.embargoBars} left out ${embargoed} rows after the split boundaries; give a smaller --embargo-bars, or ` : '';
  return new InvalidArgumentError(
    `the ${names} split${e.empty.length > 1 ? 's' : ''} would be empty (rows: train ${rows.train}, validation ${rows.validation}, test ${rows.test}; embargoed ${embargoed}, purged ${purged}); nothing written: ` +
      `${byEmbargo}${byEmbargo === '' ? 'give ' : ''}more rows (a wider --from/--to window)`,
  );
}

/**
 * One line per symbol whose bars start or end inside the `--from`/`--to` window (a bar or more
 * in), naming its first or last bar there. A `--to` past the data's end exported a handful of
 * test rows, and metadata.json recorded the window asked for, without a word.
 */
export function windowEdgeWarnings(loaded: readonly SymbolBars[], o: Readonly<{ from?: number | undefined; to?: number | undefined; barMs: number; tf: string }>): string[] {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return loaded.flatMap(({ symbol, bars }) => {
    const first = bars[0]?.ts;
    const last = bars.at(-1)?.ts;
    if (first === undefined || last === undefined) return [];
    const clauses = [
      ...(o.from !== undefined && first - o.from >= o.barMs ? [`first bar ${iso(first)}, ${Math.round((first - o.from) / o.barMs)} bars after --from ${iso(o.from)}`] : []),
      ...(o.to !== undefined && o.to - last > o.barMs ? [`last bar ${iso(last)}, ${Math.round((o.to - last) / o.barMs) - 1} bars before --to ${iso(o.to)}`] : []),
    ];
    return clauses.length === 0 ? [] : [`${symbol}: its ${o.tf} bars do not cover the window: ${clauses.join('; ')}`];
  });
}

/** `sextant dataset export`: runs the export and prints where it went and its row counts (warnings on `warn`, stderr by default). */
export async function runDatasetExport(
  opts: DatasetExportCliOptions,
  openStore?: OpenSampleStore,
  write: (s: string) => void = (s) => process.stdout.write(s),
  warn: (s: string) => void = (s) => process.stderr.write(s),
): Promise<ExportResult> {
  const empty = emptyWindow(opts.from, opts.to);
  if (empty !== undefined) throw new InvalidArgumentError(empty);
  const target = await exportTargetProblem(opts);
  if (target !== undefined) throw new InvalidArgumentError(target);
  if (opts.source === 'samples' && openStore === undefined) throw new InvalidArgumentError('--source samples needs the training-sample store');
  const store = opts.source === 'samples' && openStore !== undefined ? await openStore() : undefined;
  let loaded: readonly SymbolBars[] | undefined;
  const source = sourceOf(opts, store, (b) => (loaded = b));
  const bar = opts.progress === true ? new SingleBar({ format: ' dataset |{bar}| {value}/{total} {what}', hideCursor: true, stream: process.stderr }, Presets.shades_classic) : null;
  let stage = '';
  const progress: Progress = (done, total, what) => {
    if (bar === null) return;
    if (what !== stage) {
      if (stage !== '') bar.stop();
      stage = what;
      bar.start(total, done, { what });
    } else bar.update(done, { what });
  };
  try {
    const { exportDataset } = await import('../../models/datasets/export-dataset.js'); // Parquet and Arrow: loaded when used
    const r = await exportDataset(source, {
      outDir: opts.out,
      name: opts.name,
      split: { trainFraction: opts.trainFraction, validationFraction: opts.validationFraction, embargoMs: opts.embargoBars * TIMEFRAME_MS[parseTimeframe(opts.timeframe)] },
      outlierZ: opts.outlierZ,
      ...(opts.createdAt !== undefined ? { createdAt: opts.createdAt } : {}),
      progress,
    });
    bar?.stop();
    const barMs = TIMEFRAME_MS[parseTimeframe(opts.timeframe)];
    for (const w of windowEdgeWarnings(loaded ?? [], { from: opts.from, to: opts.to, barMs, tf: opts.timeframe })) warn(`warning: ${w}\n`);
    for (const w of r.quality.warnings) warn(`warning: ${w}\n`); // a split too small, labels of one class
    const m = r.metadata;
    // The creation time is not part of what makes two exports equal: a re-export keeps the
    // existing version and its metadata.json, and --created-at was dropped without a word.
    if (r.reused && opts.createdAt !== undefined && m.createdAt !== opts.createdAt) {
      warn(`warning: --created-at ${opts.createdAt} not recorded: ${r.dir} holds the same rows and config and keeps its metadata.json (createdAt ${m.createdAt ?? 'none'})\n`);
    }
    write(`${r.reused ? 'unchanged, same rows and config as' : 'wrote'} ${r.dir}\n`);
    write(`rows: train ${m.splits.train.rows}, validation ${m.splits.validation.rows}, test ${m.splits.test.rows} (purged ${m.split.dropped.purged}, embargoed ${m.split.dropped.embargoed}); content ${m.contentHash.slice(0, 16)}\n`);
    write(`${JSON.stringify({ dir: r.dir, version: r.version, reused: r.reused, rows: m.rows, contentHash: m.contentHash, configHash: m.configHash })}\n`);
    return r;
  } catch (e) {
    const flagged = emptySplitInFlags(e, opts);
    throw loaded === undefined || flagged !== e ? flagged : tooFewBars(e, opts, loaded);
  } finally {
    bar?.stop();
    await store?.close();
  }
}

/** Flags that only one `--source` reads, by option key. */
const SOURCE_FLAGS = {
  bars: { data: '--data', horizon: '--horizon', kAtr: '--k-atr' },
  samples: { strategy: '--strategy', venue: '--venue', sampleKind: '--sample-kind' },
} as const;

/**
 * What is wrong when a flag meant for the other `--source` was given (`given(key)`: the user set
 * option `key`), or undefined. Such a flag was silently dropped: `--strategy dirmlp` without
 * `--source samples` exported CSV bars, and `--horizon 8` with `--source samples` kept the labels
 * the labeling actor gave.
 */
export function otherSourceFlags(source: string, given: (key: string) => boolean): string | undefined {
  if (source !== 'bars' && source !== 'samples') return undefined;
  const other = source === 'bars' ? 'samples' : 'bars';
  const flags = Object.entries(SOURCE_FLAGS[other]).filter(([key]) => given(key)).map(([, flag]) => flag);
  if (flags.length === 0) return undefined;
  return `${flags.join(', ')} ${flags.length === 1 ? 'applies' : 'apply'} to --source ${other} only, and this export reads --source ${source}; drop ${flags.length === 1 ? 'it' : 'them'} or give --source ${other}`;
}

/** `sextant dataset …` */
export function datasetCommand(openStore?: OpenSampleStore): Command {
  const cmd = new Command('dataset').description('versioned training datasets (Parquet + Arrow) with purged time splits and a data-quality report');
  cmd
    .command('export')
    .description('write <out>/<name>/v<N>/: train/validation/test as Parquet and Arrow IPC, metadata.json, quality.json, quality.md')
    .option('--source <kind>', '"bars": CSV bars through the feature engine and labeller; "samples": the labeling actor\'s training samples (PostgreSQL)', 'bars')
    .option('--data <dir>', 'bars: market-data folder (default: ../shared/data or SEXTANT_DATA_DIR)')
    .option('--symbols <list>', 'comma-separated symbols (bars default: BTC/USDT,ETH/USDT; samples default: all)', parseSymbols)
    .option('--strategy <name>', 'samples: the strategy whose samples to export')
    .option('--venue <venue>', 'samples: only this venue')
    .option('--sample-kind <kind>', 'samples: "prediction" (labeled predictions) or "order" (labeled approved orders)', sampleKindArg, 'prediction')
    .option('--timeframe <tf>', 'bar timeframe (samples: the bar spacing --embargo-bars counts in)', timeframeArg, '1h')
    .option('--from <date>', 'first bar (inclusive)', parseTime)
    .option('--to <date>', 'last bar (exclusive)', parseTime)
    .option('--horizon <bars>', 'bars: label horizon in bars', positiveInt, 4)
    .option('--k-atr <k>', 'bars: half-width of the flat band in ATR(14) units', nonNegative, 0.75)
    .requiredOption('--out <dir>', 'root folder of datasets')
    .option('--name <name>', 'dataset name', 'direction')
    .option('--train-fraction <f>', 'share of the time range for training', fraction, 0.7)
    .option('--validation-fraction <f>', 'share for validation (the rest is test)', fraction, 0.15)
    .option('--embargo-bars <n>', 'bars after each split boundary left out of the later split', nonNegativeInt, 24)
    .option('--outlier-z <z>', 'quality report: outlier when |x − mean| > z·std', positive, 6)
    .option('--created-at <time>', 'a creation time to record in metadata.json, as ISO 8601 UTC (none by default, so equal exports are byte-identical)', isoTime)
    .action(async (opts: DatasetExportCliOptions, command: Command) => {
      const contradiction = otherSourceFlags(opts.source, (key) => command.getOptionValueSource(key) === 'cli');
      if (contradiction !== undefined) throw new InvalidArgumentError(contradiction);
      await runDatasetExport({ ...opts, progress: true }, openStore);
    });
  return cmd;
}
