import type { SampleKind, TrainingSample, TrainingSampleStore } from '../../state/training-sample-store.js';
import type { LabelSpec, Progress, SampleSource, SampleTable } from './sample-source.js';

/** Triple-barrier label −1 / 0 / +1 → class index 0 / 1 / 2. */
export const BARRIER_CLASSES = ['stop_loss', 'vertical', 'take_profit'] as const;

export type TrainingSampleSourceOptions = Readonly<{
  store: Pick<TrainingSampleStore, 'samples' | 'assets'>;
  strategy: string;
  venue?: string;
  /** Only these symbols (one query each); all of the strategy's when absent. */
  symbols?: readonly string[];
  /** Decision time window, `from` inclusive, `to` exclusive (ms). */
  from?: number;
  to?: number;
  /** Feature columns, in order; default the names of the first sample's vector, sorted. */
  features?: readonly string[];
  /** Labeled predictions (the default: what the direction model trains on) or labeled approved orders. */
  kind?: SampleKind;
  /**
   * Added to the refusal of symbols without samples: given them and the symbols the strategy has
   * samples of (on `venue` when given), e.g. `; did you mean BTC/USDT?` (the CLI's `spellingHint`).
   */
  hint?: (missing: readonly string[], known: readonly string[]) => string;
}>;

/**
 * Samples the labeling actor stored: the decision-time feature vector (as stored, so every
 * transform is `raw`; a null or absent feature is NaN, i.e. missing), the triple-barrier label
 * as a class (stop-loss, vertical, take-profit) and the forward return. The label interval is
 * `[ts, labeledTs]`: open time of the decision bar to open time of the horizon bar (the vertical
 * barrier, whichever barrier was hit). Both ends are one bar before the information they stand for
 * (the decision bar's close, the horizon bar's close), so an overlap of two intervals is an overlap
 * of what their labels read.
 */
export function trainingSampleSource(o: TrainingSampleSourceOptions): SampleSource {
  const kind = o.kind ?? 'prediction';
  const labelSpec: LabelSpec = {
    column: 'label',
    classes: BARRIER_CLASSES,
    rule: `triple barrier relative to the ${kind === 'order' ? 'order\'s side' : 'prediction\'s direction'}: take-profit first (+1), stop-loss first (−1), else vertical at the horizon (0)`,
    params: { source: 'training-sample store', strategy: o.strategy, ...(kind === 'order' ? { sampleKind: kind } : {}) },
  };
  // Prediction exports describe themselves as before the order kind existed (same config hash).
  const description = {
    kind: 'samples',
    ...(kind === 'order' ? { sampleKind: kind } : {}),
    strategy: o.strategy,
    ...(o.venue !== undefined ? { venue: o.venue } : {}),
    ...(o.symbols !== undefined ? { symbols: [...o.symbols] } : {}),
    ...(o.from !== undefined ? { from: o.from } : {}),
    ...(o.to !== undefined ? { to: o.to } : {}),
  };
  return {
    kind: 'samples',
    description,
    labelSpec,
    async read(progress?: Progress): Promise<SampleTable> {
      const query = { strategy: o.strategy, kind, ...(o.venue !== undefined ? { venue: o.venue } : {}), ...(o.from !== undefined ? { from: o.from } : {}), ...(o.to !== undefined ? { to: o.to } : {}) };
      const batches: (readonly TrainingSample[])[] = [];
      const none: string[] = [];
      if (o.symbols === undefined) batches.push(await o.store.samples(query));
      else {
        for (const [i, symbol] of o.symbols.entries()) {
          const batch = await o.store.samples({ ...query, symbol });
          if (batch.length === 0) none.push(symbol);
          batches.push(batch);
          progress?.(i + 1, o.symbols.length, 'symbols');
        }
      }
      const samples = batches.flat();
      // A symbol asked for spelt otherwise than the store has it (`btc/usdt`): said how it is stored.
      const hint = async (): Promise<string> => {
        if (o.hint === undefined || none.length === 0) return '';
        const known = (await o.store.assets(o.strategy)).filter((a) => o.venue === undefined || a.venue === o.venue).map((a) => a.symbol);
        return o.hint(none, known);
      };
      // Named, rather than toSampleTable's "no feature columns" (a mistyped --strategy read as a data problem).
      if (samples.length === 0) throw new RangeError(`no ${kind} samples ${describeQuery(o)} in the training-sample store${await hint()}`);
      // A symbol asked for that has none (mistyped, or never traded) would be missing from a dataset whose metadata names it.
      if (none.length > 0) throw new RangeError(`no ${kind} samples ${describeQuery({ ...o, symbols: none })} in the training-sample store (the others have some)${await hint()}`);
      return toSampleTable(samples, o.features);
    },
  };
}

const isoOf = (ms: number): string => new Date(ms).toISOString();

/** `of strategy dirmlp on binance for BTC/USDT from … → …`: what a read asked the store for. */
const describeQuery = (o: TrainingSampleSourceOptions): string =>
  [
    `of strategy ${o.strategy}`,
    ...(o.venue !== undefined ? [`on ${o.venue}`] : []),
    ...(o.symbols !== undefined ? [`for ${o.symbols.join(', ')}`] : []),
    ...(o.from !== undefined || o.to !== undefined ? [`from ${o.from === undefined ? 'the beginning' : isoOf(o.from)} → ${o.to === undefined ? 'the end' : isoOf(o.to)}`] : []),
  ].join(' ');

/** Training samples as a {@link SampleTable}, sorted by decision time, then symbol, then id. */
export function toSampleTable(samples: readonly TrainingSample[], features?: readonly string[]): SampleTable {
  const sorted = [...samples].sort((a, b) => a.ts - b.ts || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const names = features ?? Object.keys(sorted[0]?.features ?? {}).sort();
  if (names.length === 0) throw new RangeError('no feature columns: the store holds no samples for this query, or they have no features');
  const symbols = [...new Set(sorted.map((s) => s.symbol))].sort();
  const symbolIndex = new Map(symbols.map((s, i) => [s, i]));
  const rows = sorted.length;
  const cols = names.length;
  const x = new Float64Array(rows * cols);
  sorted.forEach((s, i) => {
    names.forEach((f, j) => {
      const v = s.features[f];
      x[i * cols + j] = v === null || v === undefined ? NaN : v;
    });
  });
  return {
    features: names,
    transforms: names.map(() => 'raw' as const),
    rows,
    x,
    label: Int32Array.from(sorted, (s) => s.label + 1),
    forwardReturn: Float64Array.from(sorted, (s) => s.forwardReturn),
    start: Float64Array.from(sorted, (s) => s.ts),
    end: Float64Array.from(sorted, (s) => s.labeledTs),
    symbolIndex: Int32Array.from(sorted, (s) => symbolIndex.get(s.symbol) as number),
    symbols,
  };
}
