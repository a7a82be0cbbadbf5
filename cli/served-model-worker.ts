/**
 * The worker half of `served-model.ts`: trains (or finds) a served model in a registry of its
 * own, and posts the version and its artifact back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ensureDemoModel } from './commands/demo-model.js';
import { parseModelRef } from '../models/registry/model-registry.js';
import { memoryRegistry } from './served-model.js';
import { trainingCacheOf } from './training-cache-of.js';
import type { ServedModelInit, ServedModelReply } from './served-model.js';

const { cfg, data } = workerData as ServedModelInit;
const port = parentPort;
if (port === null) throw new Error('served-model-worker runs as a worker thread');
try {
  const { registry, close } = await memoryRegistry(cfg);
  const served = await ensureDemoModel(registry, { name: parseModelRef(cfg.strategy.model).name, ...data, cache: await trainingCacheOf(cfg) });
  const artifact = await registry.artifact(served.model);
  port.postMessage({ type: 'trained', model: served.model, artifact, seconds: served.seconds } satisfies ServedModelReply);
  await close();
} catch (e) {
  port.postMessage({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies ServedModelReply);
}
