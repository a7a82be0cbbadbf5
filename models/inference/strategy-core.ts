import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import type { PositionIntent, Prediction } from '../../streams/messages/prediction.js';
import { predictionId } from '../../streams/messages/prediction.js';
import type { FeatureSpec } from '../registry/feature-spec.js';
import { featureSpecHash } from '../registry/feature-spec.js';
import type { ModelCalibration } from '../registry/model-registry.js';
import type { SequenceWindow } from '../registry/sequence-window.js';
import type { ModelRuntime } from '../runtime/model-runtime.js';
import { createInputBuilder, SkipReason } from './input-builder.js';
import type { InputBuilder } from './input-builder.js';
import { blockContributions, occlusionStride, topAttributions, writeOcclusionBlock, writeWindowOcclusionBlock } from './occlusion.js';
import type { Attribution } from './occlusion.js';
import { checkCalibration, checkIntentRule, expectedReturn, intentOf, intervalScale, predictedClass } from './prediction-math.js';
import type { IntentRule } from './prediction-math.js';
import { createRunningBaseline } from './running-baseline.js';
import type { BaselineSlot, RunningBaseline, RunningBaselineState } from './running-baseline.js';

/** A loaded model version and what is needed to read its outputs. */
export type StrategyModel = Readonly<{
  name: string;
  version: number;
  runtime: ModelRuntime;
  featureSpec: FeatureSpec;
  calibration: ModelCalibration;
  /** The registry's hash of the spec; checked against the spec when given. */
  featureSpecHash?: string;
  /** False when the model graph standardises its own inputs (see `InputBuilderOptions.normalize`). */
  normalize?: boolean;
  /**
   * A sequence model's window when its feature spec does not carry one (registry rows written
   * before it did: `sequenceWindowOf(version)`); must agree with the spec's when both are given.
   */
  window?: SequenceWindow;
}>;

export type StrategyCoreOptions = IntentRule &
  Readonly<{
    strategy: string;
    model: StrategyModel;
    /** Attributions per prediction (0 = no occlusion rows at all). */
    topK: number;
    /** Value keys tried for the price (default `close`, then `mid`). */
    priceKeys?: readonly string[];
    /** Half-life of the occlusion baseline, in rows of each asset (default 500). */
    baselineHalfLifeRows?: number;
    /** Most model rows per `run` (original + occlusion rows); larger inputs are split. Default 262,144. */
    maxRowsPerRun?: number;
    /** State from {@link StrategyCore.toState} of an earlier core with the same spec and options. */
    state?: StrategyCoreState;
  }>;

/** Reasons a vector produced no prediction, with counts. */
export const CoreSkip = {
  ...SkipReason,
  outOfOrder: 'OUT_OF_ORDER',
  duplicate: 'DUPLICATE',
  badOutput: 'BAD_OUTPUT',
  /** A sequence model's asset has fewer than `steps` consecutive scorable vectors yet (not an error). */
  windowFilling: 'WINDOW_FILLING',
  /** The model's intervals scale with ATR14/close and the vector has no positive ATR14. */
  noScale: 'NO_SCALE',
} as const;
export type CoreSkip = (typeof CoreSkip)[keyof typeof CoreSkip];

export type StrategyStats = Readonly<{
  vectorsIn: number;
  predictions: number;
  withIntent: number;
  runs: number;
  swaps: number;
  skipped: Readonly<Partial<Record<CoreSkip, number>>>;
}>;

export const STRATEGY_CORE_STATE_VERSION = 1;

/**
 * Plain JSON for actor snapshots: the occlusion baselines, the last vector seen per asset and,
 * for a sequence model, each asset's window (the vectors it holds, oldest first).
 */
export type StrategyCoreState = Readonly<{
  v: typeof STRATEGY_CORE_STATE_VERSION;
  featureSpecHash: string;
  baseline: RunningBaselineState;
  last: Readonly<Record<string, Readonly<{ ts: number; id: string }>>>;
  windows?: Readonly<Record<string, readonly FeatureVector[]>>;
}>;

