import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStrategyCore } from '../../models/inference/strategy-core.js';
import type { StrategyCoreOptions, StrategyModel } from '../../models/inference/strategy-core.js';
import { exportGruClassifier } from '../../models/onnx/gru-classifier.js';
import { gruLayersOf } from '../../models/onnx/tfjs-gru-layers.js';
import { featureSpecHash } from '../../models/registry/feature-spec.js';
import type { FeatureSpec } from '../../models/registry/feature-spec.js';
import { sequenceWindowOf } from '../../models/registry/sequence-window.js';
import type { ModelRuntime } from '../../models/runtime/model-runtime.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { predictRows } from '../../models/training/fit-classifier.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import { sequenceMatrix, windowChains } from '../../models/training/sequence-windows.js';
import { buildGruClassifier } from '../../models/training/train-gru.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { PredictionSchema } from '../../streams/messages/prediction.js';
import { referenceLayers } from '../models/reference-mlp.js';
import { exportDenseMlp } from '../../models/onnx/dense-mlp.js';
import { setWeightsRandom } from '../training/set-weights-random.js';
import { tinyRegistry } from '../training/tiny-registry.js';
import { BAR_MS, referenceWindow, trainRealGru } from './gru-on-real-bars.js';
import type { BarEvent, RealGru } from './gru-on-real-bars.js';

const W = 8;
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];

let g: RealGru;
let served: StrategyModel;
const rts: ModelRuntime[] = [];
/** The bars served (not seen in training), both symbols interleaved in time order. */
let stream: FeatureVector[];
/** Vector id → [symbol's events, index]: where a prediction's window ends. */
const where = new Map<string, [readonly BarEvent[], number]>();

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

const options = (model: StrategyModel, over: Partial<StrategyCoreOptions> = {}): StrategyCoreOptions => ({
  strategy: 'gru',
  model,
  minConfidence: 0.4,
  maxIntervalWidth: 1,
  positionSize: 1,
  allowShort: true,
  topK: 0,
  ...over,
});

/** tfjs probabilities of the reference windows ending at each prediction's vector. */
function tfjsProbs(preds: readonly Prediction[]): Float32Array {
  const x = new Float32Array(preds.length * W * g.featureSpec.features.length);
  preds.forEach((p, i) => {
    const [events, k] = where.get(p.source) ?? [[], -1];
    const ref = referenceWindow(g, events, k);
    if (ref === undefined) throw new Error(`no reference window for ${p.source}`);
    x.set(ref, i * ref.length);
  });
  return predictRows(g.tfjs, { x, rows: preds.length, shape: [W, g.featureSpec.features.length] });
}

const probsOf = (preds: readonly Prediction[]): Float32Array => Float32Array.from(preds.flatMap((p) => [p.probs.down, p.probs.flat, p.probs.up]));

/** A GRU with seeded random weights over the same features, exported with a window of `steps`. */
function randomGru(steps: number, seed: number): Uint8Array {
  const m = buildGruClassifier(steps, g.featureSpec.features.length, { units: 4, classes: 3 });
  try {
    setWeightsRandom(m, mulberry32(seed));
    const { gru, head } = gruLayersOf(m);
    return exportGruClassifier({ gru, head, window: steps, inputName: 'windows', outputName: 'probs' });
  } finally {
    m.dispose();
  }
}
const withWindow = (spec: FeatureSpec, steps: number | undefined): FeatureSpec => {
  const { window: _drop, ...rest } = spec;
  return steps === undefined ? rest : { ...rest, window: { steps, stepMs: BAR_MS } };
};
async function runtime(bytes: Uint8Array): Promise<ModelRuntime> {
  const rt = await createOnnxRuntime({ bytes }, { thread: 'main' });
  rts.push(rt);
  return rt;
}

