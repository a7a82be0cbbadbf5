import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStrategyCore } from '../../models/inference/strategy-core.js';
import { exportDenseMlp } from '../../models/onnx/dense-mlp.js';
import type { StrategyCoreOptions, StrategyModel } from '../../models/inference/strategy-core.js';
import { featureSpecHash } from '../../models/registry/feature-spec.js';
import type { ModelRuntime } from '../../models/runtime/model-runtime.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { PredictionSchema, predictionId } from '../../streams/messages/prediction.js';
import { referenceLayers } from '../models/reference-mlp.js';
import { CALIBRATION, counting, mlpOnnx, SPEC, vectors } from './fixtures.js';

const rts: ModelRuntime[] = [];
let v1: StrategyModel;
let v2: StrategyModel;
let rt1: ModelRuntime & { calls: number[] };

beforeAll(async () => {
  const a = await createOnnxRuntime({ bytes: mlpOnnx(1) }, { thread: 'main' });
  const b = await createOnnxRuntime({ bytes: mlpOnnx(2) }, { thread: 'worker' });
  rts.push(a, b);
  rt1 = counting(a);
  v1 = { name: 'direction', version: 1, runtime: rt1, featureSpec: SPEC, calibration: CALIBRATION, featureSpecHash: featureSpecHash(SPEC) };
  v2 = { name: 'direction', version: 2, runtime: b, featureSpec: SPEC, calibration: { ...CALIBRATION, conformal95: 0.007 } };
});
afterAll(async () => {
  await Promise.all(rts.map((r) => r.dispose()));
});

const options = (over: Partial<StrategyCoreOptions> = {}): StrategyCoreOptions => ({
  strategy: 'mlp',
  model: v1,
  minConfidence: 0.45,
  maxIntervalWidth: 0.05,
  positionSize: 1.5,
  allowShort: true,
  topK: 3,
  ...over,
});

const input = vectors(200);
const scorable = input.filter((v) => v.values.rsi_14 !== null);

async function inBatches(opts: StrategyCoreOptions, vs: readonly FeatureVector[], size: number): Promise<Prediction[]> {
  const core = createStrategyCore(opts);
  const out: Prediction[] = [];
  for (let i = 0; i < vs.length; i += size) out.push(...(await core.onFeatures(vs.slice(i, i + size))));
  return out;
}

