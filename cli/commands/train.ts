import { Command, InvalidArgumentError } from 'commander';
import { findBarFiles, requireDataDir } from '../../gateways/data-dir.js';
import { parseTimeframe, readBars } from '../../gateways/historical/bars-csv.js';
import type { BarInput } from '../../models/features/inputs.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import type { SymbolBars } from '../../models/training/bar-dataset.js';
import { DIRECTION_NAMES } from '../../models/training/direction-labels.js';
import { GRU_WINDOW } from '../../models/training/model-params.js';
import { MODEL_NAME_RE } from '../../models/registry/new-model-version.js';
import type { TrainBaselineReport } from '../../models/training/train-baseline.js';
import type { BaselineCvReport } from '../../models/validation/cross-validate-baseline.js';
import { CV_SCHEMES, DEFAULT_CPCV_TEST_GROUPS, leastFolds } from '../../models/validation/cross-validate.js';
import type { CvScheme } from '../../models/validation/cross-validate.js';
import { formatCvReport } from '../../models/validation/cv-report-text.js';
import { cvMetrics } from '../../models/validation/cv-metrics.js';
import { THIN_FOLD_ROWS, thinFolds, thinRange } from '../../models/validation/thin-folds.js';
import type { TrainDirectionReport } from '../../models/training/train-direction-model.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import { META_LEARNER_MIN_EPOCHS } from '../../models/training/meta-learner-epochs.js';
import { NO_TRACKER } from '../../models/mlflow/retraining-tracker.js';
import type { RetrainingTracker } from '../../models/mlflow/retraining-tracker.js';
import { describeTrainingRun, logTrainingRun } from '../../models/mlflow/training-run.js';
import { hyperParams, listParams } from '../../models/mlflow/run-params.js';
import { promoteProblem, registeredName } from './train-promote.js';
import type { ServedByConfig } from './train-promote.js';
import { missingBarFilesMessage } from './missing-bar-files.js';
import { between, trainingIn } from './training-shortfall.js';
import type { TrainingScope } from './training-shortfall.js';
import { emptyWindow, intBetween, nonNegative, nonNegativeInt, parseTime, positiveInt, repeatedIn, symbolsOption, timeframeArg } from '../option-parsers.js';
import { unreadDataWarnings } from './unread-data-warnings.js';

export type TrainCliOptions = Readonly<{
  data?: string;
  symbols: readonly string[];
  timeframe: string;
  horizon: number;
  kAtr: number;
  from?: number;
  to?: number;
  /** Registry name; default `direction-<model>` ({@link registeredName}). */
  name?: string;
  seed: number;
  epochs: number;
  /** Point the `production` alias at the new version (what the engine and the demo serve). */
  promote?: boolean;
  /** Also cross-validate the baseline MLP/LR (purged k-fold, walk-forward or CPCV) and print it beside the holdout figures. */
  cv?: CvScheme;
  /** Folds (k-fold, walk-forward) or groups N (CPCV, k = 2). */
  cvFolds?: number;
  /** Embargo in bars; default 24. */
  cvEmbargo?: number;
  /** Issue 6: `gru`, `--search` or `--select-features` run the search/selection pipeline (models/training/train-direction-model.ts). */
  model?: 'mlp' | 'gru' | 'ensemble';
  search?: 'random' | 'tpe';
  trials?: number;
  selectFeatures?: boolean;
  window?: number;
}>;

/** Opens the registry to register into (the lead's wiring: PostgreSQL from config, or memory). */
export type OpenRegistry = () => Promise<ModelRegistry>;

/** Where `sextant train` logs its runs (MLflow, `retraining.mlflow`; a no-op tracker when off) and the clock it stamps them with. */
export type TrainTracking = Readonly<{ tracker: RetrainingTracker; now: () => number }>;
const NO_TRACKING: TrainTracking = { tracker: NO_TRACKER, now: () => 0 };

