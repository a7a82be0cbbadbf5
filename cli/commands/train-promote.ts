import { parseModelRef } from '../../models/registry/model-registry.js';

/** What the engine of this config serves: `strategy.model` and `strategy.timeframe`. */
export type ServedByConfig = Readonly<{ ref: string; timeframe: string }>;

type TrainNaming = Readonly<{ name?: string | undefined; model?: 'mlp' | 'gru' | 'ensemble' | undefined }>;

/**
 * The name a `sextant train` run registers under: `--name` when given, else `direction-<model>`
 * (`direction-mlp`, `direction-gru`, `direction-ensemble`). A `--name direction-mlp` given with
 * `--model gru` was taken for the default and the GRU registered as `direction-gru` (and promoted
 * there, past the check of the model the engine serves).
 */
export const registeredName = (opts: TrainNaming): string => opts.name ?? `direction-${opts.model ?? 'mlp'}`;

/**
 * Why `sextant train --promote` must not run, or undefined: it would point `production` of the
 * model the engine serves (`strategy.model`) at a model trained on other bars than the engine
 * decides on (`strategy.timeframe`). Promoted, the engine swapped to it and read its inputs and
 * horizon in bars of another length (`ctl model deploy` refuses the same). Checked before any
 * data is read or anything is fitted.
 */
export function promoteProblem(opts: TrainNaming & Readonly<{ promote?: boolean | undefined; timeframe: string }>, served: ServedByConfig): string | undefined {
  if (opts.promote !== true || opts.timeframe === served.timeframe) return undefined;
  const ref = parseModelRef(served.ref);
  if ('version' in ref || ref.alias !== 'production' || ref.name !== registeredName(opts)) return undefined;
  return (
    `--promote would point ${ref.name}@production, which the engine serves (strategy.model), at a model trained on ${opts.timeframe} bars; ` +
    `the engine decides on ${served.timeframe} bars (strategy.timeframe): train with --timeframe ${served.timeframe}, register under another --name, or leave out --promote`
  );
}
