import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../../config/load.js';
import type { Sleep } from '../../../gateways/market-data/backoff.js';
import { createMarketDataSink } from '../../../gateways/market-data/market-data-sink.js';
import type { FeedSink, GatewayStatus, MarketDataSource } from '../../../gateways/market-data/market-data-source.js';
import type { Bus, Delivery } from '../../../streams/bus.js';
import { createNatsBus } from '../../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../../streams/provision.js';
import { subjectsFor } from '../../../streams/subjects.js';
import type { Subjects } from '../../../streams/subjects.js';

export const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** Real JetStream under a namespace of our own (stream names and subject prefix), memory storage. */
export type Stack = Readonly<{
  bus: Bus;
  subjects: Subjects;
  md: string;
  dlq: string;
  statuses: GatewayStatus[];
  /** Backoff delays the gateway asked for (the injected sleep records them and waits 5 ms). */
  sleeps: number[];
  sleep: Sleep;
  sink(): FeedSink;
  teardown(): Promise<void>;
}>;

export async function openStack(): Promise<Stack> {
  const tag = randomUUID().replaceAll('-', '').slice(0, 10);
  const cfg = loadConfig();
  const specs = streamSpecs(cfg, { namePrefix: `GW${tag}_`, subjectPrefix: `gw${tag}`, storage: 'memory' });
  const bus = await createNatsBus({ url: NATS_URL, name: 'gateway-test', connectTimeoutMs: 2000 });
  await bus.ensureStreams(specs);
  const subjects = subjectsFor(`gw${tag}`);
  const statuses: GatewayStatus[] = [];
  const sleeps: number[] = [];
  const sleep: Sleep = async (ms, signal) => {
    sleeps.push(ms);
    if (signal?.aborted !== true) await new Promise((r) => setTimeout(r, Math.min(ms, 5)));
  };
  const md = streamName(cfg, 'MD', { namePrefix: `GW${tag}_` });
  return {
    bus,
    subjects,
    md,
    dlq: streamName(cfg, 'DLQ', { namePrefix: `GW${tag}_` }),
    statuses,
    sleeps,
    sleep,
    sink: () =>
      createMarketDataSink({
        bus, subjects, mdStream: md, maxPayloadBytes: 8192, now: () => 1_800_000_000_000,
        onStatus: (s) => {
          if (process.env['GW_DEBUG'] !== undefined) console.log(JSON.stringify(s));
          statuses.push(s);
        },
      }),
    teardown: async () => {
      await bus.deleteStreams(specs.map((s) => s.name));
      await bus.close();
    },
  };
}

/** Every message of a stream matching `filter`, in stream order. */
export async function readStream(bus: Bus, stream: string, filter: string): Promise<Array<{ subject: string; msg: Record<string, unknown> }>> {
  const n = await bus.countMessages(stream, filter);
  const got: Delivery[] = [];
  if (n === 0) return [];
  const durable = `read_${randomUUID().slice(0, 8)}`;
  const c = bus.consume({ stream, durable, filterSubject: filter, batchSize: 256 }, (batch) => void got.push(...batch));
  await until(() => got.length >= n, 10_000, `reading ${n} messages of ${filter}`);
  await c.stop();
  await bus.deleteConsumer(stream, durable);
  return got.map((d) => ({ subject: d.subject, msg: JSON.parse(new TextDecoder().decode(d.data)) as Record<string, unknown> }));
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs a source in the background; `stop()` aborts it and waits for every feed to end. */
export function start(source: MarketDataSource, sink: FeedSink): { stop(): Promise<void>; done: Promise<void> } {
  const ac = new AbortController();
  const done = source.run(sink, ac.signal);
  done.catch(() => {});
  return {
    done,
    stop: async () => {
      ac.abort();
      await done;
      await source.close();
    },
  };
}