/** The folds (k-fold, walk-forward) or groups (CPCV) `--cv` runs: `--cv-folds`, else the scheme's default. */
const cvFoldsOf = (opts: Pick<TrainCliOptions, 'cv' | 'cvFolds'>): number => opts.cvFolds ?? (opts.cv === 'cpcv' ? 6 : 5);

/** The settings every `sextant train` run logs to MLflow: the options as they took effect, defaults included. */
const trainParams = (opts: TrainCliOptions, kind: string): Record<string, string | number> => ({
  kind,
  symbols: opts.symbols.join(','),
  timeframe: opts.timeframe,
  horizon: opts.horizon,
  k_atr: opts.kAtr,
  seed: opts.seed,
  epochs: opts.epochs,
  ...(opts.from !== undefined ? { from: new Date(opts.from).toISOString() } : {}),
  ...(opts.to !== undefined ? { to: new Date(opts.to).toISOString() } : {}),
});

/**
 * The baseline MLP's run params: {@link trainParams}, the MLP's hyperparameters as fitted
 * (`hidden`, `learning_rate`, …: the trainer's defaults, which no flag sets) and the `--cv`
 * settings, `cv_folds` (CPCV: `cv_groups`, its N; `cv_test_groups`, its k) included when left to
 * its default.
 */
const baselineParams = (opts: TrainCliOptions, fitted: Parameters<typeof hyperParams>[0]): Record<string, string | number> => ({
  ...trainParams(opts, 'baseline-mlp'),
  ...hyperParams(fitted),
  ...(opts.cv !== undefined ? { cv: opts.cv, ...(opts.cv === 'cpcv' ? { cv_groups: cvFoldsOf(opts), cv_test_groups: DEFAULT_CPCV_TEST_GROUPS } : { cv_folds: cvFoldsOf(opts) }), cv_embargo_bars: opts.cvEmbargo ?? 24 } : {}),
});

/**
 * The search/selection pipeline's run params: {@link trainParams}, the search (`none` without
 * one) and its trial count, whether features were selected and which were kept
 * (`selected_features`, split past MLflow's 6000-character values), the GRU's window, and the
 * hyperparameters of the final fit — the search's best where there was a search.
 */
const directionParams = (opts: TrainCliOptions, r: TrainDirectionReport): Record<string, string | number> => ({
  ...trainParams(opts, r.kind),
  search: r.search?.sampler ?? 'none',
  ...(r.search !== undefined ? { trials: r.search.trials } : {}),
  select_features: String(r.selection !== undefined),
  ...(r.selection !== undefined ? listParams('selected_features', r.features) : {}),
  ...(r.model.featureSpec.window !== undefined ? { window: r.model.featureSpec.window.steps } : {}),
  ...hyperParams(r.params),
});

/**
 * The bars of each symbol from the data folder, in time order. A symbol with several files
 * (eras) is read file after file; a bar not later than the previous one (an overlap) is skipped.
 */
export async function loadSymbolBars(dataDir: string, symbols: readonly string[], timeframe: string, window: Readonly<{ from?: number; to?: number }>): Promise<SymbolBars[]> {
  const files = findBarFiles(dataDir, { symbols, timeframe });
  const out: SymbolBars[] = [];
  for (const symbol of symbols) {
    const mine = files.filter((f) => f.symbol === symbol);
    if (mine.length === 0) throw new InvalidArgumentError(missingBarFilesMessage(dataDir, [symbol], timeframe, findBarFiles(dataDir, { timeframe }).map((f) => f.symbol)));
    const bars: BarInput[] = [];
    for (const f of mine) {
      for await (const b of readBars(f.path, { venue: f.venue, symbol, tf: timeframe, ...window })) {
        if (bars.length > 0 && b.ts <= (bars[bars.length - 1] as BarInput).ts) continue;
        bars.push({ ts: b.ts, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume });
      }
    }
    out.push({ symbol, bars });
  }
  return out;
}

