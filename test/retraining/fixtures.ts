import type { ModelRegistry, ModelVersion } from '../../models/registry/model-registry.js';
import { fitChallenger } from '../../models/retraining/train-challenger.js';
import type { TrainingSample } from '../../state/training-sample-store.js';
import type { Label } from '../../streams/messages/label.js';
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
export function samplesOf(from: number, n: number, sign: 1 | -1, seed: number, scale = 1, model: Readonly<{ name: string; version: number }> = { name: 'dir', version: 1 }): TrainingSample[] {
  const g = gaussian(mulberry(seed));
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const f1 = scale * g();
    const z = sign * f1 + 0.3 * g();
    const label = (z > 0.4 ? 1 : z < -0.4 ? -1 : 0) as 1 | -1 | 0;
    const ts = T0 + i * HOUR;
    return {
      id: `p:s1:${VENUE}:BTC-USDT:${ts}`,
      strategy: 's1',
      venue: VENUE,
      symbol: SYMBOL,
      ts,
      labeledTs: ts + 4 * HOUR,
      model,
      featureSpecHash: 'synthetic',
      featureId: `f:${VENUE}:BTC-USDT:1h:${ts}`,
      features: { f1, f2: g(), f3: g(), close: 100 },
      label,
      barrier: label === 1 ? 'take_profit' : label === -1 ? 'stop_loss' : 'vertical',
      outcomeClass: 'neutral',
      forwardReturn: label * 0.01,
      netReturnBps: label * 100,
      horizonBars: 4,
    } satisfies TrainingSample;
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

/** Fits a champion on `samples` (main thread), registers it and points `production` at it. */
export async function registerChampion(registry: ModelRegistry, samples: readonly TrainingSample[], name = 'dir'): Promise<ModelVersion> {
  const fit = await fitChallenger(samples, { ...SEED_SPEC, name }, { seed: 1, epochs: 15, validationFraction: 0.2, thread: 'main', trigger: { kind: 'operator', detail: 'test champion', ts: 0 }, strategy: 's1' });
  const v = await registry.register({ ...fit.model, parentVersion: null }, fit.onnx, { actor: 'test' });
  await registry.promote(v.name, v.version, { actor: 'test', reason: 'first champion' });
  return registry.get(`${name}@production`);
}
