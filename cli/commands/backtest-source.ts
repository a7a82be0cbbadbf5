import type { ModelRegistry, ModelVersion } from '../../models/registry/model-registry.js';
import type { TimeseriesReader } from '../../state/timeseries-store.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import type { SymbolBars } from '../../models/training/bar-dataset.js';

/** A backtest's bars from the TimeseriesStore (`--source pg`) instead of CSV files. */
export type StoreBarSource = Readonly<{
  /** Each symbol's bars of [from, to), ascending: the sources of the time-ordered replay. */
  window(from: number, to: number): Promise<Bar[][]>;
  /** Each symbol's bars of [from, to) in the shape training takes. */
  training(from: number, to: number): Promise<SymbolBars[]>;
}>;

export class MissingBarsError extends Error {
  override readonly name = 'MissingBarsError';
  readonly retryable = false;
}

/**
 * Reads bars per symbol through the port (the same query the contract test holds both adapters
 * to: ascending, `from` inclusive, `to` exclusive), and refuses a symbol with none, naming it.
 */
export function storeBarSource(store: TimeseriesReader, opts: Readonly<{ venue: string; symbols: readonly string[]; tf: Timeframe; where: string }>): StoreBarSource {
  const read = async (from: number, to: number, purpose: string): Promise<Bar[][]> =>
    Promise.all(
      opts.symbols.map(async (symbol) => {
        const bars = await store.bars({ venue: opts.venue, symbol, tf: opts.tf, from, to });
        if (bars.length === 0) {
          throw new MissingBarsError(`no ${opts.tf} bars of ${opts.venue} ${symbol} between ${new Date(from).toISOString()} and ${new Date(to).toISOString()} in ${opts.where} (${purpose})`);
        }
        return [...bars];
      }),
    );
  return {
    window: (from, to) => read(from, to, 'the backtest window'),
    training: async (from, to) => {
      const per = await read(from, to, 'the training years before the window');
      return per.map((bars, i) => ({ symbol: opts.symbols[i] as string, bars: bars.map((b) => ({ ts: b.ts, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume })) }));
    },
  };
}

const TRAIN_YEARS = 3;
const YEAR_MS = 365 * 86_400_000;

/**
 * The served model for a backtest whose history is in PostgreSQL: trained on the three years of
 * stored bars before `from` and promoted, with the recipe of `ensureDemoModel` (cli/commands/
 * demo-model.ts), which reads CSV files. Keep the two recipes the same.
 */
export async function trainFromStore(
  registry: ModelRegistry,
  source: StoreBarSource,
  opts: Readonly<{ name: string; symbols: readonly string[]; tf: Timeframe; from: number; where: string }>,
): Promise<ModelVersion> {
  const window = { from: opts.from - TRAIN_YEARS * YEAR_MS, to: opts.from };
  const bars = await source.training(window.from, window.to);
  // A flat band of half an ATR splits the classes roughly in thirds, so the model takes sides.
  const { trainBaseline } = await import('../../models/training/train-baseline.js'); // tfjs loads with it: only when a model is trained
  const report = await trainBaseline(bars, { source: opts.where, symbols: opts.symbols, ...window }, { name: opts.name, timeframe: opts.tf, barMs: TIMEFRAME_MS[opts.tf], kAtr: 0.5, epochs: 20 }, registry);
  await registry.promote(report.model.name, report.model.version, { actor: 'sextant backtest', reason: 'trained on the stored years before the backtest window' });
  return registry.get(`${opts.name}@production`);
}