export type StrategyCore = Readonly<{
  strategy: string;
  /**
   * Predictions for the vectors that can be scored, in input order, from one batched model call
   * (original and occlusion rows together). Calls are applied one after another in call order,
   * even when not awaited. State (baselines, last vector per asset) advances with the input
   * whether or not the model call succeeds, so it stays a function of the input stream; a
   * rejected call loses only its own predictions. Batches up to a few thousand vectors are the
   * sweet spot: past ~10k the predictions alive at once outgrow V8's young generation.
   */
  onFeatures(vectors: readonly FeatureVector[]): Promise<Prediction[]>;
  /**
   * Replaces the model after the batches already submitted and before any later one: every
   * vector is scored exactly once, by the old or the new model. Resolves with the old model
   * (the caller disposes its runtime) once the swap is in effect. `history`, for a sequence
   * model: read once the swap is in effect and {@link StrategyCore.prime}d from before any later
   * batch is scored, so no bar is scored on a window the history would have filled (a history
   * that rejects primes nothing; the swap stands).
   */
  swapModel(model: StrategyModel, history?: () => Promise<readonly FeatureVector[]>): Promise<StrategyModel>;
  model(): Readonly<{ name: string; version: number; featureSpecHash: string }>;
  /** The served model's window when it is a sequence model (what {@link StrategyCore.prime} needs), else undefined. */
  window(): SequenceWindow | undefined;
  /**
   * Fills sequence windows from vectors seen before (after a restart or a swap: e.g. the feature
   * store's recent history); nothing is predicted. An asset that has scored vectors takes only
   * those not after its last; those older than its window's oldest vector go in front of it and the window keeps the newest run that fits the model
   * (consecutive, scorable; longer than `steps` until the next vector is scored). A primed vector
   * that comes again later is scored then, replacing itself and those after it in the window, so
   * priming never drops or duplicates a prediction.
   * Ignored by a one-row model.
   */
  prime(vectors: readonly FeatureVector[]): Promise<void>;
  stats(): StrategyStats;
  toState(): StrategyCoreState;
}>;

type Prepared = Readonly<{
  model: StrategyModel;
  hash: string;
  names: readonly string[];
  width: number;
  builder: InputBuilder;
  outputIndex: number;
  means: readonly [number, number, number];
  initial: Float64Array;
  /** Whether the model reads `[rows, steps, features]` windows (its runtime has `inputSteps`). */
  seq: boolean;
  /** Rows per window (1 for a `[rows, features]` model). */
  steps: number;
  /** Spacing of consecutive window rows in event time, when known: a different gap restarts the window. */
  stepMs: number | undefined;
}>;

/**
 * Per asset: the last vector admitted (redelivery and order checks), its baseline slot and, for a
 * sequence model, its window: the last scorable vectors, consecutive and oldest first, at most
 * `steps` of them.
 */
type AssetState = { readonly key: string; ts: number; id: string; slot: BaselineSlot | undefined; window: FeatureVector[] | undefined };

const assetKey = (venue: string, symbol: string): string => `${venue}:${symbol}`;
const EMPTY: readonly Attribution[] = Object.freeze([]);

function prepare(m: StrategyModel, priceKeys: readonly string[] | undefined): Prepared {
  const hash = featureSpecHash(m.featureSpec);
  if (m.featureSpecHash !== undefined && m.featureSpecHash !== hash) {
    throw new RangeError(`model ${m.name}@${m.version}: feature spec hash ${hash} does not match the registry's ${m.featureSpecHash}`);
  }
  checkCalibration(m.calibration);
  const width = m.featureSpec.features.length;
  const rt = m.runtime;
  const at = `model ${m.name}@${m.version}`;
  if (rt.inputWidth !== null && rt.inputWidth !== width) throw new RangeError(`${at} reads ${rt.inputWidth} features but its spec lists ${width}`);
  const specWindow = m.featureSpec.window;
  if (m.window !== undefined && specWindow !== undefined && (m.window.steps !== specWindow.steps || m.window.stepMs !== specWindow.stepMs)) {
    throw new RangeError(`${at}: window ${JSON.stringify(m.window)} differs from its feature spec's ${JSON.stringify(specWindow)}`);
  }
  const win = m.window ?? specWindow;
  const seq = rt.inputSteps !== undefined;
  if (seq && win === undefined) {
    throw new RangeError(`${at} reads [batch, ${rt.inputSteps ?? 'steps'}, features] windows but neither its feature spec nor its registry details give the window length and bar spacing; cannot serve it`);
  }
  if (seq && rt.inputSteps !== null && rt.inputSteps !== win?.steps) throw new RangeError(`${at}: its graph reads windows of ${rt.inputSteps} steps but its spec says ${win?.steps}`);
  if (!seq && win !== undefined && win.steps > 1) throw new RangeError(`${at} has a ${win.steps}-step window but its runtime reads one [rows, features] row per prediction`);
  const named = rt.outputNames.indexOf('probs');
  const outputIndex = named >= 0 ? named : 0;
  const ow = rt.outputWidths[outputIndex];
  if (ow !== null && ow !== undefined && ow !== 3) throw new RangeError(`model ${m.name}@${m.version} output ${rt.outputNames[outputIndex]} has width ${ow}, expected 3 (down, flat, up)`);
  const normalize = m.normalize ?? true;
  // The baseline starts at the training mean, expressed in model-input space.
  const initial = normalize ? new Float64Array(width) : Float64Array.from(m.featureSpec.mean);
  return {
    model: m,
    hash,
    names: [...m.featureSpec.features],
    width,
    builder: createInputBuilder(m.featureSpec, { normalize, ...(priceKeys === undefined ? {} : { priceKeys }) }),
    outputIndex,
    means: m.calibration.classMeanReturns,
    initial,
    seq,
    steps: seq ? (win?.steps ?? 1) : 1,
    stepMs: seq ? win?.stepMs : undefined,
  };
}

