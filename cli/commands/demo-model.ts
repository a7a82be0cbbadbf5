import { TIMEFRAME_MS, TimeframeSchema } from '../../streams/messages/bar.js';
import { trainedTimeframe } from '../../models/inference/engine-fit.js';
import type { ModelRegistry, ModelVersion } from '../../models/registry/model-registry.js';
import type { TrainingCache } from '../../models/training/training-cache.js';
import { ModelNotFoundError } from '../../models/registry/model-registry.js';
import { modelDataEnd } from '../../models/registry/model-data-span.js';
import { ArtifactIntegrityError } from '../../models/registry/registry-errors.js';
import { TrainingCancelledError } from '../../models/training/training-errors.js';
import { loadSymbolBars } from './train.js';
import { trainingIn, yearsBefore } from './training-shortfall.js';
import { trainingSpanLine } from './training-span.js';

/** The demo trains on the three years before its window: nothing it replays was seen in training. */
const TRAIN_YEARS = 3;
const YEAR_MS = 365 * 86_400_000;

/** A UTC day, with the time of day where it is not midnight. */
const day = (ms: number): string => {
  const t = new Date(ms).toISOString();
  return t.endsWith('T00:00:00.000Z') ? t.slice(0, 10) : `${t.slice(0, 16).replace('T', ' ')} UTC`;
};

/**
 * The production model when every bar its training read (fit, early stopping, calibration, test
 * scores: `modelDataEnd`, not its `trainRange`, which is the training segment only) ends by `from`,
 * it was trained on bars of `timeframe` and its artifact is readable here (another checkout may
 * have registered it in its own folder); else undefined. A model whose test segment ran into the
 * window knows it: served there, its replay would pass as out of sample. A model of another
 * timeframe reads its horizon in other bars: it is not reused. Either is said to `notice`.
 */
export async function servableBefore(registry: ModelRegistry, name: string, from: number, timeframe: string, notice?: (line: string) => void): Promise<ModelVersion | undefined> {
  try {
    const current = await registry.get(`${name}@production`);
    const end = modelDataEnd(current);
    if (end > from) {
      notice?.(`${name}@${current.version}'s training read bars up to ${day(end)}, past the window's start ${day(from)}; training a new version on the years before the window`);
      return undefined;
    }
    const tf = trainedTimeframe(current);
    if (tf !== timeframe) {
      notice?.(`${name}@${current.version} was trained on ${tf ?? 'unrecorded'} bars, not ${timeframe}; training a new version`);
      return undefined;
    }
    await registry.artifact(current);
    return current;
  } catch (e) {
    if (e instanceof ModelNotFoundError) return undefined;
    if (!(e instanceof ArtifactIntegrityError)) throw e;
    notice?.(`${e.message}; training a new version`);
    return undefined;
  }
}

/** Said after the span line when the model came from the training cache instead of being trained. */
export const cachedLine = (cache: TrainingCache | undefined): string =>
  `  reused from the training cache (${cache?.where ?? '?'}): these bars, settings and training code trained it before; models.trainingCacheDir: null trains afresh`;

/** The model is trained on the years before `from`: a window at the start of the data has none. */
const DEFAULT_HINT = 'give a later --from (the data must hold bars before it)';

/** `trained`: a version registered now; `cached`: that version came from the training cache, not a training run. */
export type DemoModel = Readonly<{ model: ModelVersion; trained: boolean; cached: boolean; seconds: number }>;

/**
 * The model the demo serves: the registry's `<name>@production` when it was trained on data
 * ending before the window, else one trained now on the `TRAIN_YEARS` before `from` (out of
 * sample for the whole replay) and promoted. An aborted `signal` ends it with a
 * `TrainingCancelledError` before anything is registered or promoted.
 */
export async function ensureDemoModel(
  registry: ModelRegistry,
  opts: Readonly<{
    name: string;
    dataDir: string;
    symbols: readonly string[];
    timeframe: string;
    from: number;
    retrain?: boolean;
    notice?: (line: string) => void;
    /** Told, before a model is trained, the bars it trains on (`trainingSpanLine`). */
    onTraining?: (line: string) => void;
    /** What to change when the years before `from` hold too few bars to train on (the end of that error); default: a later --from. */
    hint?: string;
    /** Models trained before, reused when the same bars, settings and code would train them again (`models.trainingCacheDir`). */
    cache?: TrainingCache;
    /** Aborted (Ctrl-C): training stops between epochs with a `TrainingCancelledError`; nothing is registered. */
    signal?: AbortSignal;
  }>,
): Promise<DemoModel> {
  const started = performance.now();
  const current = opts.retrain === true ? undefined : await servableBefore(registry, opts.name, opts.from, opts.timeframe, opts.notice);
  if (current !== undefined) return { model: current, trained: false, cached: false, seconds: 0 };
  const tf = TimeframeSchema.parse(opts.timeframe);
  const window = { from: opts.from - TRAIN_YEARS * YEAR_MS, to: opts.from };
  const bars = await loadSymbolBars(opts.dataDir, opts.symbols, tf, window);
  if (opts.signal?.aborted === true) throw new TrainingCancelledError('training cancelled');
  const span = trainingSpanLine({ name: opts.name, timeframe: tf, barMs: TIMEFRAME_MS[tf], years: TRAIN_YEARS, to: opts.from, bars });
  if (span !== undefined) opts.onTraining?.(span);
  // A flat band of half an ATR splits the classes roughly in thirds, so the demo's model takes sides.
  const { trainBaseline } = await import('../../models/training/train-baseline.js'); // tfjs loads with it: only when a model is trained
  const scope = { model: opts.name, timeframe: tf, symbols: opts.symbols, searched: yearsBefore(TRAIN_YEARS, opts.from), dataDir: opts.dataDir, hint: opts.hint ?? DEFAULT_HINT };
  const report = await trainingIn(scope, () => trainBaseline(bars, { source: opts.dataDir, symbols: opts.symbols, ...window }, { name: opts.name, timeframe: tf, barMs: TIMEFRAME_MS[tf], kAtr: 0.5, epochs: 20 }, registry, opts.cache, opts.signal));
  if (report.cached) opts.onTraining?.(cachedLine(opts.cache));
  await registry.promote(report.model.name, report.model.version, { actor: 'sextant demo', reason: 'trained on the years before the demo window' });
  return { model: await registry.get(`${opts.name}@production`), trained: true, cached: report.cached, seconds: (performance.now() - started) / 1000 };
}
