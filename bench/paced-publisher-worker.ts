/**
 * The worker half of `paced-publisher.ts`: publishes the bars it was handed at the rate, on a
 * NATS connection of its own, stamping each one's send time (epoch-based, comparable across
 * threads) into the shared array just before its publish. Benchmark load, not product code.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { encode } from '../streams/codec.js';
import type { Bar } from '../streams/messages/bar.js';
import { createNatsBus } from '../streams/nats-bus.js';
import { subjectsFor } from '../streams/subjects.js';
import { paced } from './latency-engine.js';
import type { PacedPublishJob } from './paced-publisher.js';

const job = workerData as PacedPublishJob;
const sentAt = new Float64Array(job.sentAt);
const bus = await createNatsBus({ url: job.url, name: 'bench-publisher', connectTimeoutMs: 5_000 });
const subjects = subjectsFor(job.prefix);
const failures: unknown[] = [];
const acks: Promise<void>[] = [];
const origin = performance.timeOrigin;
const seconds = await paced(job.bars.length, job.rate, (i) => {
  const b = job.bars[i] as Bar;
  sentAt[i] = origin + performance.now();
  acks.push(bus.publish(subjects.bar(b.venue, b.symbol, b.tf), encode(b), { msgId: b.id }).then(() => undefined, (e: unknown) => void failures.push(e)));
});
await Promise.all(acks);
await bus.close();
parentPort?.postMessage({ published: job.bars.length, seconds, failures: failures.length, firstFailure: failures.length > 0 ? String(failures[0]) : undefined });