/**
 * The window a sequence model `p` can use out of `kept` (oldest first): the longest run of newest
 * vectors that all build under its spec and are `stepMs` apart, at most `keep` (default `steps`)
 * long. Used when a swap, a restored state or priming brings vectors admitted under another (or
 * no) model.
 */
function rechain(kept: readonly FeatureVector[], p: Prepared, scratch: Float32Array, keep = p.steps): FeatureVector[] {
  let start = kept.length;
  while (start > 0 && kept.length - start < keep) {
    const v = kept[start - 1] as FeatureVector;
    const newer = kept[start];
    if (newer !== undefined && p.stepMs !== undefined && newer.ts - v.ts !== p.stepMs) break;
    if (typeof p.builder.build(v, scratch, 0) !== 'number') break;
    start--;
  }
  return kept.slice(start);
}

/**
 * The deterministic part of a strategy actor: feature vectors in, predictions out, no bus and
 * no clock. Every field of a prediction is a function of the vector, the asset's earlier
 * vectors (the occlusion baseline) and the model, so a replay produces identical predictions and
 * ids (`predictionId(strategy, vector.id)`), whatever the batching.
 *
 * Sequence models (a runtime with `inputSteps`, e.g. a GRU from `sextant train --model gru`) read
 * per asset the last `steps` scorable vectors, `stepMs` apart, as one `[steps, features]` window
 * (oldest first), the layout they were trained on. Until an asset has a full window its vectors
 * are counted under `WINDOW_FILLING` and produce no prediction; a vector that cannot be scored
 * (a missing feature) or a gap in event time restarts the window, as a gap breaks a training
 * window. The window holds the vectors themselves, so a hot swap re-reads them under the new
 * model's spec: it predicts at once when the vectors kept cover its window, and otherwise fills
 * on from them (a swap from a one-row model starts empty). The window is part of `toState`; a
 * core started without state refills it (`steps` bars per asset). Occlusion replaces a feature
 * by its reference at every step of the window.
 *
 * @example
 * const core = createStrategyCore({ strategy: 'mlp', model, minConfidence: 0.5, maxIntervalWidth: 0.05, positionSize: 1, allowShort: true, topK: 3 });
 * const preds = await core.onFeatures(vectors);
 */
