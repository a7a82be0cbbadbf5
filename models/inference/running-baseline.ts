/**
 * The occlusion reference: per asset, an exponentially weighted mean of the model-input rows
 * that asset produced. Replacing a feature with "what it has recently been" asks how much the
 * current deviation of that feature moved the prediction, which is the question a trader asks
 * ("why is this signal different from usual?"); a fixed zero would instead measure distance
 * from the training mean, which drifts out of relevance as regimes change.
 *
 * Kept per asset and updated row by row in each asset's stream order, so a prediction's
 * attributions depend on that asset's own history only — not on how a live process happened to
 * batch or interleave assets — and replaying the same stream gives bit-identical attributions.
 */

export const RUNNING_BASELINE_STATE_VERSION = 1;

/** Plain JSON, for actor snapshots: restoring it continues bit-identically. */
export type RunningBaselineState = Readonly<{
  v: typeof RUNNING_BASELINE_STATE_VERSION;
  width: number;
  halfLifeRows: number;
  assets: Readonly<Record<string, Readonly<{ rows: number; mean: readonly number[] }>>>;
}>;

export type RunningBaselineOptions = Readonly<{
  /** Rows after which an observation's weight has halved. Default 500. */
  halfLifeRows?: number;
  /**
   * Reference before an asset's first row: the training mean in model-input space (zeros when
   * inputs are standardised before the model, which is the default).
   */
  initial?: readonly number[] | Float64Array;
}>;

/** One asset's running mean; hot loops hold on to it instead of looking the asset up per row. */
export type BaselineSlot = { rows: number; readonly mean: Float64Array };

export type RunningBaseline = Readonly<{
  width: number;
  /** The slot of `asset`, created at the initial reference when unseen. */
  slot(asset: string): BaselineSlot;
  /** Folds one row into a slot of this baseline. */
  fold(slot: BaselineSlot, row: Float32Array, offset: number): void;
  /** The current reference of `asset` (the initial reference for an unseen asset). Do not mutate. */
  get(asset: string): Float64Array;
  /** Folds one row (`width` values of `row` at `offset`) into `asset`'s mean. */
  update(asset: string, row: Float32Array, offset: number): void;
  /** Rows folded in so far for `asset`. */
  rows(asset: string): number;
  toState(): RunningBaselineState;
}>;

type Slot = BaselineSlot;

/**
 * @example
 * const base = createRunningBaseline(25, { halfLifeRows: 500 });
 * const ref = base.get('binance:BTC/USDT'); // occlude with ref[j]
 * base.update('binance:BTC/USDT', batch, i * 25);
 */
export function createRunningBaseline(width: number, options: RunningBaselineOptions = {}, state?: RunningBaselineState): RunningBaseline {
  if (!Number.isInteger(width) || width <= 0) throw new RangeError(`width must be a positive integer, got ${width}`);
  const halfLifeRows = options.halfLifeRows ?? 500;
  if (!(halfLifeRows > 0) || !Number.isFinite(halfLifeRows)) throw new RangeError(`halfLifeRows must be a positive number, got ${halfLifeRows}`);
  const initial = Float64Array.from(options.initial ?? new Float64Array(width));
  if (initial.length !== width || !initial.every(Number.isFinite)) throw new RangeError(`initial must hold ${width} finite numbers`);
  const alpha = 1 - Math.pow(2, -1 / halfLifeRows);
  const slots = new Map<string, Slot>();

  if (state !== undefined) {
    if (state.v !== RUNNING_BASELINE_STATE_VERSION || state.width !== width || state.halfLifeRows !== halfLifeRows) {
      throw new RangeError(`baseline state (v${state.v}, width ${state.width}, half-life ${state.halfLifeRows}) does not fit width ${width}, half-life ${halfLifeRows}`);
    }
    for (const [asset, s] of Object.entries(state.assets)) {
      if (s.mean.length !== width) throw new RangeError(`baseline state of ${asset} has ${s.mean.length} values, expected ${width}`);
      slots.set(asset, { rows: s.rows, mean: Float64Array.from(s.mean) });
    }
  }

  const slot = (asset: string): Slot => {
    let s = slots.get(asset);
    if (s === undefined) {
      s = { rows: 0, mean: Float64Array.from(initial) };
      slots.set(asset, s);
    }
    return s;
  };

  const fold = (s: Slot, row: Float32Array, offset: number): void => {
    const m = s.mean;
    for (let j = 0; j < width; j++) {
      const mj = m[j] as number;
      m[j] = mj + alpha * ((row[offset + j] as number) - mj);
    }
    s.rows++;
  };

  return {
    width,
    slot,
    fold,
    get: (asset) => slots.get(asset)?.mean ?? initial,
    update: (asset, row, offset) => fold(slot(asset), row, offset),
    rows: (asset) => slots.get(asset)?.rows ?? 0,
    toState: () => ({
      v: RUNNING_BASELINE_STATE_VERSION,
      width,
      halfLifeRows,
      assets: Object.fromEntries([...slots].map(([k, s]) => [k, { rows: s.rows, mean: Array.from(s.mean) }])),
    }),
  };
}
