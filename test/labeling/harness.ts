import { randomUUID } from 'node:crypto';
import { afterEach } from 'vitest';
import type { LabelingActorHandle } from '../../actors/labeling-actor.js';
import { startLabelingActor } from '../../actors/labeling-actor.js';
import { loadConfig } from '../../config/load.js';
import type { LabelSpec } from '../../models/labeling/label-spec.js';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { silentLogger } from '../../state/logger.js';
import type { TimeseriesReader } from '../../state/timeseries-store.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import type { Bus } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { Order } from '../../streams/messages/order.js';
import type { Prediction } from '../../streams/messages/prediction.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import type { Subjects } from '../../streams/subjects.js';
import { subjectsFor } from '../../streams/subjects.js';
import { VENUE } from './fixtures.js';

export type Namespace = Readonly<{ prefix: string; namePrefix: string; subjects: Subjects; streams: { MD: string; SIGNALS: string; OUTCOMES: string; DLQ: string } }>;

/** Subject prefix and stream names of one test: nobody else's messages, nobody else's consumers. */
export function namespace(): Namespace {
  const tag = randomUUID().replaceAll('-', '').slice(0, 10);
  const cfg = { ...loadConfig(), prefix: `lbl${tag}`, streamNamePrefix: `L${tag}_` };
  return {
    prefix: cfg.prefix,
    namePrefix: cfg.streamNamePrefix,
    subjects: subjectsFor(cfg.prefix),
    streams: { MD: streamName(cfg, 'MD'), SIGNALS: streamName(cfg, 'SIGNALS'), OUTCOMES: streamName(cfg, 'OUTCOMES'), DLQ: streamName(cfg, 'DLQ') },
  };
}

export const specsOf = (ns: Namespace) => streamSpecs(loadConfig(), { namePrefix: ns.namePrefix, subjectPrefix: ns.prefix, storage: 'memory' });

/**
 * For a test file: `cleanups` run after each test, last first, and `setup()`, a memory bus with
 * the streams of a fresh namespace, closed after the test.
 */
export function memoryBusPerTest(): Readonly<{ cleanups: (() => Promise<void>)[]; setup: () => Promise<{ bus: Bus; ns: Namespace }> }> {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const setup = async (): Promise<{ bus: Bus; ns: Namespace }> => {
    const ns = namespace();
    const bus = createMemoryBus();
    await bus.ensureStreams(specsOf(ns));
    cleanups.push(() => bus.close());
    return { bus, ns };
  };
  return { cleanups, setup };
}

export async function startActor(
  bus: Bus,
  ns: Namespace,
  stores: Readonly<{ timeseries: Pick<TimeseriesReader, 'bars' | 'features' | 'lastTs'>; samples: TrainingSampleStore }>,
  opts: Readonly<{ strategy?: string; symbols?: readonly string[]; spec?: LabelSpec; ackWaitMs?: number; batchSize?: number }> = {},
): Promise<LabelingActorHandle> {
  return startLabelingActor({
    bus,
    subjects: ns.subjects,
    timeseries: stores.timeseries,
    samples: stores.samples,
    clock: { now: () => 0, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} },
    log: silentLogger,
    strategy: opts.strategy ?? 's1',
    timeframe: '1h',
    spec: opts.spec ?? DEFAULT_LABEL_SPEC,
    assets: (opts.symbols ?? ['BTC/USDT']).map((symbol) => ({ venue: VENUE, symbol })),
    streams: ns.streams,
    batchSize: opts.batchSize ?? 64,
    ackWaitMs: opts.ackWaitMs ?? 30_000,
    maxPayloadBytes: 65_536,
  });
}

export const publishBars = async (bus: Bus, ns: Namespace, bars: readonly Bar[]): Promise<void> => {
  for (const b of bars) await bus.publish(ns.subjects.bar(b.venue, b.symbol, b.tf), encode(b), { msgId: b.id });
};
export const publishSignals = async (bus: Bus, ns: Namespace, msgs: readonly (Prediction | Order | Fill | Expiry)[]): Promise<void> => {
  for (const m of msgs) {
    const subject =
      m.type === 'pred'
        ? ns.subjects.prediction(m.strategy, m.venue, m.symbol)
        : m.type === 'exec.order'
          ? ns.subjects.order(m.strategy, m.venue, m.symbol)
          : m.type === 'exec.expired'
            ? ns.subjects.expired(m.venue, m.symbol)
            : ns.subjects.fill(m.venue, m.symbol);
    await bus.publish(subject, encode(m), { msgId: m.id });
  }
};

/** Polls until `cond` holds (or fails with `what` after `ms`). */
export async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Everything published on a subject filter of a stream, decoded, in stream order (own ephemeral durable). */
export function collect<T>(bus: Bus, stream: string, filterSubject: string): { msgs: T[]; stop(): Promise<void> } {
  const msgs: T[] = [];
  const c = bus.consume({ stream, durable: `collect_${randomUUID().slice(0, 8)}`, filterSubject, batchSize: 256, ackWaitMs: 30_000 }, (batch) => {
    for (const d of batch) msgs.push(JSON.parse(new TextDecoder().decode(d.data)) as T);
  });
  return { msgs, stop: () => c.stop() };
}
