import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { fitChallenger } from '../../models/retraining/train-challenger.js';
import type { ChallengerOptions } from '../../models/retraining/train-challenger.js';
import { runTrainingSpec } from '../../models/training/run-training-spec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { classificationMetrics } from '../../models/training/classification-metrics.js';
import { registerChampion, samplesOf, TEST_CLASS_RULE } from './fixtures.js';

async function probs(onnx: Uint8Array, x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
  const s = await InferenceSession.create(onnx);
  try {
    const out = await s.run({ features: new Tensor('float32', x, [rows, cols]) });
    return out['probs']?.data as Float32Array;
  } finally {
    await s.release();
  }
}

const cfg = { ...loadConfig(), prefix: 'rtws', streamNamePrefix: 'RTWS_' };

/** A memory registry whose announcements have streams to go to. */
async function memoryRegistry(): Promise<ModelRegistry> {
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfg, { storage: 'memory' }));
  return createMemoryModelRegistry({ bus, subjects: subjectsFor(cfg.prefix), clock: { now: () => 0 } });
}

const base: ChallengerOptions = { seed: 5, epochs: 10, validationFraction: 0.2, thread: 'main', trigger: { kind: 'schedule', detail: 'test', ts: 0 }, strategy: 's1', rule: TEST_CLASS_RULE };

describe('warm-started challengers (retraining.training.warmStart)', () => {
  it('start from the champion: at a vanishing learning rate the challenger is the champion, on its standardisation', async () => {
    const registry = await memoryRegistry();
    const champion = await registerChampion(registry, samplesOf(0, 300, -1, 1));
    const onnx = await registry.artifact(champion);
    // New-regime samples: a fresh fit on them would disagree with the champion everywhere.
    const recent = samplesOf(300, 300, 1, 2);
    const warm = await fitChallenger(recent, champion, { ...base, epochs: 1, warmStart: { onnx, learningRate: 1e-9 } });
    expect(warm.model.featureSpec.mean).toEqual(champion.featureSpec.mean);
    expect(warm.model.featureSpec.std).toEqual(champion.featureSpec.std);
    expect(warm.model.details['retraining']).toMatchObject({ warmStart: { from: champion.version, learningRate: 1e-9 } });
    const { x, rows, cols } = warm.validation;
    const championProbs = await probs(onnx, x, rows, cols);
    const challengerProbs = await probs(warm.onnx, x, rows, cols);
    let maxDiff = 0;
    for (let i = 0; i < championProbs.length; i++) maxDiff = Math.max(maxDiff, Math.abs((championProbs[i] as number) - (challengerProbs[i] as number)));
    expect(maxDiff).toBeLessThan(1e-4);

    // The same samples fitted from scratch give another model.
    const fresh = await fitChallenger(recent, champion, { ...base, epochs: 1 });
    expect(fresh.model.featureSpec.mean).not.toEqual(champion.featureSpec.mean);
    const freshProbs = await probs(fresh.onnx, x, rows, cols);
    let freshDiff = 0;
    for (let i = 0; i < championProbs.length; i++) freshDiff = Math.max(freshDiff, Math.abs((championProbs[i] as number) - (freshProbs[i] as number)));
    expect(freshDiff).toBeGreaterThan(0.05);
  }, 60_000);

  it('fine-tune towards the recent regime: the warm challenger beats the champion on its validation rows, deterministically', async () => {
    const registry = await memoryRegistry();
    const champion = await registerChampion(registry, samplesOf(0, 300, -1, 1));
    const onnx = await registry.artifact(champion);
    const recent = samplesOf(300, 400, 1, 3);
    const opts: ChallengerOptions = { ...base, epochs: 15, warmStart: { onnx, learningRate: 1e-2 } };
    const a = await fitChallenger(recent, champion, opts);
    const b = await fitChallenger(recent, champion, opts);
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true);
    const { x, y, rows, cols } = a.validation;
    const champ = classificationMetrics(await probs(onnx, x, rows, cols), y, 3).logLoss;
    const chall = classificationMetrics(await probs(a.onnx, x, rows, cols), y, 3).logLoss;
    expect(chall).toBeLessThan(champ - 0.1);
  }, 60_000);

  it('fall back to a fresh fit, saying why, when the champion is not a dense MLP', async () => {
    const registry = await memoryRegistry();
    const champion = await registerChampion(registry, samplesOf(0, 300, -1, 1));
    const recent = samplesOf(300, 300, 1, 2);
    const skipped = await fitChallenger(recent, champion, { ...base, epochs: 3, warmStart: { onnx: Uint8Array.from([1, 2, 3]), learningRate: 1e-3 } });
    const fresh = await fitChallenger(recent, champion, { ...base, epochs: 3 });
    expect(skipped.model.details['retraining']).toMatchObject({ warmStart: { from: champion.version, skipped: expect.stringMatching(/not a dense MLP/) } });
    expect(Buffer.from(skipped.onnx).equals(Buffer.from(fresh.onnx))).toBe(true);
  }, 60_000);

  it('is refused for a model or a search that would change the columns or widths', async () => {
    const rows = { x: new Float32Array(4), y: new Int32Array(2), rows: 2 };
    const spec = {
      model: 'gru' as const,
      params: { hidden: [], units: 2, learningRate: 1e-3, l2: 0, batchSize: 2, epochs: 1, patience: 1, seed: 1 },
      classes: 3,
      window: 1,
      cols: 2,
      fit: rows,
      validation: rows,
      evaluate: {},
      export: { inputName: 'features', outputName: 'probs', graphName: 'g', metadata: {} },
      init: { weights: [] },
    };
    await expect(runTrainingSpec(spec)).rejects.toThrow(/warm start/);
  });
});
