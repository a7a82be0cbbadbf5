/**
 * The model a latency bench serves, trained on a worker thread and registered in the bench's
 * registry as `<name>@production`. Trained on the engine's thread, it would leave tfjs loaded in
 * the engine's heap (~43 MB of objects every full garbage collection marks), which a live engine
 * (`sextant run`) does not have: it serves ONNX and trains in a child process.
 */
import { startWorker } from '../models/runtime/start-worker.js';
import type { ModelRegistry, ModelVersion } from '../models/registry/model-registry.js';

/** What `ensureDemoModel` needs, and the subject prefix for the worker's own registry. */
export type ServedModelInit = Readonly<{
  prefix: string;
  model: Readonly<{ name: string; dataDir: string; symbols: readonly string[]; timeframe: string; from: number }>;
}>;

export type ServedModelReply =
  | Readonly<{ type: 'trained'; model: ModelVersion; artifact: Uint8Array; seconds: number }>
  | Readonly<{ type: 'failed'; error: string }>;

/** Trains the served model on a worker thread and registers and promotes it in `registry`. */
export async function trainServedModel(registry: ModelRegistry, init: ServedModelInit): Promise<{ model: ModelVersion; seconds: number }> {
  const worker = startWorker(import.meta.url, 'served-model-worker', init);
  try {
    const reply = await new Promise<ServedModelReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the served-model worker exited with ${code}`)));
    });
    if (reply.type === 'failed') throw new Error(`training the served model failed: ${reply.error}`);
    const { version: _v, aliases: _a, featureSpecHash: _f, artifactSha256: _s, createdAt: _c, ...model } = reply.model;
    const registered = await registry.register(model, reply.artifact, { actor: 'bench', reason: 'trained on a worker thread' });
    await registry.promote(registered.name, registered.version, { actor: 'bench', reason: 'served by the bench' });
    return { model: await registry.get(`${registered.name}@production`), seconds: reply.seconds };
  } finally {
    await worker.terminate();
  }
}
