/**
 * The model a latency bench serves, trained on a worker thread and registered in the bench's
 * registry as `<name>@production`. Trained on the engine's thread, it would leave tfjs loaded in
 * the engine's heap (~43 MB of objects every full garbage collection marks), which a live engine
 * (`sextant run`) does not have: it serves ONNX and trains in a child process.
 */
import type { Config } from '../config/schema.js';
import { createMemoryModelRegistry } from '../models/registry/memory-model-registry.js';
import { parseModelRef } from '../models/registry/model-registry.js';
import type { ModelRegistry, ModelVersion } from '../models/registry/model-registry.js';
import { startWorker } from '../models/runtime/start-worker.js';
import { createMemoryBus } from '../streams/memory-bus.js';
import { streamSpecs } from '../streams/provision.js';
import { subjectsFor } from '../streams/subjects.js';

/** Where the served model is trained from (`ensureDemoModel`'s options but its name, which is `cfg.strategy.model`'s). */
export type ServedModelData = Readonly<{ dataDir: string; symbols: readonly string[]; timeframe: string; from: number }>;

export type ServedModelInit = Readonly<{ cfg: Config; data: ServedModelData }>;

export type ServedModelReply =
  | Readonly<{ type: 'trained'; model: ModelVersion; artifact: Uint8Array; seconds: number }>
  | Readonly<{ type: 'failed'; error: string }>;

export type BenchRegistry = Readonly<{ registry: ModelRegistry; close(): Promise<void> }>;

/** A memory registry announcing on an in-process bus of its own: nothing in a bench run reacts to it. */
export async function memoryRegistry(cfg: Config): Promise<BenchRegistry> {
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs(cfg));
  const registry = createMemoryModelRegistry({ bus, subjects: subjectsFor(cfg.prefix), clock: { now: () => 0 } });
  return {
    registry,
    close: async () => {
      await registry.close();
      await bus.close();
    },
  };
}

/**
 * A memory registry holding `cfg.strategy.model`'s model as `@production`, trained on the three
 * years before `data.from` on a worker thread (`served-model-worker.ts`) and registered here.
 */
export async function servedRegistry(cfg: Config, data: ServedModelData): Promise<BenchRegistry & Readonly<{ model: ModelVersion; seconds: number }>> {
  const worker = startWorker(import.meta.url, 'served-model-worker', { cfg, data } satisfies ServedModelInit);
  const bench = await memoryRegistry(cfg);
  try {
    const reply = await new Promise<ServedModelReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the served-model worker exited with ${code}`)));
    });
    if (reply.type === 'failed') throw new Error(`training the served model failed: ${reply.error}`);
    const { version: _v, aliases: _a, featureSpecHash: _f, artifactSha256: _s, createdAt: _c, ...model } = reply.model;
    const { registry } = bench;
    const registered = await registry.register(model, reply.artifact, { actor: 'bench', reason: 'trained on a worker thread' });
    await registry.promote(registered.name, registered.version, { actor: 'bench', reason: 'served by the bench' });
    return { ...bench, model: await registry.get(`${parseModelRef(cfg.strategy.model).name}@production`), seconds: reply.seconds };
  } catch (e) {
    await bench.close();
    throw e;
  } finally {
    await worker.terminate();
  }
}