/** `bars` as they are, or an error naming the symbols with none (an InvalidArgumentError: the window or the data folder was given wrong). */
export function requireBars(bars: readonly SymbolBars[], o: Readonly<{ dataDir: string; timeframe: string; from?: number; to?: number }>): SymbolBars[] {
  const empty = bars.filter((b) => b.bars.length === 0).map((b) => b.symbol);
  if (empty.length === 0) return [...bars];
  const iso = (ms: number | undefined, none: string): string => (ms === undefined ? none : new Date(ms).toISOString());
  throw new InvalidArgumentError(`no ${o.timeframe} bars of ${empty.join(', ')} from ${iso(o.from, 'the beginning')} → ${iso(o.to, 'the end')} under ${o.dataDir}`);
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** The three models side by side, as printed by `sextant train`. */
export function formatReport(r: TrainBaselineReport): string {
  const rows: [string, { accuracy: number; logLoss: number; recall: readonly (number | null)[] }][] = [
    ['mlp', r.test.mlp],
    ['logistic regression', r.test.logisticRegression],
    ['majority class', r.test.majority],
  ];
  const head = `${'model'.padEnd(20)} ${'accuracy'.padStart(9)} ${'log loss'.padStart(9)}   recall ${DIRECTION_NAMES.join('/')}`;
  const lines = rows.map(([n, s]) => `${n.padEnd(20)} ${pct(s.accuracy).padStart(9)} ${s.logLoss.toFixed(4).padStart(9)}   ${s.recall.map((x) => (x === null ? '-' : pct(x))).join(' / ')}`);
  return [
    `registered ${r.model.name}@${r.model.version} (parent ${r.model.parentVersion ?? 'none'}), ONNX input: standardised features, parity ${r.onnxParityMaxAbsDiff.toExponential(2)}`,
    `rows: train ${r.rows.train} (fit ${r.rows.fit}, validation ${r.rows.validation}), calibration ${r.rows.calibration}, test ${r.rows.test}; test class share ${r.classShare.test.map(pct).join(' / ')}`,
    `out-of-sample (test segment):`,
    head,
    ...lines,
    `training: mlp ${r.mlp.epochsRun} epochs (best ${r.mlp.bestEpoch}) on tfjs ${r.mlp.backend}; logistic regression ${r.logisticRegression.epochsRun} epochs (best ${r.logisticRegression.bestEpoch})`,
    `calibration: class mean returns ${r.calibration.classMeanReturns.map((x) => x.toExponential(2)).join(' / ')}, conformal 80% ±${r.calibration.conformal80.toFixed(5)}, 95% ±${r.calibration.conformal95.toFixed(5)}`,
  ].join('\n');
}

const windowOf = (opts: TrainCliOptions): Readonly<{ from?: number; to?: number }> => ({ ...(opts.from !== undefined ? { from: opts.from } : {}), ...(opts.to !== undefined ? { to: opts.to } : {}) });

/**
 * `sextant train`'s bars, refusing before any fitting what cannot train: a window whose start is
 * not before its end, a symbol given twice (its bars counted twice), a symbol with no bars in
 * the window (named, instead of the trainer's "only 0 labelled rows").
 */
async function trainingBars(opts: TrainCliOptions, dataDir: string, timeframe: string): Promise<SymbolBars[]> {
  const empty = emptyWindow(opts.from, opts.to);
  if (empty !== undefined) throw new InvalidArgumentError(empty);
  const twice = repeatedIn(opts.symbols);
  if (twice.length > 0) throw new InvalidArgumentError(`--symbols: ${twice.join(', ')} given more than once`);
  // Files of the symbols that look like bars but are not read (mark candles, a 3m file) were left out without a word.
  for (const w of unreadDataWarnings(dataDir, opts.symbols)) process.stderr.write(`${w}\n`);
  return requireBars(await loadSymbolBars(dataDir, opts.symbols, timeframe, windowOf(opts)), { dataDir, timeframe, ...windowOf(opts) });
}

/** What `sextant train` fits, named when the window holds too few labelled rows. */
const scopeOf = (opts: TrainCliOptions, name: string, dataDir: string, timeframe: string): TrainingScope => ({
  model: name,
  timeframe,
  symbols: opts.symbols,
  searched: between(opts.from, opts.to),
  dataDir,
  hint: 'give a wider --from/--to window (or leave them out for all the data)',
});

/**
 * What is wrong with the `--cv` options, or a flag given without the one it goes with
 * (`--window` without `--model gru`, `--trials` without `--search`, `--cv-folds`/`--cv-embargo`
 * without `--cv`), or undefined. Checked before any bars are read: the scheme itself refuses too
 * few folds, but only after the model has been fitted and registered, which left a new registry
 * version behind a command that failed.
 */
export function cvOptionsProblem(opts: Pick<TrainCliOptions, 'cv' | 'cvFolds' | 'cvEmbargo' | 'window' | 'trials' | 'model' | 'search'>): string | undefined {
  // Flags that only one path reads were dropped without a word by the other.
  if (opts.window !== undefined && opts.model !== 'gru') return `--window goes with --model gru (bars per GRU input window); --model ${opts.model ?? 'mlp'} does not read it`;
  if (opts.trials !== undefined && opts.search === undefined) return '--trials goes with --search <sampler>';
  if (opts.cv === undefined) {
    if (opts.cvFolds !== undefined) return '--cv-folds goes with --cv <scheme>';
    return opts.cvEmbargo !== undefined ? '--cv-embargo goes with --cv <scheme>' : undefined;
  }
  const least = leastFolds({ scheme: opts.cv });
  if (opts.cvFolds !== undefined && opts.cvFolds < least) {
    return `--cv ${opts.cv} needs --cv-folds ≥ ${least}${opts.cv === 'cpcv' ? ` (groups N; ${DEFAULT_CPCV_TEST_GROUPS} of them are tested in each split)` : ''}, got ${opts.cvFolds}`;
  }
  return undefined;
}

/**
 * The `warning: ` line for `--cv` folds (CPCV: splits) that test fewer than `THIN_FOLD_ROWS` rows
 * each (models/validation/thin-folds.ts says why that many), or undefined.
 */
export function thinFoldsWarning(opts: Pick<TrainCliOptions, 'cv' | 'cvFolds'>, testRows: readonly number[], rows: number): string | undefined {
  const t = thinFolds(testRows);
  if (t === undefined) return undefined;
  const unit = opts.cv === 'cpcv' ? 'splits' : 'folds';
  return (
    `warning: --cv ${opts.cv} --cv-folds ${cvFoldsOf(opts)}: ${t.thin} of ${t.of} ${unit} test fewer than ${THIN_FOLD_ROWS} rows (${thinRange(t)}${t.thin > 1 ? ' each' : ''}, of the ${rows} rows cross-validated): ` +
    `a fold's accuracy is then uncertain by about ±10 points or more (95 %), so their scores and the std over them say little; give fewer --cv-folds or a wider --from/--to window`
  );
}

/** Runs one training and prints the table and a final JSON line; returns the report. */
export async function runTrain(opts: TrainCliOptions, openRegistry: OpenRegistry, write: (s: string) => void = (s) => process.stdout.write(s), tracking: TrainTracking = NO_TRACKING): Promise<TrainBaselineReport> {
  const started = tracking.now();
  const cvProblem = cvOptionsProblem(opts);
  if (cvProblem !== undefined) throw new InvalidArgumentError(cvProblem);
  const timeframe = parseTimeframe(opts.timeframe);
  const dataDir = requireDataDir(opts.data);
  const bars = await trainingBars(opts, dataDir, timeframe);
  const registry = await openRegistry();
  try {
    const { trainBaseline, TrainBaselineOptionsSchema } = await import('../../models/training/train-baseline.js'); // tfjs loads with it: only for this command
    const name = registeredName(opts);
    const cvOptions = opts.cv === undefined ? undefined : { scheme: opts.cv, ...(opts.cvFolds !== undefined ? { folds: opts.cvFolds } : {}), embargo: (opts.cvEmbargo ?? 24) * TIMEFRAME_MS[timeframe] };
    const baselineOptions = { name, timeframe, barMs: TIMEFRAME_MS[timeframe], horizon: opts.horizon, kAtr: opts.kAtr, seed: opts.seed, epochs: opts.epochs };
    if (cvOptions !== undefined) {
      // Before the fit: found in the cross-validation, a fold it cannot train failed the command after the model was registered.
      const { baselineCvCheck } = await import('../../models/validation/cross-validate-baseline.js');
      const check = baselineCvCheck(bars, baselineOptions, cvOptions);
      if (check.problem !== undefined) {
        throw new InvalidArgumentError(`--cv ${opts.cv} (--cv-folds ${cvFoldsOf(opts)}, --cv-embargo ${opts.cvEmbargo ?? 24} bars): ${check.problem}; give fewer --cv-folds or a smaller --cv-embargo, or a wider --from/--to window`);
      }
      const thin = thinFoldsWarning(opts, check.testRows, check.rows);
      if (thin !== undefined) process.stderr.write(`${thin}\n`);
    }
    const report = await trainingIn(scopeOf(opts, name, dataDir, timeframe), () =>
      trainBaseline(bars, { source: dataDir, symbols: opts.symbols, ...windowOf(opts) }, baselineOptions, registry),
    );
    write(`${formatReport(report)}\n`);
    let cv: BaselineCvReport | undefined;
    if (cvOptions !== undefined) {
      const { crossValidateBaseline } = await import('../../models/validation/cross-validate-baseline.js');
      cv = await crossValidateBaseline(bars, baselineOptions, cvOptions);
      write(`${formatCvReport(cv)}\n`);
    }
    if (opts.promote === true) {
      await registry.promote(report.model.name, report.model.version, { actor: 'sextant train', reason: 'trained with --promote' });
      write(`promoted ${report.model.name}@${report.model.version} to production\n`);
    }
    const logged = await logTrainingRun(tracking.tracker, {
      model: report.model,
      kind: 'baseline-mlp',
      params: baselineParams(opts, TrainBaselineOptionsSchema.parse(baselineOptions)),
      startTime: started,
      endTime: tracking.now(),
      ...(cv !== undefined ? { extraMetrics: cvMetrics(cv) } : {}),
    });
    if (logged !== undefined) write(`${describeTrainingRun(logged)}\n`);
    write(
      `${JSON.stringify({
        model: `${report.model.name}@${report.model.version}`,
        metrics: report.model.metrics,
        rows: report.rows,
        calibration: report.calibration,
        onnxInput: report.onnxInput,
        ...(cv !== undefined ? { cv } : {}),
      })}\n`,
    );
    return report;
  } finally {
    await registry.close();
  }
}

const oneOf =
  <T extends string>(...choices: T[]) =>
  (v: string): T => {
    if (!(choices as string[]).includes(v)) throw new InvalidArgumentError(`one of ${choices.join(', ')}`);
    return v as T;
  };

/** The search/selection pipeline's summary, as printed by `sextant train --model gru|ensemble|--search|--select-features`. */
export function formatDirectionReport(r: TrainDirectionReport): string {
  const line = (n: string, s: { accuracy: number; logLoss: number }): string => `${n.padEnd(20)} ${pct(s.accuracy).padStart(9)} ${s.logLoss.toFixed(4).padStart(9)}`;
  return [
    `registered ${r.model.name}@${r.model.version} (parent ${r.model.parentVersion ?? 'none'}), ${r.kind}, ${r.features.length} features, parity ${r.onnxParityMaxAbsDiff.toExponential(2)}`,
    ...(r.search !== undefined ? [`search: ${r.search.sampler}, ${r.search.trials} trials, best validation log loss ${r.search.bestValLogLoss.toFixed(4)} with ${JSON.stringify(r.search.bestParams)}`] : []),
    ...(r.selection !== undefined ? [`features kept: ${r.features.join(', ')}`] : []),
    `rows: fit ${r.rows.fit}, validation ${r.rows.validation}, calibration ${r.rows.calibration}, test ${r.rows.test}`,
    `out-of-sample (test segment):`,
    `${'model'.padEnd(20)} ${'accuracy'.padStart(9)} ${'log loss'.padStart(9)}`,
    line(r.kind, r.test.model),
    line('majority class', r.test.majority),
    `training: ${r.kind === 'ensemble' ? 'meta-learner ' : ''}${r.training.epochsRun} epochs (best ${r.training.bestEpoch}) on tfjs ${r.training.backend}, in a training process of its own`,
  ].join('\n');
}

/**
 * The final fit's epochs as run metrics: `epochs_run` and `best_epoch`, or for the stacked
 * ensemble its meta-learner's, `meta_epochs_run` and `meta_best_epoch` (the epochs its fit
 * reports; its base models' are not comparable with them).
 */
export function epochMetrics(r: Pick<TrainDirectionReport, 'kind' | 'training'>): Record<string, number> {
  const prefix = r.kind === 'ensemble' ? 'meta_' : '';
  return { [`${prefix}epochs_run`]: r.training.epochsRun, [`${prefix}best_epoch`]: r.training.bestEpoch };
}

/** Runs the issue-6 pipeline (GRU / stacked ensemble / search / feature selection) and prints its summary and a JSON line. */
export async function runTrainDirection(opts: TrainCliOptions, openRegistry: OpenRegistry, write: (s: string) => void = (s) => process.stdout.write(s), tracking: TrainTracking = NO_TRACKING): Promise<TrainDirectionReport> {
  const started = tracking.now();
  if (opts.cv !== undefined) throw new InvalidArgumentError('--cv cross-validates the baseline MLP/LR; it does not combine with --model gru|ensemble, --search or --select-features');
  const cvProblem = cvOptionsProblem(opts);
  if (cvProblem !== undefined) throw new InvalidArgumentError(cvProblem);
  const timeframe = parseTimeframe(opts.timeframe);
  const dataDir = requireDataDir(opts.data);
  const bars = await trainingBars(opts, dataDir, timeframe);
  const model = opts.model ?? 'mlp';
  const registry = await openRegistry();
  try {
    const { trainDirectionModel } = await import('../../models/training/train-direction-model.js');
    const name = registeredName(opts);
    const report = await trainingIn(scopeOf(opts, name, dataDir, timeframe), () =>
      trainDirectionModel(
        bars,
        { source: dataDir, symbols: opts.symbols, ...windowOf(opts) },
        {
          model,
          name,
          timeframe,
          barMs: TIMEFRAME_MS[timeframe],
          horizon: opts.horizon,
          kAtr: opts.kAtr,
          seed: opts.seed,
          epochs: opts.epochs,
          search: opts.search ?? 'none',
          ...(opts.trials !== undefined ? { trials: opts.trials } : {}),
          selectFeatures: opts.selectFeatures === true,
          ...(opts.window !== undefined ? { window: opts.window } : {}),
        },
        registry,
      ),
    );
    write(`${formatDirectionReport(report)}\n`);
    if (opts.promote === true) {
      await registry.promote(report.model.name, report.model.version, { actor: 'sextant train', reason: 'trained with --promote' });
      write(`promoted ${report.model.name}@${report.model.version} to production\n`);
    }
    const logged = await logTrainingRun(tracking.tracker, {
      model: report.model,
      kind: report.kind,
      params: directionParams(opts, report),
      startTime: started,
      endTime: tracking.now(),
      ...(report.search !== undefined ? { trials: report.search.history } : {}),
      extraMetrics: epochMetrics(report),
    });
    if (logged !== undefined) write(`${describeTrainingRun(logged)}\n`);
    write(`${JSON.stringify({ model: `${report.model.name}@${report.model.version}`, metrics: report.model.metrics, rows: report.rows, features: report.features, params: report.params })}\n`);
    return report;
  } finally {
    await registry.close();
  }
}

/**
 * A registry model name, refused as the flag's error: it failed only at registration, after the
 * fit, as the raw zod issue list (`[ { "origin": "string", "code": "invalid_format", … } ]`).
 */
const modelNameArg = (v: string): string => {
  if (!MODEL_NAME_RE.test(v)) throw new InvalidArgumentError('a model name is 1–64 of A-Z a-z 0-9 _ -');
  return v;
};

/** `sextant train`: trains, checks and registers a direction classifier (the baseline MLP, or `--model gru|ensemble`). */
export function trainCommand(openRegistry: OpenRegistry, tracking: () => TrainTracking = () => NO_TRACKING, served?: () => ServedByConfig): Command {
  return new Command('train')
    .description('train a direction classifier on historical bars (the baseline MLP; a GRU or a stacked ensemble with --model), export it to ONNX and register it')
    .option('--data <dir>', 'market-data folder (default: ../shared/data or SEXTANT_DATA_DIR)')
    .addOption(symbolsOption('comma-separated symbols', ['BTC/USDT', 'ETH/USDT', 'SOL/USDT']))
    .option('--timeframe <tf>', 'bar timeframe', timeframeArg, '1h')
    .option('--horizon <bars>', 'label horizon in bars', positiveInt, 4)
    .option('--k-atr <k>', 'half-width of the flat band in ATR(14) units', nonNegative, 0.75)
    .option('--from <date>', 'first bar (inclusive)', parseTime)
    .option('--to <date>', 'last bar (exclusive)', parseTime)
    .option('--name <name>', 'model name in the registry (default: direction-mlp; direction-gru / direction-ensemble with --model gru|ensemble)', modelNameArg)
    .option('--seed <n>', 'seed for weights and batch order', nonNegativeInt, 42)
    .option('--epochs <n>', `most training epochs (early stopping may end sooner); --model ensemble: of its base models, its meta-learner gets at least ${META_LEARNER_MIN_EPOCHS}`, positiveInt, 30)
    .option('--promote', 'make the new version the production model')
    .option('--cv <scheme>', `baseline MLP/LR: also cross-validate (${CV_SCHEMES.join(', ')}) before the holdout test and print it beside the holdout figures`, (v: string): CvScheme => {
      if (!(CV_SCHEMES as readonly string[]).includes(v)) throw new InvalidArgumentError(`one of ${CV_SCHEMES.join(', ')}`);
      return v as CvScheme;
    })
    .option('--cv-folds <n>', '--cv: folds (purged-kfold, walk-forward; default 5) or groups N (cpcv, 2 test groups; default 6)', positiveInt)
    .option('--cv-embargo <bars>', '--cv: embargo in bars (default: 24)', nonNegativeInt)
    .option('--model <kind>', 'mlp (default), gru (a GRU over the last --window bars) or ensemble (stacked LR + MLP under a logistic meta-learner, one ONNX graph)', oneOf('mlp', 'gru', 'ensemble'))
    .option('--window <bars>', `bars per GRU input window (${GRU_WINDOW.min} to ${GRU_WINDOW.max}; default 16)`, intBetween(GRU_WINDOW.min, GRU_WINDOW.max))
    .option('--search <sampler>', 'hyper-parameter search before the final fit: random or tpe', oneOf('random', 'tpe'))
    .option('--trials <n>', 'search trials', positiveInt)
    .option('--select-features', 'permutation importance + correlation filter before the final fit')
    .action(async (opts: TrainCliOptions) => {
      const problem = served === undefined ? undefined : promoteProblem(opts, served());
      if (problem !== undefined) throw new InvalidArgumentError(problem);
      if (opts.model === 'gru' || opts.model === 'ensemble' || opts.search !== undefined || opts.selectFeatures === true) {
        await runTrainDirection(opts, openRegistry, undefined, tracking());
        return;
      }
      await runTrain(opts, openRegistry, undefined, tracking());
    });
}
