import type { ModelRegistry, ModelVersion } from '../../models/registry/model-registry.js';
import type { TimeseriesReader } from '../../state/timeseries-store.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import type { BarInput } from '../../models/features/inputs.js';
import type { SymbolBars } from '../../models/training/bar-dataset.js';
import { trainingIn, yearsBefore } from './training-shortfall.js';
import { trainingSpanLine } from './training-span.js';
import type { TrainingCache } from '../../models/training/training-cache.js';
import { cachedLine } from './demo-model.js';

/** A backtest's bars from the TimeseriesStore (`--source pg`) instead of CSV files. */
export type StoreBarSource = Readonly<{
  /** The symbols with no bar in [from, to) (one row read per symbol), in `symbols` order. */
  withoutBars(from: number, to: number): Promise<string[]>;
  /**
   * Each symbol's bars of [from, to), ascending, a page at a time (in `symbols` order): the
   * sources of the time-ordered replay, which holds a page per symbol, not the window.
   */
  window(from: number, to: number): AsyncIterable<readonly Bar[]>[];
  /**
   * Each symbol's bars of [from, to) in the shape training takes. Read a page at a time, but the
   * result is the whole range in memory: the model is fitted on all of it at once (compact
   * OHLCV rows, not bar messages, so the bars of a page are dropped once copied).
   */
  training(from: number, to: number): Promise<SymbolBars[]>;
}>;

export class MissingBarsError extends Error {
  override readonly name = 'MissingBarsError';
  readonly retryable = false;
}

/**
 * Reads bars per symbol through the port (the order and bounds the contract test holds both
 * adapters to: ascending, `from` inclusive, `to` exclusive), `pageSize` rows per query
 * (default `DEFAULT_PAGE_ROWS`). Training refuses a symbol with no bars, naming it.
 */
export function storeBarSource(
  store: TimeseriesReader,
  opts: Readonly<{ venue: string; symbols: readonly string[]; tf: Timeframe; where: string; pageSize?: number }>,
): StoreBarSource {
  const range = (symbol: string, from: number, to: number) => ({ venue: opts.venue, symbol, tf: opts.tf, from, to, ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}) });
  return {
    withoutBars: async (from, to) => {
      const found = await Promise.all(opts.symbols.map(async (symbol) => (await store.bars({ venue: opts.venue, symbol, tf: opts.tf, from, to, limit: 1 })).length > 0));
      return opts.symbols.filter((_, i) => found[i] !== true);
    },
    window: (from, to) => opts.symbols.map((symbol) => store.barPages(range(symbol, from, to))),
    training: async (from, to) =>
      Promise.all(
        opts.symbols.map(async (symbol) => {
          const bars: BarInput[] = [];
          for await (const page of store.barPages(range(symbol, from, to))) {
            for (const b of page) bars.push({ ts: b.ts, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume });
          }
          if (bars.length === 0) {
            throw new MissingBarsError(`no ${opts.tf} bars of ${opts.venue} ${symbol} between ${new Date(from).toISOString()} and ${new Date(to).toISOString()} in ${opts.where} (the training years before the window)`);
          }
          return { symbol, bars };
        }),
      ),
  };
}

const TRAIN_YEARS = 3;
const YEAR_MS = 365 * 86_400_000;
/** What to change when the stored years before the window hold too few bars to train on (the end of that error). */
const STORE_HINT = 'give a later --from (the store must hold bars before it) or serve a registered model with --model';

/**
 * The served model for a backtest whose history is in PostgreSQL: trained on the three years of
 * stored bars before `from` and promoted, with the recipe of `ensureDemoModel` (cli/commands/
 * demo-model.ts), which reads CSV files. Keep the two recipes the same.
 */
export async function trainFromStore(
  registry: ModelRegistry,
  source: StoreBarSource,
  opts: Readonly<{ name: string; symbols: readonly string[]; tf: Timeframe; from: number; where: string; onTraining?: (line: string) => void; cache?: TrainingCache }>,
): Promise<ModelVersion> {
  const window = { from: opts.from - TRAIN_YEARS * YEAR_MS, to: opts.from };
  const bars = await source.training(window.from, window.to);
  const span = trainingSpanLine({ name: opts.name, timeframe: opts.tf, barMs: TIMEFRAME_MS[opts.tf], years: TRAIN_YEARS, to: opts.from, bars });
  if (span !== undefined) opts.onTraining?.(span);
  // A flat band of half an ATR splits the classes roughly in thirds, so the model takes sides.
  const { trainBaseline } = await import('../../models/training/train-baseline.js'); // tfjs loads with it: only when a model is trained
  const scope = { model: opts.name, timeframe: opts.tf, symbols: opts.symbols, searched: yearsBefore(TRAIN_YEARS, opts.from), store: opts.where, hint: STORE_HINT };
  const report = await trainingIn(scope, () => trainBaseline(bars, { source: opts.where, symbols: opts.symbols, ...window }, { name: opts.name, timeframe: opts.tf, barMs: TIMEFRAME_MS[opts.tf], kAtr: 0.5, epochs: 20 }, registry, opts.cache));
  if (report.cached) opts.onTraining?.(cachedLine(opts.cache));
  await registry.promote(report.model.name, report.model.version, { actor: 'sextant backtest', reason: 'trained on the stored years before the backtest window' });
  return registry.get(`${opts.name}@production`);
}
