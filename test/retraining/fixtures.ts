import { startRetrainingActor } from '../../actors/retraining-actor.js';
import type { RetrainingActorHandle } from '../../actors/retraining-actor.js';
import type { Config } from '../../config/schema.js';
import type { RetrainingConfig } from '../../models/retraining/retraining-config.js';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelRegistry, ModelVersion } from '../../models/registry/model-registry.js';
import { RetrainingConfigSchema } from '../../models/retraining/retraining-config.js';
import { fitChallenger } from '../../models/retraining/train-challenger.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import type { PredictionSample, TrainingSample, TrainingSampleStore } from '../../state/training-sample-store.js';
import type { Bus } from '../../streams/bus.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import type { Subjects } from '../../streams/subjects.js';
import type { Label } from '../../streams/messages/label.js';
import { encode } from '../../streams/codec.js';
import { gaussian, mulberry } from './synthetic.js';

export const T0 = Date.UTC(2024, 0, 1);
export const HOUR = 3_600_000;
export const VENUE = 'binance';
export const SYMBOL = 'BTC/USDT';
export const FEATURES = ['f1', 'f2', 'f3'] as const;

/**
 * Synthetic labeled predictions, one per hour from bar `from`: the label is the sign of `sign·f1`
 * (flat inside ±0.4), f2 and f3 noise; `scale` widens f1 (more extreme inputs). `sign = −1` is the old regime a champion is trained on;
 * `+1` the new one, where that champion is confidently wrong.
 */
export function samplesOf(from: number, n: number, sign: 1 | -1, seed: number, scale = 1, model: Readonly<{ name: string; version: number }> = { name: 'dir', version: 1 }): PredictionSample[] {
  const g = gaussian(mulberry(seed));
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const f1 = scale * g();
    const z = sign * f1 + 0.3 * g();
    const label = (z > 0.4 ? 1 : z < -0.4 ? -1 : 0) as 1 | -1 | 0;
    const ts = T0 + i * HOUR;
    return {
      kind: 'prediction',
      id: `p:s1:${VENUE}:BTC-USDT:${ts}`,
      strategy: 's1',
      venue: VENUE,
      symbol: SYMBOL,
      ts,
      labeledTs: ts + 4 * HOUR,
      model,
      featureSpecHash: 'synthetic',
      featureId: `f:${VENUE}:BTC-USDT:1h:${ts}`,
      // ATR 1 at a close of 100: the class band is ±0.75 % (kAtr 0.75), so the ±1 % forward
      // return below falls in the class its label names.
      features: { f1, f2: g(), f3: g(), close: 100, atr_14: 1 },
      label,
      barrier: label === 1 ? 'take_profit' : label === -1 ? 'stop_loss' : 'vertical',
      outcomeClass: 'neutral',
      forwardReturn: label * 0.01,
      netReturnBps: label * 100,
      horizonBars: 4,
    } satisfies PredictionSample;
  });
}

/** The label the labeling actor publishes for a sample. */
export function labelOf(s: TrainingSample): Label {
  return {
    type: 'label',
    v: 1,
    id: `lbl:${s.id}`,
    ts: s.labeledTs,
    strategy: s.strategy,
    venue: s.venue,
    symbol: s.symbol,
    subject: { kind: 'prediction', id: s.id },
    decisionTs: s.ts,
    label: s.label,
    barrier: s.barrier,
    hitTs: s.labeledTs,
    outcomeClass: s.outcomeClass,
    forwardReturn: s.forwardReturn,
    netReturnBps: s.netReturnBps,
    featureId: s.featureId,
    model: s.model,
    featureSpecHash: s.featureSpecHash,
  };
}

/** A feature spec to seed a champion's fit from (its mean/std are refitted). */
const SEED_SPEC: ModelVersion = {
  name: 'dir',
  version: 0,
  format: 'onnx',
  aliases: [],
  metrics: {},
  featureSpec: { version: 1, features: [...FEATURES], mean: [0, 0, 0], std: [1, 1, 1], transforms: ['raw', 'raw', 'raw'] },
  featureSpecHash: 'seed',
  calibration: { classMeanReturns: [-0.01, 0, 0.01], conformal80: 0.01, conformal95: 0.02, horizonMs: 4 * HOUR },
  trainRange: { from: 0, to: 1 },
  parentVersion: null,
  configHash: 'seed',
  artifactSha256: '',
  details: {},
  createdAt: 0,
};

