/**
 * The latency benches' market-data source on a thread of its own: a worker publishes the bars
 * at the rate on its own NATS connection, as a gateway process would, so the engine's event loop
 * carries the engine and not the load generator (publishing, encoding and the stream's
 * acknowledgements of 5,000 bars/s). Send times are stamped by the worker into a shared array,
 * epoch-based, and read back as this thread's `performance.now()` values.
 */
import { startWorker } from '../models/runtime/start-worker.js';
import type { Bar } from '../streams/messages/bar.js';
import type { Paced } from './latency-engine.js';

export type PacedPublishJob = Readonly<{ url: string; prefix: string; bars: readonly Bar[]; rate: number; sentAt: SharedArrayBuffer }>;

type Done = Readonly<{ published: number; seconds: number; failures: number; firstFailure: string | undefined }>;

/**
 * Publishes `bars` on `prefix`'s bar subjects at `rate` msgs/s from a worker thread. Resolves once
 * every publish was acknowledged, with each bar's send time (this thread's clock) by id.
 */
export async function pacedPublishInWorker(url: string, prefix: string, bars: readonly Bar[], rate: number): Promise<Paced & Readonly<{ sentAt: Map<string, number> }>> {
  const shared = new SharedArrayBuffer(8 * bars.length);
  const worker = startWorker(import.meta.url, 'paced-publisher-worker', { url, prefix, bars, rate, sentAt: shared } satisfies PacedPublishJob);
  const done = await new Promise<Done>((resolve, reject) => {
    worker.once('message', (m: Done) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the publisher worker exited with ${code} before it was done`)));
  });
  await worker.terminate();
  if (done.failures > 0) throw new Error(`${done.failures} publishes failed, first: ${done.firstFailure ?? '?'}`);
  const stamps = new Float64Array(shared);
  const origin = performance.timeOrigin;
  const sentAt = new Map<string, number>();
  bars.forEach((b, i) => sentAt.set(b.id, (stamps[i] as number) - origin));
  return { published: done.published, seconds: done.seconds, sentAt };
}
