/**
 * A served model trained on a worker thread and registered in a memory registry of its own as
 * `<name>@production`: the regime suite trains the next windows' models this way while it
 * replays the current one, and the latency benches keep tfjs out of the engine's heap with it
 * (trained on the engine's thread, tfjs would stay loaded there: ~43 MB of objects every full
 * garbage collection marks, which a live engine — it serves ONNX and trains in a child process —
 * does not have).
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

export type OwnRegistry = Readonly<{ registry: ModelRegistry; close(): Promise<void> }>;

/** A memory registry announcing on an in-process bus of its own: nothing outside it reacts to it. */
export async function memoryRegistry(cfg: Config): Promise<OwnRegistry> {
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
export async function servedRegistry(cfg: Config, data: ServedModelData): Promise<OwnRegistry & Readonly<{ model: ModelVersion; seconds: number }>> {
  const worker = startWorker(import.meta.url, 'served-model-worker', { cfg, data } satisfies ServedModelInit);
  const own = await memoryRegistry(cfg);
  try {
    const reply = await new Promise<ServedModelReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the served-model worker exited with ${code}`)));
    });
    if (reply.type === 'failed') throw new Error(`training the served model failed: ${reply.error}`);
    const { version: _v, aliases: _a, featureSpecHash: _f, artifactSha256: _s, createdAt: _c, ...model } = reply.model;
    const { registry } = own;
    const registered = await registry.register(model, reply.artifact, { actor: 'sextant', reason: 'trained on a worker thread' });
    await registry.promote(registered.name, registered.version, { actor: 'sextant', reason: 'trained on the years before the window' });
    return { ...own, model: await registry.get(`${parseModelRef(cfg.strategy.model).name}@production`), seconds: reply.seconds };
  } catch (e) {
    await own.close();
    throw e;
  } finally {
    await worker.terminate();
  }
}