export function createStrategyCore(opts: StrategyCoreOptions): StrategyCore {
  const { strategy, topK } = opts;
  const rule: IntentRule = {
    minConfidence: opts.minConfidence,
    maxIntervalWidth: opts.maxIntervalWidth,
    positionSize: opts.positionSize,
    allowShort: opts.allowShort,
    ...(opts.sizing === undefined ? {} : { sizing: opts.sizing }),
  };
  checkIntentRule(rule);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be a non-negative integer, got ${topK}`);
  const maxRowsPerRun = opts.maxRowsPerRun ?? 262_144;
  const halfLifeRows = opts.baselineHalfLifeRows ?? 500;

  let current = prepare(opts.model, opts.priceKeys);
  const newBaseline = (p: Prepared, state?: RunningBaselineState): RunningBaseline => createRunningBaseline(p.width, { halfLifeRows, initial: p.initial }, state);
  let baseline: RunningBaseline;
  // venue → symbol → state: two lookups instead of building a key string per vector.
  const assets = new Map<string, Map<string, AssetState>>();
  const assetState = (venue: string, symbol: string): AssetState | undefined => assets.get(venue)?.get(symbol);
  const addAsset = (venue: string, symbol: string, ts: number, id: string): AssetState => {
    let bySymbol = assets.get(venue);
    if (bySymbol === undefined) assets.set(venue, (bySymbol = new Map()));
    const a: AssetState = { key: assetKey(venue, symbol), ts, id, slot: undefined, window: undefined };
    bySymbol.set(symbol, a);
    return a;
  };
  if (opts.state !== undefined) {
    if (opts.state.v !== STRATEGY_CORE_STATE_VERSION) throw new RangeError(`strategy core state v${opts.state.v} is not v${STRATEGY_CORE_STATE_VERSION}`);
    baseline = opts.state.featureSpecHash === current.hash ? newBaseline(current, opts.state.baseline) : newBaseline(current);
    const scratch = new Float32Array(current.width);
    for (const [k, s] of Object.entries(opts.state.last)) {
      const at = k.indexOf(':'); // venues are subject tokens: no ':'
      const a = addAsset(k.slice(0, at), k.slice(at + 1), s.ts, s.id);
      const kept = opts.state.windows?.[k];
      if (current.seq && kept !== undefined) a.window = rechain(kept, current, scratch);
    }
  } else {
    baseline = newBaseline(current);
  }
  const slotOf = (a: AssetState): BaselineSlot => (a.slot ??= baseline.slot(a.key));
  // Intents are immutable: three shared objects instead of one per prediction. Under `sizing:
  // equity` they are fractions, which the decision path sizes into a new intent (never this one).
  const intents = new Map<number, PositionIntent | null>();
  const intentFor = (cls: number, confidence: number, width95: number, price: number): PositionIntent | null => {
    const i = intentOf(cls, confidence, width95, rule, price);
    if (i === null || rule.sizing === 'quote') return i;
    let shared = intents.get(i.target);
    if (shared === undefined) intents.set(i.target, (shared = Object.freeze(i)));
    return shared;
  };

  const stats = { vectorsIn: 0, predictions: 0, withIntent: 0, runs: 0, swaps: 0, skipped: {} as Partial<Record<CoreSkip, number>> };
  const skip = (r: CoreSkip): void => {
    stats.skipped[r] = (stats.skipped[r] ?? 0) + 1;
  };

  let rows: Float32Array = new Float32Array(0);
  let occl: Float32Array = new Float32Array(0);
  const grow = (buf: Float32Array, n: number): Float32Array => (buf.length >= n ? buf : new Float32Array(Math.max(n, buf.length * 2)));

  /** Scores the admitted vectors whose rows are in `rows`: one `run`, then one prediction per row. */
  const scoreChunk = async (p: Prepared, picked: readonly FeatureVector[], prices: readonly number[], owners: readonly AssetState[], out: Prediction[]): Promise<void> => {
    const f = p.width;
    const n = picked.length;
    const occlude = topK > 0;
    const stride = occlude ? occlusionStride(f) : 1;
    // A window's newest row is its last: that row joins the baseline, as a one-row model's does.
    const steps = p.steps;
    const newest = (steps - 1) * f;
    if (occlude) {
      occl = grow(occl, n * stride * steps * f);
      for (let i = 0; i < n; i++) {
        // Reference = the asset's baseline before this row; then the row joins the baseline.
        const slot = slotOf(owners[i] as AssetState);
        if (p.seq) writeWindowOcclusionBlock(rows, i, steps, f, slot.mean, occl);
        else writeOcclusionBlock(rows, i, f, slot.mean, occl);
        baseline.fold(slot, rows, i * steps * f + newest);
      }
    } else {
      for (let i = 0; i < n; i++) baseline.fold(slotOf(owners[i] as AssetState), rows, i * steps * f + newest);
    }
    stats.runs++;
    const batch = occlude ? occl : rows;
    const outs = await (p.seq ? p.model.runtime.run(batch, n * stride, f, steps) : p.model.runtime.run(batch, n * stride, f));
    const probs = outs[p.outputIndex] as Float32Array;
    const scratch = new Float64Array(f);
    const { calibration, name, version } = p.model;
    const { conformal80, conformal95, horizonMs } = calibration;
    const model = { name, version };
    for (let i = 0; i < n; i++) {
      const r = i * stride;
      const pd = probs[r * 3] as number;
      const pf = probs[r * 3 + 1] as number;
      const pu = probs[r * 3 + 2] as number;
      if (!(pd >= 0 && pd <= 1 && pf >= 0 && pf <= 1 && pu >= 0 && pu <= 1)) {
        skip(CoreSkip.badOutput);
        continue;
      }
      const e = expectedReturn(probs, r, p.means);
      let attributions = EMPTY;
      if (occlude) {
        blockContributions(probs, i, f, p.means, scratch);
        attributions = topAttributions(scratch, p.names, topK);
      }
      const v = picked[i] as FeatureVector;
      const s = intervalScale(calibration, v.values, prices[i] as number);
      if (s === undefined) {
        skip(CoreSkip.noScale);
        continue;
      }
      const q80 = conformal80 * s;
      const q95 = conformal95 * s;
      const confidence = pd > pf ? (pd > pu ? pd : pu) : pf > pu ? pf : pu;
      const intent = intentFor(predictedClass(pd, pf, pu), confidence, 2 * q95, prices[i] as number);
      out.push({
        type: 'pred',
        v: 1,
        id: predictionId(strategy, v.id),
        ts: v.ts,
        strategy,
        venue: v.venue,
        symbol: v.symbol,
        source: v.id,
        model,
        featureSpecHash: p.hash,
        horizonMs,
        probs: { down: pd, flat: pf, up: pu },
        expectedReturn: e,
        interval80: [e - q80, e + q80],
        interval95: [e - q95, e + q95],
        attributions,
        confidence,
        price: prices[i] as number,
        intent,
      });
      if (intent !== null) stats.withIntent++;
    }
  };

  const rowScratch = { buf: new Float32Array(0) };
  /**
   * Adds `v` to its asset's window and, once the window is full, writes it (oldest row first) as
   * window `slot` of `rows`; returns the price of `v`, or why it gives no prediction.
   */
  const pushToWindow = (p: Prepared, owner: AssetState, v: FeatureVector): number | CoreSkip => {
    const f = p.width;
    if (rowScratch.buf.length < f) rowScratch.buf = new Float32Array(f);
    const w = (owner.window ??= []);
    // A window only ever holds vectors before the one added (a primed vector scored again after a restart).
    while (w.length > 0 && (w[w.length - 1] as FeatureVector).ts >= v.ts) w.pop();
    const price = p.builder.build(v, rowScratch.buf, 0);
    if (typeof price !== 'number') {
      w.length = 0;
      return price;
    }
    const prev = w[w.length - 1];
    if (prev !== undefined && p.stepMs !== undefined && v.ts - prev.ts !== p.stepMs) w.length = 0;
    w.push(v);
    // More than `steps` only after priming (see `prime`); trimmed at the first vector scored.
    while (w.length > p.steps) w.shift();
    return w.length < p.steps ? CoreSkip.windowFilling : price;
  };
  const admitToWindow = (p: Prepared, owner: AssetState, v: FeatureVector, slot: number): number | CoreSkip => {
    const f = p.width;
    const price = pushToWindow(p, owner, v);
    if (typeof price !== 'number') return price;
    const w = owner.window as FeatureVector[];
    // Every vector of the window built when it was admitted, under the same spec.
    for (let t = 0; t < p.steps; t++) p.builder.build(w[t] as FeatureVector, rows, (slot * p.steps + t) * f);
    return price;
  };

  const apply = async (vectors: readonly FeatureVector[]): Promise<Prediction[]> => {
    const p = current;
    const f = p.width;
    const steps = p.steps;
    const perRow = topK > 0 ? occlusionStride(f) : 1;
    // A window counts as `steps` rows: a run's input stays within maxRowsPerRun × F values.
    const chunkRows = Math.max(1, Math.floor(maxRowsPerRun / (perRow * steps)));
    const out: Prediction[] = [];
    let picked: FeatureVector[] = [];
    let prices: number[] = [];
    let owners: AssetState[] = [];
    rows = grow(rows, Math.min(vectors.length, chunkRows) * steps * f);
    for (const v of vectors) {
      stats.vectorsIn++;
      let owner = assetState(v.venue, v.symbol);
      if (owner !== undefined) {
        // Ids derive from the source message, time included: the same id has the same ts, and
        // comparing times first spares a string comparison (and flattening) per vector.
        if (v.ts === owner.ts && v.id === owner.id) {
          skip(CoreSkip.duplicate);
          continue;
        }
        if (v.ts < owner.ts) {
          skip(CoreSkip.outOfOrder);
          continue;
        }
        owner.ts = v.ts;
        owner.id = v.id;
      } else {
        owner = addAsset(v.venue, v.symbol, v.ts, v.id);
      }
      const price = p.seq ? admitToWindow(p, owner, v, picked.length) : p.builder.build(v, rows, picked.length * f);
      if (typeof price !== 'number') {
        skip(price);
        continue;
      }
      picked.push(v);
      prices.push(price);
      owners.push(owner);
      if (picked.length === chunkRows) {
        await scoreChunk(p, picked, prices, owners, out);
        picked = [];
        prices = [];
        owners = [];
      }
    }
    if (picked.length > 0) await scoreChunk(p, picked, prices, owners, out);
    stats.predictions += out.length;
    return out;
  };

  // One queue for batches and swaps, so a swap lands between two batches, never inside one.
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };

  /** See {@link StrategyCore.prime}; runs inside the queue. */
  const primeNow = (vectors: readonly FeatureVector[]): void => {
    const p = current;
    if (!p.seq) return;
    const byAsset = new Map<AssetState, FeatureVector[]>();
    for (const v of vectors) {
      // Not `last`: redelivery and order checks stay with the vectors actually scored.
      const owner = assetState(v.venue, v.symbol) ?? addAsset(v.venue, v.symbol, -1, '');
      // An asset already scoring takes only vectors it has scored: its windows then depend on
      // the input stream and the swap point, not on how far the history had run ahead.
      if (owner.ts >= 0 && v.ts > owner.ts) continue;
      let list = byAsset.get(owner);
      if (list === undefined) byAsset.set(owner, (list = []));
      list.push(v);
    }
    const scratch = new Float32Array(p.width);
    for (const [owner, list] of byAsset) {
      const held = owner.window ?? [];
      const first = held[0]?.ts ?? Infinity;
      const older = list.filter((v) => v.ts < first).sort((a, b) => a.ts - b.ts);
      // All of the run is kept, not only `steps`: vectors scored again after a restart replace
      // themselves and everything after them, and the window must still be full behind them.
      owner.window = rechain([...older, ...held], p, scratch, Infinity);
    }
  };

  return {
    strategy,
    onFeatures: (vectors) => enqueue(() => apply(vectors)),
    swapModel: (model, history) =>
      enqueue(async () => {
        const next = prepare(model, opts.priceKeys);
        const old = current;
        // Baselines live in model-input space: keep them only when that space is unchanged.
        if (next.hash !== old.hash || (next.model.normalize ?? true) !== (old.model.normalize ?? true)) {
          baseline = newBaseline(next);
          for (const bySymbol of assets.values()) for (const a of bySymbol.values()) a.slot = undefined;
        }
        // Windows hold vectors, not model rows: the new model re-reads what it can use of them.
        const scratch = new Float32Array(next.width);
        for (const bySymbol of assets.values()) for (const a of bySymbol.values()) a.window = next.seq && a.window !== undefined ? rechain(a.window, next, scratch) : undefined;
        current = next;
        stats.swaps++;
        // Inside the swap's turn in the queue: no batch is scored between the swap and the priming.
        // The swap stands without it when the history cannot be read (the windows fill from new bars).
        if (next.seq && history !== undefined) primeNow(await history().catch(() => []));
        return old.model;
      }),
    model: () => ({ name: current.model.name, version: current.model.version, featureSpecHash: current.hash }),
    window: () => (current.seq ? { steps: current.steps, stepMs: current.stepMs ?? 0 } : undefined),
    prime: (vectors) =>
      enqueue(() => {
        primeNow(vectors);
        return Promise.resolve();
      }),
    stats: () => ({ ...stats, skipped: { ...stats.skipped } }),
    toState: () => ({
      v: STRATEGY_CORE_STATE_VERSION,
      featureSpecHash: current.hash,
      baseline: baseline.toState(),
      last: Object.fromEntries([...assets.values()].flatMap((m) => [...m.values()].map((a) => [a.key, { ts: a.ts, id: a.id }]))),
      ...(current.seq ? { windows: Object.fromEntries([...assets.values()].flatMap((m) => [...m.values()].filter((a) => (a.window?.length ?? 0) > 0).map((a) => [a.key, [...(a.window ?? [])]]))) } : {}),
    }),
  };
}
