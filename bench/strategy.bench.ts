/**
 * Strategy-actor throughput (not a test; run it alone on a quiet machine):
 * `npx tsx bench/strategy.bench.ts [--quick]`.
 *
 * For the 25 → 64 → 64 → 3 reference MLP, per batch size: the raw `runtime.run` rate over
 * B × 25 rows (the baseline, same process and session), then `StrategyCore.onFeatures` over B
 * feature vectors — input building, one batched run, probabilities → expected return, intervals,
 * intent and Prediction objects — without occlusion (topK 0) and with occlusion (topK 3: B × 26
 * model rows in the same call). Figures are predictions (or rows) per second.
 */
import { availableParallelism, cpus } from 'node:os';
import { createStrategyCore } from '../models/inference/strategy-core.js';
import { FEATURE_NAMES } from '../models/features/feature-names.js';
import type { FeatureSpec } from '../models/registry/feature-spec.js';
import type { ModelRuntime } from '../models/runtime/model-runtime.js';
import { createOnnxRuntime } from '../models/runtime/onnx-runtime.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import { mulberry32, uniform } from '../test/models/mulberry32.js';
import { REFERENCE_SIZES, referenceMlpOnnx } from '../test/models/reference-mlp.js';

const quick = process.argv.includes('--quick');
const F = REFERENCE_SIZES[0];
const ASSETS = 512;
const LEVELS = new Set(['sma_20', 'sma_50', 'sma_200', 'ema_12', 'ema_26', 'ema_50', 'ema_200', 'bb_upper_20_2', 'bb_middle_20_2', 'bb_lower_20_2', 'vwap_daily_utc_tp', 'mid']);
const spec: FeatureSpec = {
  version: 1,
  features: [...FEATURE_NAMES],
  mean: FEATURE_NAMES.map((n) => (LEVELS.has(n) ? 1 : 0)),
  std: FEATURE_NAMES.map(() => 1),
  transforms: FEATURE_NAMES.map((n) => (LEVELS.has(n) ? 'rel_price' : 'raw')),
};
const calibration = { classMeanReturns: [-0.004, 0.0001, 0.005] as const, conformal80: 0.003, conformal95: 0.006, horizonMs: 3_600_000 };

type MutableVector = { -readonly [K in keyof FeatureVector]: FeatureVector[K] };

/**
 * One batch of vectors over {@link ASSETS} assets; {@link advance} turns it into the next round's.
 * Values are built in one shape, the feature columns in {@link FEATURE_NAMES} order and then
 * `close`, as the asset actor's vectors are (the engine's object literal, then the bar's close)
 * and as JSON-decoded ones share one. (Until 2026-12-01 they were built key by key, which leaves
 * V8 dictionary-mode objects that no engine vector is.)
 */
function makeVectors(n: number): MutableVector[] {
  const rng = mulberry32(n);
  return Array.from({ length: n }, (_, i) => {
    const close = 100 + rng();
    const values: Record<string, number> = Object.fromEntries([...FEATURE_NAMES.map((name) => [name, LEVELS.has(name) ? close * (1 + (rng() - 0.5) * 0.02) : rng() - 0.5]), ['close', close]]);
    const a = i % ASSETS;
    return { type: 'feat.vector', v: 1, id: `f:bar:${a}:0:${i}`, venue: 'bench', symbol: `A${a}/USDT`, ts: 1_700_000_000_000 + i, source: `bar:${a}:0:${i}`, values };
  });
}

/** New ids and later timestamps, so the core sees fresh vectors rather than redeliveries (untimed). */
function advance(vs: MutableVector[], round: number): void {
  for (let i = 0; i < vs.length; i++) {
    const v = vs[i] as MutableVector;
    v.ts += vs.length;
    v.id = `f:bar:${round}:${i}`;
  }
}

/** Seconds spent inside `fn` over `calls` calls, after a warm-up; `prepare` runs untimed before each. */
async function timeCalls(calls: number, fn: () => Promise<unknown>, prepare: () => void = () => {}): Promise<number> {
  for (let i = 0; i < Math.min(10, calls); i++) {
    prepare();
    await fn();
  }
  let ms = 0;
  for (let i = 0; i < calls; i++) {
    prepare();
    const t0 = performance.now();
    await fn();
    ms += performance.now() - t0;
  }
  return ms / 1000;
}

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0));

async function bench(rt: ModelRuntime, label: string, batch: number): Promise<void> {
  const budget = quick ? 400_000 : 3_000_000;
  const calls = Math.max(20, Math.ceil(budget / batch));
  const x = uniform(mulberry32(3), batch * F, -1, 1);
  const raw = (batch * calls) / (await timeCalls(calls, () => rt.run(x, batch, F)));

  const measure = async (topK: number, n: number): Promise<number> => {
    const core = createStrategyCore({ strategy: 'bench', model: { name: 'ref', version: 1, runtime: rt, featureSpec: spec, calibration }, minConfidence: 0.4, maxIntervalWidth: 0.05, positionSize: 1, allowShort: true, topK });
    const vs = makeVectors(batch);
    let round = 0;
    let made = 0;
    const secs = await timeCalls(
      n,
      async () => {
        made += (await core.onFeatures(vs)).length;
      },
      () => advance(vs, ++round),
    );
    if (made !== batch * round) throw new Error(`${made} predictions for ${batch * round} vectors`);
    return (batch * n) / secs;
  };
  const plain = await measure(0, calls);
  const occl = await measure(3, Math.max(10, Math.ceil(calls / (F + 1))));
  console.log(
    `| ${label} | ${batch} | ${fmt(raw)} rows/s | ${fmt(plain)} pred/s (${(plain / raw).toFixed(2)}× raw) | ${fmt(occl)} pred/s = ${fmt(occl * (F + 1))} rows/s (${((occl * (F + 1)) / raw).toFixed(2)}× raw rows) |`,
  );
}

async function main(): Promise<void> {
  console.log(`# ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, Node ${process.version}${quick ? ' (quick)' : ''}`);
  console.log('| runtime | batch | raw runtime.run | core, no occlusion | core, occlusion top-3 |');
  console.log('| --- | --- | --- | --- | --- |');
  const onnx = referenceMlpOnnx();
  for (const thread of ['main', 'worker'] as const) {
    const rt = await createOnnxRuntime({ bytes: onnx }, { thread });
    for (const batch of quick ? [256, 4096] : [256, 4096, 16384]) await bench(rt, `onnx ${thread}`, batch);
    await rt.dispose();
  }
}

await main();
