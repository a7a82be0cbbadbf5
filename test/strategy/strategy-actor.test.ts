import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStrategyCore, startStrategyActor } from '../../actors/strategy-actor.js';
import type { StrategyCoreOptions } from '../../actors/strategy-actor.js';
import type { ModelRuntime } from '../../models/runtime/model-runtime.js';
import { createOnnxRuntime } from '../../models/runtime/onnx-runtime.js';
import { exportGruClassifier } from '../../models/onnx/gru-classifier.js';
import { gruLayersOf } from '../../models/onnx/tfjs-gru-layers.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
import { buildGruClassifier } from '../../models/training/train-gru.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { Bus } from '../../streams/bus.js';
import { decodeText, encode } from '../../streams/codec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import { barId } from '../../streams/messages/bar.js';
import type { FeatureVector } from '../../streams/messages/feature-vector.js';
import { featureVectorId } from '../../streams/messages/feature-vector.js';
import { PredictionSchema } from '../../streams/messages/prediction.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { subjectsFor } from '../../streams/subjects.js';
import { setWeightsRandom } from '../training/set-weights-random.js';
import { CALIBRATION, mlpOnnx, SPEC, vectors } from './fixtures.js';

const subjects = subjectsFor('sx');
let rt: ModelRuntime;
beforeAll(async () => {
  rt = await createOnnxRuntime({ bytes: mlpOnnx(1) }, { thread: 'worker' });
});
afterAll(async () => {
  await rt.dispose();
});

const coreOptions = (): StrategyCoreOptions => ({
  strategy: 'mlp',
  model: { name: 'direction', version: 1, runtime: rt, featureSpec: SPEC, calibration: CALIBRATION },
  minConfidence: 0.45,
  maxIntervalWidth: 0.05,
  positionSize: 1,
  allowShort: true,
  topK: 3,
});