/** The classes of these samples: ±kAtr·ATR/close = ±0.75 % (see `samplesOf`). */
export const TEST_CLASS_RULE = { kAtr: 0.75, source: 'config' } as const;

/** Fits a champion on `samples` (main thread), registers it and points `production` at it. */
export async function registerChampion(registry: ModelRegistry, samples: readonly TrainingSample[], name = 'dir'): Promise<ModelVersion> {
  const fit = await fitChallenger(samples, { ...SEED_SPEC, name }, { seed: 1, epochs: 15, validationFraction: 0.2, thread: 'main', trigger: { kind: 'operator', detail: 'test champion', ts: 0 }, strategy: 's1', rule: TEST_CLASS_RULE });
  const v = await registry.register({ ...fit.model, parentVersion: null }, fit.onnx, { actor: 'test' });
  await registry.promote(v.name, v.version, { actor: 'test', reason: 'first champion' });
  return registry.get(`${name}@production`);
}

/**
 * Retraining settings of the memory-bus tests: a cycle every 100 labels, a 60-prediction shadow
 * judged on the margin alone (minT 0: over 3 blocks the new-regime challenger's 0.067 gain is 0.017
 * past the 0.05 margin, t 0.98), decay and drift triggers out of the way.
 */
export const RETRAINING_TEST_CONFIG = RetrainingConfigSchema.parse({
  enabled: true,
  triggers: { everyLabels: 100, decayWindow: 10_000, adwinDelta: 0, psiWindow: 10_000 },
  training: { minSamples: 80, maxSamples: 100, epochs: 20, seed: 3 },
  shadow: { predictions: 60, margin: 0.05, minT: 0 },
  consumer: { batchSize: 16, ackWaitMs: 60_000 },
});

export type RetrainingWorld = { bus: Bus; store: TrainingSampleStore; registry: ModelRegistry };

/**
 * A memory bus with the config's streams, a sample store holding 200 old-regime samples (none with
 * `storeChampionSamples: false`: a champion trained on bars), and a champion fitted on them in production.
 */
export async function retrainingWorld(cfg: Pick<Config, 'prefix' | 'streamNamePrefix' | 'streams'>, subjects: Subjects, o: Readonly<{ storeChampionSamples?: boolean }> = {}): Promise<RetrainingWorld & { champion: ModelVersion }> {
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfg, { storage: 'memory' }));
  const store = createMemoryTrainingSampleStore();
  const registry = createMemoryModelRegistry({ bus, subjects, clock: { now: () => 0 } });
  const old = samplesOf(0, 200, -1, 1);
  if (o.storeChampionSamples !== false) await store.commit({ samples: old });
  const champion = await registerChampion(registry, old);
  return { bus, store, registry, champion };
}

/** The retraining actor of strategy `s1` and model `dir` on a world's bus, store and registry, fitting on its main thread. */
export function startWorldActor(w: RetrainingWorld, cfg: Pick<Config, 'prefix' | 'streamNamePrefix' | 'streams'>, subjects: Subjects, config: RetrainingConfig): Promise<RetrainingActorHandle> {
  return startRetrainingActor({
    bus: w.bus, subjects, samples: w.store, registry: w.registry, clock: createLiveClock(), log: silentLogger, strategy: 's1', model: 'dir', config,
    streams: { OUTCOMES: streamName(cfg, 'OUTCOMES') }, trainingThread: 'main',
  });
}

/** Stores the samples in a world's sample store, then publishes their labels (as the labeling actor does, in that order). */
export async function publishLabels(w: Pick<RetrainingWorld, 'bus' | 'store'>, subjects: Subjects, samples: readonly TrainingSample[]): Promise<void> {
  await w.store.commit({ samples });
  for (const s of samples) await w.bus.publish(subjects.label('s1', s.venue, s.symbol), encode(labelOf(s)), { msgId: `lbl:${s.id}` });
}
