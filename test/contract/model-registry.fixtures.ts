import type { Supervisor } from '../../actors/supervisor.js';
import type { SimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { MemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { Bus, DurablePublisher } from '../../streams/bus.js';
import { BusError } from '../../streams/errors.js';
import type { ModelEvent } from '../../streams/messages/model-event.js';
import { ModelEventSchema } from '../../streams/messages/model-event.js';
import type { Subjects } from '../../streams/subjects.js';
import { exportDenseMlp } from '../../models/onnx/dense-mlp.js';
import type { FeatureSpec } from '../../models/registry/feature-spec.js';
import type { ModelRegistry, NewModelVersion } from '../../models/registry/model-registry.js';

/** What a contract run gets from an adapter's test file. */
export type RegistryHarness = Readonly<{
  registry: ModelRegistry;
  bus: Bus;
  /** The stream that captures `subjects.model(…)` for this harness only. */
  stream: string;
  subjects: Subjects;
  clock: SimulatedClock;
  /** While true, the registry's publisher fails every publish (a bus outage). */
  outage: { on: boolean };
  close(): Promise<void>;
}>;

/** Wraps a publisher so a test can cut it off, as a bus outage would. */
export function withOutage(bus: DurablePublisher, outage: { on: boolean }): DurablePublisher {
  return {
    publish: async (subject, data, opts) => {
      if (outage.on) throw new BusError(`bus down (test outage) publishing ${subject}`, true);
      return bus.publish(subject, data, opts);
    },
  };
}

export const T0 = 1_732_500_000_123;

export const SPEC: FeatureSpec = {
  version: 1,
  features: ['log_return_1', 'rsi_14'],
  mean: [0.0001, 50.5],
  std: [0.012, 11.25],
  transforms: ['raw', 'raw'],
};

/** A real ONNX model (2 features → 3 class probabilities); `seed` makes each one's bytes differ. */
export function onnxBytes(seed = 1): Uint8Array {
  return exportDenseMlp({
    inputName: 'features',
    outputName: 'probs',
    normalization: { mean: SPEC.mean, std: SPEC.std },
    layers: [{ weights: new Float32Array([0.1 * seed, -0.2, 0.3, 0.4, -0.5, 0.6 / seed]), bias: new Float32Array([0, 0.01, -0.01]), inDim: 2, outDim: 3, activation: 'softmax' }],
    metadata: { seed: String(seed) },
  });
}

export function newModel(name: string, over: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    name,
    format: 'onnx',
    metrics: { accuracy: 0.41, logLoss: 1.0625, sharpe: -0.25 },
    featureSpec: SPEC,
    calibration: { classMeanReturns: [-0.004, 0, 0.0041], conformal80: 0.006, conformal95: 0.011, horizonMs: 3_600_000 },
    trainRange: { from: 1_640_995_200_000, to: 1_672_531_200_000 },
    parentVersion: null,
    configHash: 'cfg-aa11',
    details: { dataset: 'binance BTC/USDT 1h', folds: 5, purgeBars: 24, layers: [16, 3] },
    ...over,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The model events of `name` stored in the harness's stream, in order, each checked against the
 * ModelEvent schema; waits (up to 5 s) until `n` are there and asserts there are no more.
 */
export async function eventsOf(h: RegistryHarness, name: string, n: number): Promise<ModelEvent[]> {
  const filter = h.subjects.model(name, '*');
  const deadline = performance.now() + 5_000;
  while ((await h.bus.countMessages(h.stream, filter)) < n && performance.now() < deadline) await sleep(10);
  const count = await h.bus.countMessages(h.stream, filter);
  if (count !== n) throw new Error(`expected ${n} events of ${name}, the stream holds ${count}`);
  if (n === 0) return [];
  const got: Array<{ subject: string; event: ModelEvent }> = [];
  const durable = `read-${name}-${Math.floor(performance.now() * 1000)}`;
  const consumption = h.bus.consume({ stream: h.stream, durable, filterSubject: filter, batchSize: 100 }, (batch) => {
    for (const d of batch) got.push({ subject: d.subject, event: ModelEventSchema.parse(JSON.parse(new TextDecoder().decode(d.data))) });
  });
  while (got.length < n && performance.now() < deadline + 5_000) await sleep(10);
  await consumption.stop();
  await h.bus.deleteConsumer(h.stream, durable);
  if (got.length !== n) throw new Error(`read ${got.length} of the ${n} events of ${name} in time`);
  for (const g of got) if (g.subject !== h.subjects.model(name, g.event.event)) throw new Error(`event ${g.event.id} arrived on ${g.subject}`);
  return got.map((g) => g.event);
}

/** An in-memory registry announcing on an in-memory bus with the MODELS stream (`outage`: its publishes fail while on). */
export async function memoryRegistryHarness(outage?: { on: boolean }): Promise<Readonly<{ bus: MemoryBus; subjects: Subjects; clock: SimulatedClock; registry: ModelRegistry }>> {
  const bus = createMemoryBus();
  const subjects = subjectsFor('sx');
  await bus.ensureStreams([{ name: 'MODELS', subjects: [subjects.model('*', '*')], maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
  const clock = createSimulatedClock(T0);
  const registry = createMemoryModelRegistry({ bus: outage === undefined ? bus : withOutage(bus, outage), subjects, clock });
  return { bus, subjects, clock, registry };
}

/** A model a 1h engine can serve: features it computes, trained on 1h bars. */
export const servableModel = (over: Partial<NewModelVersion> = {}): NewModelVersion =>
  newModel('direction-mlp', { featureSpec: { ...SPEC, features: ['log_ret_1', 'rsi_14'] }, details: { dataset: { timeframe: '1h' } }, ...over });

/** A supervisor with no actors, for control targets tested without an engine. */
export const idleSupervisor: Supervisor = { status: () => [], halt: () => {}, resume: () => {}, restartGivenUp: () => [], stop: async () => {} };
