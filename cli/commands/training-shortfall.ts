import { InvalidArgumentError } from 'commander';
import { isOneClassLabels } from '../../models/training/label-classes.js';

/** What a command asked the trainer to fit, to name when there was too little of it. */
export type TrainingScope = Readonly<{
  /** The model's registry name. */
  model: string;
  timeframe: string;
  symbols: readonly string[];
  /** The bars searched, in words: {@link yearsBefore} or {@link between}. */
  searched: string;
  /** What to change, the message's last clause: `give a later --from …`. */
  hint: string;
}> &
  Readonly<
    | {
        /** The data folder the bars were read from (`under <dataDir>`). */
        dataDir: string;
      }
    | {
        /** The store the bars were read from, in words (`in <store>`): `the TimeseriesStore (PostgreSQL schema …)`. */
        store: string;
      }
  >;

const iso = (ms: number): string => new Date(ms).toISOString();
const COUNT_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'] as const;

/** `three` for 3: a count of years in words, as the training messages say it. */
export const countInWords = (n: number): string => COUNT_WORDS[n] ?? String(n);

/** `in the three years before 2024-01-01T00:00:00.000Z`: the demo's and the backtest's training span. */
export const yearsBefore = (years: number, to: number): string => `in the ${countInWords(years)} years before ${iso(to)}`;

/** `from 2024-01-01T00:00:00.000Z → the end`: `sextant train`'s --from/--to, either one open. */
export const between = (from: number | undefined, to: number | undefined): string => `from ${from === undefined ? 'the beginning' : iso(from)} → ${to === undefined ? 'the end' : iso(to)}`;

/** The trainers' refusal of a dataset with too few rows (`models/training/train-baseline.ts`, `train-direction-model.ts`). */
export const isTooFewRows = (e: unknown): e is RangeError => e instanceof RangeError && /^only \d+ labelled rows/.test(e.message);

/**
 * The trainers' "only N labelled rows (after a 200-bar warm-up); give more bars" names neither the
 * bars it looked for nor what to change (a window at the start of the data — 5m bars begin in
 * 2024-01, 1h bars in 2020-05 — has no years before it to train on). This gives it the command's
 * scope: model, timeframe, symbols, the span searched, the data folder (or store), and a hint. An
 * InvalidArgumentError, as the inputs were what was wrong; so is a refusal of labels of one class
 * (`OneClassLabelsError`, in the same scope); any other error passes unchanged.
 *
 * @example await trainBaseline(…).catch((e: unknown) => { throw inTrainingScope(e, scope); })
 */
export function inTrainingScope(e: unknown, s: TrainingScope): unknown {
  const scope = `cannot train ${s.model} on the ${s.timeframe} bars of ${s.symbols.join(', ')} ${s.searched} ${'dataDir' in s ? `under ${s.dataDir}` : `in ${s.store}`}`;
  // Labels of one class: more bars would not help, the label options would (the message names them).
  if (isOneClassLabels(e)) return new InvalidArgumentError(`${scope}: ${e.message}`);
  if (!isTooFewRows(e)) return e;
  return new InvalidArgumentError(`${scope}: ${e.message.replace(/; give more bars$/, '')}; ${s.hint}`);
}

/** `work`, with a too-few-rows refusal rethrown in `scope` ({@link inTrainingScope}). */
export async function trainingIn<T>(scope: TrainingScope, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw inTrainingScope(e, scope);
  }
}