beforeAll(async () => {
  g = await trainRealGru(SYMBOLS, '2023-01-01', '2023-05-01', W);
  // Through a registry, as the engine loads it: the window travels in the feature spec.
  const registry = tinyRegistry();
  const v = await registry.register(
    { name: 'direction-gru', format: 'onnx', metrics: {}, featureSpec: g.featureSpec, calibration: g.calibration, trainRange: { from: 0, to: 1 }, parentVersion: null, configHash: 'test', details: {} },
    g.onnx,
  );
  served = { name: v.name, version: v.version, runtime: await runtime(await registry.artifact(v)), featureSpec: v.featureSpec, calibration: v.calibration, featureSpecHash: v.featureSpecHash };
  const all: FeatureVector[] = [];
  for (const events of g.events.values()) {
    events.forEach((e, k) => {
      where.set(e.vector.id, [events, k]);
      if (e.vector.ts >= g.servingFrom) all.push(e.vector);
    });
  }
  stream = all.sort((a, b) => a.ts - b.ts || a.symbol.localeCompare(b.symbol));
}, 180_000);
afterAll(async () => {
  g.tfjs.dispose();
  await Promise.all(rts.map((r) => r.dispose()));
});

describe('serving a GRU (sequence model) through the strategy core', () => {
  it('gives the probabilities of tfjs model.predict on the same windows (to 1e-5), with conformal intervals, on real 1h bars', async () => {
    expect(served.runtime.inputSteps).toBe(W);
    const core = createStrategyCore(options(served));
    const preds: Prediction[] = [];
    for (let i = 0; i < stream.length; i += 97) preds.push(...(await core.onFeatures(stream.slice(i, i + 97))));
    // Every served bar has its features (the warm-up is long past): only the first W − 1 bars of each symbol wait.
    expect(core.stats().skipped).toEqual({ WINDOW_FILLING: (W - 1) * SYMBOLS.length });
    expect(preds.length).toBe(stream.length - (W - 1) * SYMBOLS.length);
    expect(preds.length).toBeGreaterThan(300);
    expect(maxAbsDiff(probsOf(preds), tfjsProbs(preds))).toBeLessThan(1e-5);
    const { conformal80: q80, conformal95: q95 } = g.calibration;
    for (const p of preds) {
      expect(PredictionSchema.safeParse(p).error).toBeUndefined();
      expect(p.interval80[0]).toBeCloseTo(p.expectedReturn - q80, 12);
      expect(p.interval95[1]).toBeCloseTo(p.expectedReturn + q95, 12);
      expect(p.featureSpecHash).toBe(featureSpecHash(g.featureSpec));
    }
    expect(preds.some((p) => p.intent !== null)).toBe(true);
  });

  it('builds the windows training built: the reference windows equal sequenceMatrix rows of the training dataset', () => {
    const { ds, standardiser } = g;
    const chains = windowChains(ds, W);
    const rows = Int32Array.from({ length: 40 }, (_, i) => ds.rows - 400 + i * 9);
    const m = sequenceMatrix(ds, chains, rows, W, standardiser);
    expect(m.rows).toBe(40);
    m.indices.forEach((row, r) => {
      const events = g.events.get(ds.symbols[ds.symbolIndex[row] as number] as string) as readonly BarEvent[];
      const k = events.findIndex((e) => e.vector.ts === ds.ts[row]);
      const ref = referenceWindow(g, events, k) as Float32Array;
      expect(maxAbsDiff(ref, m.x.subarray(r * ref.length, (r + 1) * ref.length))).toBeLessThan(1e-5);
    });
  });

  it('occludes a feature across the whole window: attributions equal tfjs with that feature at its reference at every step', async () => {
    const f = g.featureSpec.features.length;
    const core = createStrategyCore(options(served, { topK: f }));
    const plain = createStrategyCore(options(served));
    const head = stream.slice(0, 60);
    const preds = await core.onFeatures(head);
    expect(maxAbsDiff(probsOf(preds), probsOf(await plain.onFeatures(head)))).toBe(0);
    // The first prediction of an asset has the training mean (0 after standardising) as its reference.
    const firsts = SYMBOLS.map((s) => preds.find((p) => p.symbol === s) as Prediction);
    for (const p of firsts) {
      const [events, k] = where.get(p.source) as [readonly BarEvent[], number];
      const ref = referenceWindow(g, events, k) as Float32Array;
      const x = new Float32Array((1 + f) * ref.length);
      x.set(ref);
      for (let j = 0; j < f; j++) {
        x.set(ref, (1 + j) * ref.length);
        for (let t = 0; t < W; t++) x[(1 + j) * ref.length + t * f + j] = 0;
      }
      const probs = predictRows(g.tfjs, { x, rows: 1 + f, shape: [W, f] });
      const means = g.calibration.classMeanReturns;
      const e = (r: number): number => (probs[r * 3] as number) * means[0] + (probs[r * 3 + 1] as number) * means[1] + (probs[r * 3 + 2] as number) * means[2];
      expect(p.attributions).toHaveLength(f);
      for (const a of p.attributions) {
        const j = g.featureSpec.features.indexOf(a.feature);
        expect(Math.abs(a.contribution - (e(0) - e(1 + j)))).toBeLessThan(1e-7);
      }
      expect(p.attributions.some((a) => Math.abs(a.contribution) > 1e-6)).toBe(true);
    }
  });

  it('emits nothing until an asset has W consecutive rows; a gap in event time or a missing feature restarts its window', async () => {
    const core = createStrategyCore(options(served));
    const btc = stream.filter((v) => v.symbol === 'BTC/USDT');
    expect(await core.onFeatures(btc.slice(0, W - 1))).toEqual([]);
    expect(core.stats().skipped).toEqual({ WINDOW_FILLING: W - 1 });
    expect(await core.onFeatures(btc.slice(W - 1, W))).toHaveLength(1);
    // Bar W + 1 is missing: the window restarts at bar W + 2.
    expect(await core.onFeatures(btc.slice(W + 1, 2 * W))).toEqual([]);
    expect(await core.onFeatures(btc.slice(2 * W, 2 * W + 2))).toHaveLength(2);
    const broken = { ...(btc[2 * W + 2] as FeatureVector), values: { ...(btc[2 * W + 2] as FeatureVector).values, rsi_14: null } };
    expect(await core.onFeatures([broken, ...btc.slice(2 * W + 3, 3 * W + 2)])).toEqual([]);
    expect(await core.onFeatures(btc.slice(3 * W + 2, 3 * W + 3))).toHaveLength(1);
    expect(core.stats().skipped).toEqual({ WINDOW_FILLING: (W - 1) * 3, MISSING_FEATURE: 1 });
  });

  it('hot-swaps across windows from the vectors it keeps: a shorter window predicts at once, a longer one fills on, a one-row model drops them', async () => {
    const short = W - 3;
    const long = W + 4;
    const mShort: StrategyModel = { name: 'g', version: 2, runtime: await runtime(randomGru(short, 2)), featureSpec: withWindow(g.featureSpec, short), calibration: g.calibration };
    const mLong: StrategyModel = { name: 'g', version: 3, runtime: await runtime(randomGru(long, 3)), featureSpec: withWindow(g.featureSpec, long), calibration: g.calibration };
    const mlpSpec = withWindow(g.featureSpec, undefined);
    const mlp: StrategyModel = {
      name: 'm',
      version: 1,
      runtime: await runtime(exportDenseMlp({ layers: referenceLayers(4, [mlpSpec.features.length, 8, 3]), inputName: 'features', outputName: 'probs' })),
      featureSpec: mlpSpec,
      calibration: g.calibration,
    };
    const btc = stream.filter((v) => v.symbol === 'BTC/USDT');
    const core = createStrategyCore(options(served));
    let at = W + 2;
    expect(await core.onFeatures(btc.slice(0, at))).toHaveLength(3);
    await core.swapModel(mShort);
    const next = async (): Promise<Prediction[]> => core.onFeatures(btc.slice(at, ++at));
    expect((await next()).map((p) => p.model.version)).toEqual([2]);
    await core.swapModel(mLong);
    // The short model kept its `short` vectors: the long one fills on from them, `long − short` bars more.
    for (let i = 0; i < long - short - 1; i++) expect(await next()).toEqual([]);
    expect((await next()).map((p) => p.model.version)).toEqual([3]);
    await core.swapModel(mlp);
    expect((await next()).map((p) => p.model.name)).toEqual(['m']);
    // A one-row model keeps no window: back on the GRU, the window starts empty.
    await core.swapModel(served);
    for (let i = 0; i < W - 1; i++) expect(await next()).toEqual([]);
    expect((await next()).map((p) => p.model.name)).toEqual(['direction-gru']);
    expect(core.stats().swaps).toBe(4);
  });

  it('continues from toState with its windows (same predictions as one core); a core without state refills', async () => {
    const one = createStrategyCore(options(served, { topK: 3 }));
    const all = await one.onFeatures(stream.slice(0, 200));
    const first = createStrategyCore(options(served, { topK: 3 }));
    const a = await first.onFeatures(stream.slice(0, 111));
    const state = JSON.parse(JSON.stringify(first.toState())) as ReturnType<typeof first.toState>;
    expect(Object.keys(state.windows ?? {}).sort()).toEqual(SYMBOLS.map((s) => `binance:${s}`));
    const resumed = createStrategyCore(options(served, { topK: 3, state }));
    const b = await resumed.onFeatures(stream.slice(111, 200));
    expect([...a, ...b]).toEqual(all);
    const fresh = createStrategyCore(options(served, { topK: 3 }));
    expect(await fresh.onFeatures(stream.slice(111, 111 + 2 * (W - 1)))).toEqual([]);
  });

  it('primes windows from earlier vectors (a restart): the first new bar predicts as an uninterrupted core would; an asset already scoring takes none it has not scored', async () => {
    const one = createStrategyCore(options(served));
    const all = await one.onFeatures(stream.slice(0, 200));
    const restarted = createStrategyCore(options(served));
    expect(restarted.window()).toEqual({ steps: W, stepMs: BAR_MS });
    // History up to bar 110, scored again from bar 100 (redelivered after the restart).
    await restarted.prime(stream.slice(80, 110));
    const after = await restarted.onFeatures(stream.slice(100, 200));
    const later = new Set(stream.slice(100, 200).map((v) => v.id));
    expect(after).toEqual(all.filter((p) => later.has(p.source)));
    expect(restarted.stats().skipped).toEqual({});
    // A core that has scored up to bar 150 ignores primed vectors after it (the history ran ahead).
    const running = createStrategyCore(options(served));
    await running.onFeatures(stream.slice(0, 150));
    await running.prime(stream.slice(0, 180));
    const rest = await running.onFeatures(stream.slice(150, 200));
    const tail = new Set(stream.slice(150, 200).map((v) => v.id));
    expect(rest).toEqual(all.filter((p) => tail.has(p.source)));
  });

  it('refuses at load a sequence model it cannot serve: no window, a window other than its graph, a window on a one-row model', () => {
    const { featureSpecHash: _hash, ...unhashed } = served;
    expect(() => createStrategyCore(options({ ...unhashed, featureSpec: withWindow(g.featureSpec, undefined) }))).toThrow(/neither its feature spec nor its registry details give the window length/);
    expect(() => createStrategyCore(options({ ...unhashed, featureSpec: withWindow(g.featureSpec, W + 1) }))).toThrow(/reads windows of 8 steps but its spec says 9/);
    const { inputSteps: _steps, ...flat } = served.runtime;
    expect(() => createStrategyCore(options({ ...served, runtime: flat }))).toThrow(/8-step window but its runtime reads one \[rows, features\] row/);
    // A GRU registered before specs carried the window: its details give it, and the spec hash is unchanged.
    const legacy = withWindow(g.featureSpec, undefined);
    const window = sequenceWindowOf({ featureSpec: legacy, details: { input: { layout: '[batch, window, features]', window: W, order: 'oldest bar first' }, options: { barMs: BAR_MS } } });
    expect(window).toEqual({ steps: W, stepMs: BAR_MS });
    expect(sequenceWindowOf({ featureSpec: legacy, details: { input: { layout: '[batch, features]' } } })).toBeUndefined();
    expect(() => createStrategyCore(options({ ...served, featureSpec: legacy, featureSpecHash: featureSpecHash(legacy), ...(window !== undefined ? { window } : {}) }))).not.toThrow();
    // Specs without a window hash as they did before the field existed; a window changes the hash.
    const { features, mean, std, transforms } = legacy;
    expect(featureSpecHash(legacy)).toBe(createHash('sha256').update(JSON.stringify({ version: 1, features, mean, std, transforms })).digest('hex').slice(0, 16));
    expect(featureSpecHash(legacy)).not.toBe(featureSpecHash(g.featureSpec));
  });
});