async function newBus(): Promise<Bus> {
  const bus = createMemoryBus();
  await bus.ensureStreams([
    { name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' },
    { name: 'DLQ', subjects: subjects.streamSubjects.DLQ, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' },
  ]);
  return bus;
}

/** Every message of a stream, in order, with its subject. */
async function readAll(bus: Bus, stream: string): Promise<{ subject: string; json: unknown }[]> {
  const total = await bus.countMessages(stream);
  const got: { subject: string; json: unknown }[] = [];
  if (total === 0) return got;
  await new Promise<void>((resolve) => {
    const c = bus.consume({ stream, durable: `read-${stream}-${total}`, filterSubject: '>' }, (batch) => {
      for (const d of batch) got.push({ subject: d.subject, json: JSON.parse(decodeText(d.data)) });
      if (got.length >= total) {
        queueMicrotask(() => void c.stop());
        resolve();
      }
    });
  });
  return got;
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('strategy actor on the memory bus', () => {
  const input = vectors(60);

  it('publishes one schema-valid prediction per scorable vector on its subject, with the core’s payload', async () => {
    const bus = await newBus();
    const actor = startStrategyActor({ bus, subjects, clock: createSimulatedClock(0), log: silentLogger }, { core: createStrategyCore(coreOptions()) });
    for (const v of input) bus.emit(subjects.features(v.venue, v.symbol), encode(v));
    await settle();
    await actor.idle();
    const expected = await createStrategyCore(coreOptions()).onFeatures(input);
    const got = await readAll(bus, 'SIGNALS');
    expect(got.map((m) => m.subject)).toEqual(expected.map((p) => subjects.prediction('mlp', p.venue, p.symbol)));
    expect(got.map((m) => PredictionSchema.parse(m.json))).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(actor.stats()).toMatchObject({ received: input.length, published: expected.length, publishFailures: 0, batchFailures: 0 });
    await actor.stop();
    await bus.close();
  });

  it('stores each prediction once when a second replica scores the same vectors (Nats-Msg-Id = prediction id)', async () => {
    const bus = await newBus();
    const deps = { bus, subjects, clock: createSimulatedClock(0), log: silentLogger };
    const a = startStrategyActor(deps, { core: createStrategyCore(coreOptions()), subscribe: false });
    const b = startStrategyActor(deps, { core: createStrategyCore(coreOptions()), subscribe: false });
    a.push(input);
    b.push(input.slice(0, 30));
    await Promise.all([a.idle(), b.idle()]);
    b.push(input.slice(30));
    await b.idle();
    const got = await readAll(bus, 'SIGNALS');
    const ids = got.map((m) => (m.json as Prediction).id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(a.stats().predictions);
    expect(b.stats().predictions).toBe(a.stats().predictions);
    await bus.close();
  });

  it('refuses malformed and mismatched vectors to sx.dlq.strategy and keeps scoring', async () => {
    const bus = await newBus();
    const actor = startStrategyActor({ bus, subjects, clock: createSimulatedClock(5), log: silentLogger }, { core: createStrategyCore(coreOptions()) });
    const v = input.find((x) => x.values.rsi_14 !== null && x.symbol === 'BTC/USDT');
    if (v === undefined) throw new Error('fixture has no scorable BTC vector');
    bus.emit(subjects.features('binance', 'BTC/USDT'), new TextEncoder().encode('{nope'));
    bus.emit(subjects.features('binance', 'BTC/USDT'), encode({ ...v, ts: -1 }));
    bus.emit(subjects.features('binance', 'ETH/USDT'), encode(v));
    bus.emit(subjects.features('binance', 'BTC/USDT'), encode(v));
    await settle();
    await actor.idle();
    const dlq = (await readAll(bus, 'DLQ')).map((m) => ({ subject: m.subject, entry: DlqEntrySchema.parse(m.json) }));
    expect(dlq.map((d) => [d.subject, d.entry.reason, d.entry.ts])).toEqual([
      [subjects.dlq('strategy'), 'MALFORMED_JSON', 5],
      [subjects.dlq('strategy'), 'SCHEMA', 5],
      [subjects.dlq('strategy'), 'SUBJECT_MISMATCH', 5],
    ]);
    const preds = await readAll(bus, 'SIGNALS');
    expect(preds.map((m) => (m.json as Prediction).source)).toEqual([v.id]);
    expect(actor.stats().refused).toEqual({ MALFORMED_JSON: 1, SCHEMA: 1, SUBJECT_MISMATCH: 1 });
    await actor.stop();
    await bus.close();
  });

  it('only scores the assets it accepts, in batches of at most maxBatch, and swaps models in push order', async () => {
    const bus = await newBus();
    const actor = startStrategyActor(
      { bus, subjects, clock: createSimulatedClock(0), log: silentLogger },
      { core: createStrategyCore(coreOptions()), subscribe: false, accepts: (_venue, symbol) => symbol === 'SOL/USD', maxBatch: 7 },
    );
    actor.push(input.slice(0, 90));
    const old = await actor.swapModel({ name: 'direction', version: 2, runtime: rt, featureSpec: SPEC, calibration: CALIBRATION });
    actor.push(input.slice(90));
    await actor.idle();
    expect(old.version).toBe(1);
    const got = (await readAll(bus, 'SIGNALS')).map((m) => m.json as Prediction);
    expect(got.every((p) => p.symbol === 'SOL/USD')).toBe(true);
    const versions = got.map((p) => p.model.version);
    expect(versions.indexOf(2)).toBeGreaterThan(0);
    expect(versions).toEqual([...versions].sort());
    const sol = input.filter((v) => v.symbol === 'SOL/USD');
    expect(got.map((p) => p.source)).toEqual(sol.filter((v) => v.values.rsi_14 !== null).map((v) => v.id));
    // The swap landed exactly between the vectors pushed before and after it.
    const firstV2 = got.find((p) => p.model.version === 2);
    expect(sol.findIndex((v) => v.id === firstV2?.source)).toBeGreaterThanOrEqual(sol.findIndex((v) => v.ts >= (input[90] as FeatureVector).ts));
    expect(got.filter((p) => p.model.version === 1).every((p) => input.slice(0, 90).some((v) => v.id === p.source))).toBe(true);
    expect(actor.stats().runs).toBe(Math.ceil(30 / 7) + Math.ceil((sol.length - 30) / 7));
    await bus.close();
  });

  it('given a timeframe, feeds a GRU only the bar vectors: tick vectors in between do not break its windows', async () => {
    const gru = buildGruClassifier(3, SPEC.features.length, { units: 4, classes: 3 });
    setWeightsRandom(gru, mulberry32(6));
    const { gru: layer, head } = gruLayersOf(gru);
    gru.dispose();
    const seqRt = await createOnnxRuntime({ bytes: exportGruClassifier({ gru: layer, head, window: 3, inputName: 'windows', outputName: 'probs' }) }, { thread: 'main' });
    try {
      const model = { name: 'gru', version: 1, runtime: seqRt, featureSpec: { ...SPEC, window: { steps: 3, stepMs: 300_000 } }, calibration: CALIBRATION };
      const bars = input.map((v): FeatureVector => {
        const source = barId(v.venue, v.symbol, '5m', v.ts);
        return { ...v, source, id: featureVectorId(source) };
      });
      const ticks = bars.map((v): FeatureVector => ({ ...v, ts: v.ts + 1000, source: `t:${v.venue}:${v.symbol}:${v.ts}`, id: `f:t:${v.venue}:${v.symbol}:${v.ts}` }));
      const mixed = bars.flatMap((b, i) => [b, ticks[i] as FeatureVector]);
      const expected = await createStrategyCore({ ...coreOptions(), model }).onFeatures(bars);
      expect(expected.length).toBeGreaterThan(100);
      const run = async (timeframe?: '5m'): Promise<Prediction[]> => {
        const bus = await newBus();
        const actor = startStrategyActor({ bus, subjects, clock: createSimulatedClock(0), log: silentLogger }, { core: createStrategyCore({ ...coreOptions(), model }), subscribe: false, ...(timeframe !== undefined ? { timeframe } : {}) });
        actor.push(mixed);
        await actor.idle();
        const got = (await readAll(bus, 'SIGNALS')).map((m) => m.json as Prediction);
        await bus.close();
        return got;
      };
      expect(await run('5m')).toEqual(expected);
      // Without the filter each tick vector, 1 s after its bar, restarts the window: nothing is ever scored.
      expect(await run()).toEqual([]);
    } finally {
      await seqRt.dispose();
    }
  });
});