describe('strategy core on a real onnxruntime session', () => {
  it('predicts every scorable vector once, in order, with schema-valid predictions from one run per call', async () => {
    const core = createStrategyCore(options());
    const before = rt1.calls.length;
    const preds = await core.onFeatures(input);
    expect(rt1.calls.slice(before)).toEqual([scorable.length * (1 + SPEC.features.length)]);
    expect(preds.map((p) => p.id)).toEqual(scorable.map((v) => predictionId('mlp', v.id)));
    for (const p of preds) expect(PredictionSchema.safeParse(p).error).toBeUndefined();
    const p = preds[0] as Prediction;
    const v = scorable[0] as FeatureVector;
    expect(p).toMatchObject({ ts: v.ts, source: v.id, venue: v.venue, symbol: v.symbol, price: v.values.close, model: { name: 'direction', version: 1 }, featureSpecHash: featureSpecHash(SPEC), horizonMs: CALIBRATION.horizonMs });
    const { down, flat, up } = p.probs;
    expect(down + flat + up).toBeCloseTo(1, 5);
    expect(p.expectedReturn).toBeCloseTo(down * -0.004 + flat * 0.0001 + up * 0.005, 12);
    expect(p.interval80[1] - p.interval80[0]).toBeCloseTo(0.006, 12);
    expect(p.interval95[0]).toBeCloseTo(p.expectedReturn - 0.006, 12);
    expect(p.confidence).toBe(Math.max(down, flat, up));
    expect(p.attributions).toHaveLength(3);
    expect(core.stats()).toMatchObject({ vectorsIn: input.length, predictions: scorable.length, runs: 1, skipped: { MISSING_FEATURE: input.length - scorable.length } });
  });

  it('gives identical predictions (ids and payloads) for the same inputs, whatever the batching', async () => {
    const all = await inBatches(options(), input, input.length);
    expect(await inBatches(options(), input, input.length)).toEqual(all);
    expect(await inBatches(options(), input, 1)).toEqual(all);
    expect(await inBatches(options(), input, 37)).toEqual(all);
    const noOcclusion = await inBatches(options({ topK: 0 }), input, 50);
    expect(noOcclusion.map(({ attributions: _a, ...rest }) => rest)).toEqual(all.map(({ attributions: _a, ...rest }) => rest));
    expect(noOcclusion.every((p) => p.attributions.length === 0)).toBe(true);
  });

  it('attributions at the first vector of an asset measure deviation from the training mean', async () => {
    // Before any row the baseline is the training mean (0 after standardisation): occluding a
    // feature whose value is its mean changes nothing.
    const v = scorable[0] as FeatureVector;
    const close = v.values.close as number;
    const atMean: FeatureVector = { ...v, values: { ...v.values, rsi_14: 50, sma_20: close } };
    const [p] = await createStrategyCore(options({ topK: 5 })).onFeatures([atMean]);
    const byName = Object.fromEntries((p as Prediction).attributions.map((a) => [a.feature, a.contribution]));
    expect(byName.rsi_14).toBe(0);
    expect(byName.sma_20).toBe(0);
    expect(Object.values(byName).some((c) => c !== 0)).toBe(true);
  });

  it('attributions after an asset\'s first vector measure deviation from that asset\'s running baseline, not the training mean nor another asset\'s', async () => {
    const [a1, b1] = scorable.filter((v) => v.symbol !== 'SOL/USD') as [FeatureVector, FeatureVector];
    expect([a1.symbol, b1.symbol]).toEqual(['BTC/USDT', 'ETH/USDT']);
    const far = { ...a1, values: { ...a1.values, rsi_14: 85 } }; // far from the training mean (50)
    // BTC's second vector repeats its first in every feature but the return and volatility; ETH's, in between, differs in all.
    const a2: FeatureVector = { ...far, id: `${far.id}:2`, source: `${far.source}:2`, ts: far.ts + 300_000, values: { ...far.values, log_ret_1: 0.004, ewma_vol: 0.02 } };
    const b: FeatureVector = { ...b1, values: { ...b1.values, rsi_14: 20 } };
    const byName = (p: Prediction | undefined): Record<string, number> => Object.fromEntries((p?.attributions ?? []).map((x) => [x.feature, x.contribution]));
    // A half-life of ~0 rows: the baseline is the asset's previous row exactly.
    const recent = await createStrategyCore(options({ topK: 5, baselineHalfLifeRows: 1e-9 })).onFeatures([far, b, a2]);
    const second = byName(recent[2]);
    expect(recent[2]?.source).toBe(a2.id);
    expect([second.rsi_14, second.sma_20, second.atr_14]).toEqual([0, 0, 0]); // unchanged since BTC's last row
    expect(second.log_ret_1).not.toBe(0);
    expect(second.ewma_vol).not.toBe(0);
    // Control: with the default half-life (500 rows) the reference has barely left the training
    // mean, so BTC's RSI of 85 still counts; and its first prediction measures from that mean.
    const slow = await createStrategyCore(options({ topK: 5 })).onFeatures([far, b, a2]);
    expect(byName(slow[2]).rsi_14).not.toBe(0);
    expect(Math.abs(byName(slow[2]).rsi_14 ?? 0)).toBeGreaterThan(Math.abs(second.log_ret_1 ?? 0) * 1e-6);
    expect(byName(recent[0])).toEqual(byName(slow[0]));
  });

  it('withholds intent when confidence is low or the 95% interval is too wide', async () => {
    const all = await inBatches(options({ minConfidence: 0 }), input, 200);
    expect(all.every((p) => p.intent !== null)).toBe(true);
    for (const p of all) {
      const { down, flat, up } = p.probs;
      const expected = up > down && up > flat ? 1.5 : down > up && down > flat ? -1.5 : 0;
      expect(p.intent?.target).toBe(expected);
    }
    const threshold = [...all.map((p) => p.confidence)].sort((a, b) => a - b)[Math.floor(all.length / 2)] as number;
    const gated = await inBatches(options({ minConfidence: threshold }), input, 200);
    expect(gated.map((p) => p.intent === null)).toEqual(all.map((p) => p.confidence < threshold));
    expect(gated.some((p) => p.intent === null) && gated.some((p) => p.intent !== null)).toBe(true);
    const wide = await inBatches(options({ minConfidence: 0, maxIntervalWidth: 0.0119 }), input, 200);
    expect(wide.every((p) => p.intent === null)).toBe(true);
    const longOnly = await inBatches(options({ minConfidence: 0, allowShort: false }), input, 200);
    expect(longOnly.every((p) => (p.intent?.target ?? 0) >= 0)).toBe(true);
  });

  it("scales each prediction's intervals by its ATR14/close when the model was calibrated so: the width check tells calm from wild", async () => {
    const scaled: StrategyModel = { ...v1, calibration: { ...CALIBRATION, conformal80: 1, conformal95: 2, conformalScale: 'atr_14/close' } };
    const preds = await inBatches(options({ model: scaled, minConfidence: 0, maxIntervalWidth: 0.02 }), input, 200);
    expect(preds.length).toBe(scorable.length);
    const byId = new Map(input.map((v) => [v.id, v]));
    for (const p of preds) {
      const s = (byId.get(p.source)?.values['atr_14'] as number) / p.price;
      expect(p.interval95[1] - p.interval95[0]).toBeCloseTo(4 * s, 12);
      expect(p.interval80[1] - p.interval80[0]).toBeCloseTo(2 * s, 12);
      expect(p.intent === null).toBe(4 * s > 0.02);
    }
    expect(preds.some((p) => p.intent === null) && preds.some((p) => p.intent !== null)).toBe(true);
    // A vector without a usable ATR14 has no interval to give: skipped and counted, not guessed.
    const core = createStrategyCore(options({ model: scaled }));
    const noAtr = scorable.slice(0, 3).map((v, i) => ({ ...v, values: { ...v.values, atr_14: i === 1 ? 0 : v.values['atr_14'] ?? null } }));
    const out = await core.onFeatures(noAtr);
    expect(out.length).toBe(3); // ATR 0 is a (narrow) interval, not a missing one
    expect(core.stats().skipped['NO_SCALE'] ?? 0).toBe(0);
  });

  it('hot-swaps the model between batches without losing or duplicating a prediction', async () => {
    const core = createStrategyCore(options());
    const parts = [input.slice(0, 150), input.slice(150, 300), input.slice(300, 450), input.slice(450)];
    // Nothing awaited: the swap is queued behind the first two batches and ahead of the others.
    const p0 = core.onFeatures(parts[0] as FeatureVector[]);
    const p1 = core.onFeatures(parts[1] as FeatureVector[]);
    const swapped = core.swapModel(v2);
    const p2 = core.onFeatures(parts[2] as FeatureVector[]);
    const p3 = core.onFeatures(parts[3] as FeatureVector[]);
    const [r0, r1, old, r2, r3] = await Promise.all([p0, p1, swapped, p2, p3]);
    expect(old.version).toBe(1);
    const all = [...r0, ...r1, ...r2, ...r3];
    expect(all.map((p) => p.id)).toEqual(scorable.map((v) => predictionId('mlp', v.id)));
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    expect([...r0, ...r1].every((p) => p.model.version === 1)).toBe(true);
    expect([...r2, ...r3].every((p) => p.model.version === 2 && p.interval95[1] - p.interval95[0] > 0.0139)).toBe(true);
    expect(core.model().version).toBe(2);
    // The old model's predictions equal those of a core that never swapped.
    const reference = await inBatches(options(), input.slice(0, 300), 300);
    expect([...r0, ...r1]).toEqual(reference);
  });

  it('continues bit-identically from its saved state (baselines and last vector per asset)', async () => {
    const whole = await inBatches(options(), input, 100);
    const first = createStrategyCore(options());
    const head = await first.onFeatures(input.slice(0, 250));
    const second = createStrategyCore(options({ state: JSON.parse(JSON.stringify(first.toState())) }));
    const tail = await second.onFeatures(input.slice(250));
    expect([...head, ...tail]).toEqual(whole);
  });

  it('skips redelivered and out-of-order vectors of an asset, and counts them', async () => {
    const core = createStrategyCore(options());
    const [a, b, c] = scorable.filter((v) => v.symbol === 'BTC/USDT');
    const preds = await core.onFeatures([a, b, b, a, c] as FeatureVector[]);
    expect(preds.map((p) => p.source)).toEqual([a, b, c].map((v) => v?.id));
    expect(core.stats().skipped).toEqual({ DUPLICATE: 1, OUT_OF_ORDER: 1 });
  });

  it('splits inputs above maxRowsPerRun into several runs with the same predictions', async () => {
    const whole = await inBatches(options(), input, input.length);
    const before = rt1.calls.length;
    const split = await inBatches(options({ maxRowsPerRun: 60 * (1 + SPEC.features.length) }), input, input.length);
    expect(rt1.calls.slice(before)).toEqual([60, 60, 60, 60, 60, 60, 60, 60, 60, scorable.length - 540].map((n) => n * (1 + SPEC.features.length)));
    expect(split).toEqual(whole);
  });

  it('feeds raw transformed features to a model that standardises inside its graph (normalize: false)', async () => {
    const layers = referenceLayers(1, [SPEC.features.length, 16, 3]);
    const bytes = exportDenseMlp({ layers, inputName: 'features', outputName: 'probs', normalization: { mean: SPEC.mean, std: SPEC.std } });
    const inGraph = await createOnnxRuntime({ bytes }, { thread: 'main' });
    rts.push(inGraph);
    const a = await inBatches(options(), input.slice(0, 60), 60);
    const b = await inBatches(options({ model: { ...v1, runtime: inGraph, normalize: false } }), input.slice(0, 60), 60);
    expect(b.map((p) => p.id)).toEqual(a.map((p) => p.id));
    b.forEach((p, i) => {
      expect(p.probs.up).toBeCloseTo((a[i] as Prediction).probs.up, 5);
      expect(p.expectedReturn).toBeCloseTo((a[i] as Prediction).expectedReturn, 7);
      expect(p.attributions.map((x) => x.feature)).toEqual((a[i] as Prediction).attributions.map((x) => x.feature));
    });
  });

  it('refuses a model whose input width, output width or spec hash does not match', () => {
    const narrow = { ...SPEC, features: SPEC.features.slice(0, 4), mean: SPEC.mean.slice(0, 4), std: SPEC.std.slice(0, 4), transforms: SPEC.transforms.slice(0, 4) };
    expect(() => createStrategyCore(options({ model: { ...v1, featureSpec: narrow, featureSpecHash: undefined } }))).toThrow(/reads 5 features but its spec lists 4/);
    expect(() => createStrategyCore(options({ model: { ...v1, featureSpecHash: 'deadbeef' } }))).toThrow(/does not match/);
    expect(() => createStrategyCore(options({ model: { ...v1, runtime: { ...v1.runtime, outputWidths: [2] } } }))).toThrow(/expected 3/);
  });
});
