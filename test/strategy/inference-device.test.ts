import { describe, expect, it } from 'vitest';
import { startDecisions } from '../../cli/decisions.js';
import type { Config } from '../../config/schema.js';
import { createMemoryModelRegistry } from '../../models/registry/memory-model-registry.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { isolatedConfig } from '../decision/engine-run.js';
import { CALIBRATION, mlpOnnx, SPEC } from './fixtures.js';

/** Starts the decision path of `cfg` on a registry serving a small MLP, and reports where its inference runs and what it logged. */
async function served(device: Config['models']['device']) {
  const cfg = isolatedConfig(['BTC/USDT'], (c) => ({ ...c, strategy: { ...c.strategy, model: 'direction-mlp' }, models: { ...c.models, device, inferenceThread: 'main' } }));
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfg));
  const subjects = subjectsFor(cfg.prefix);
  const registry = createMemoryModelRegistry({ bus, subjects, clock: { now: () => 0 } });
  const v = await registry.register(
    { name: 'direction-mlp', format: 'onnx', metrics: {}, featureSpec: SPEC, calibration: CALIBRATION, trainRange: { from: 0, to: 1 }, parentVersion: null, configHash: 'device', details: {} },
    mlpOnnx(1),
  );
  await registry.promote(v.name, v.version, { actor: 'test', reason: 'device' });
  const logged: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const capture = (level: string) => (obj: Record<string, unknown>, msg: string): void => void logged.push({ level, obj, msg });
  const log: Logger = { ...silentLogger, info: capture('info'), warn: capture('warn'), child: () => log };
  const d = await startDecisions({ bus, subjects, registry, riskStore: createMemoryRiskStore(), clock: createSimulatedClock(0), log }, cfg);
  if (d === undefined) throw new Error('no decision path');
  try {
    return { inference: d.inference(), logged };
  } finally {
    await d.stop();
    await bus.close();
  }
}

describe('models.device reaches the served model\'s runtime', () => {
  it('runs on the CPU when the config says cpu, and says where it runs', async () => {
    const { inference, logged } = await served('cpu');
    expect(inference.execution).toMatchObject({ engine: 'onnxruntime-node', device: 'cpu', thread: 'main' });
    expect(inference.warnings).toEqual([]);
    expect(logged).toContainEqual({ level: 'info', msg: 'model loaded', obj: expect.objectContaining({ model: 'direction-mlp@1', device: 'cpu', asked: 'cpu' }) });
  });

  it('asks ONNX Runtime for CUDA when the config says cuda: CUDA where it is, else the CPU with a CUDA_UNAVAILABLE warning, logged', async () => {
    const { inference, logged } = await served('cuda');
    const fellBack = inference.warnings.some((w) => w.code === 'CUDA_UNAVAILABLE');
    expect(inference.execution.device).toBe(fellBack ? 'cpu' : 'cuda');
    expect(logged).toContainEqual({ level: 'info', msg: 'model loaded', obj: expect.objectContaining({ asked: 'cuda', device: inference.execution.device }) });
    // Without the config's device reaching the runtime, this would be the CPU with no warning: the
    // check fails. (No GPU here: the fallback branch is what runs; a GPU machine takes the other.)
    expect(logged.filter((l) => l.level === 'warn' && l.obj['code'] === 'CUDA_UNAVAILABLE')).toHaveLength(fellBack ? 1 : 0);
  });
});
