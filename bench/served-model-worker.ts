/**
 * The worker half of `served-model.ts`: trains (or finds) the model a latency bench serves, in a
 * registry of its own, and posts the version and its artifact back. Benchmark set-up, not
 * product code.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ensureDemoModel } from '../cli/commands/demo-model.js';
import { createMemoryModelRegistry } from '../models/registry/memory-model-registry.js';
import { subjectsFor } from '../streams/subjects.js';
import { createMemoryBus } from '../streams/memory-bus.js';
import { streamSpecs } from '../streams/provision.js';
import { loadConfig } from '../config/load.js';
import type { ServedModelInit, ServedModelReply } from './served-model.js';

const init = workerData as ServedModelInit;
const port = parentPort;
if (port === null) throw new Error('served-model-worker runs as a worker thread');
try {
  const bus = createMemoryBus();
  await bus.ensureStreams(streamSpecs({ ...loadConfig(), prefix: init.prefix }));
  const registry = createMemoryModelRegistry({ bus, subjects: subjectsFor(init.prefix), clock: { now: () => 0 } });
  const served = await ensureDemoModel(registry, init.model);
  const artifact = await registry.artifact(served.model);
  port.postMessage({ type: 'trained', model: served.model, artifact, seconds: served.seconds } satisfies ServedModelReply);
  await registry.close();
  await bus.close();
} catch (e) {
  port.postMessage({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies ServedModelReply);
}
