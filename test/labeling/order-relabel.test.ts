import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabelingActorHandle } from '../../actors/labeling-actor.js';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createMemoryTimeseriesStore } from '../../state/memory-timeseries-store.js';
import { createMemoryTrainingSampleStore } from '../../state/memory-training-sample-store.js';
import { createPgTrainingSampleStore } from '../../state/pg-training-sample-store.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import type { Bus } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { Order } from '../../streams/messages/order.js';
import type { Outcome } from '../../streams/messages/outcome.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { dropSchema } from '../support/pg.js';
import { bar, order, prediction, vectorOf } from './fixtures.js';
import type { Namespace } from './harness.js';
import { collect, namespace, publishBars, publishSignals, specsOf, startActor, until } from './harness.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_relbl_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
// Orders are due one bar after their decision bar; those without a vector are refused at once (the store holds a later vector, bar 5's).
const spec = { ...DEFAULT_LABEL_SPEC, horizonBars: 1, fillGraceBars: 0, featureWaitBars: 0 };
/** More than the labeled ids the actor remembers (the newest 1,024 to 2,048): A is forgotten for sure. */
const OTHERS = 2_100;
/** OUTCOMES' duplicate window: A is re-published after it, as after the default 120 s, so that the stream's dedup cannot hide a second outcome. */
const WINDOW_MS = 300;
const streamsOf = (ns: Namespace) => specsOf(ns).map((x) => (x.name === ns.streams.OUTCOMES ? { ...x, duplicateWindowMs: WINDOW_MS } : x));

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(PG_URL, s);
});

/**
 * Order A labeled, then OTHERS orders completed (refused: no vector on their bar), then A
 * re-published as a decision path restarted after a crash does (same id, a new stream message past
 * the duplicate window), with `restart` between: A is not labeled a second time.
 */
async function relabelRun(bus: Bus, ns: Namespace, samples: TrainingSampleStore, restart?: () => Promise<Bus>): Promise<void> {
  const timeseries = createMemoryTimeseriesStore();
  const bars: Bar[] = [0, 1, 2, 3, 4, 5].map((i) => bar(i, 101 + i, 99 + i, 100 + i));
  const b = (i: number): Bar => bars[i] as Bar;
  // Bar 5's vector: the recorder got past the others' bars (and bar 4's) without storing theirs.
  await timeseries.insert({ bars, features: [vectorOf(b(0), 1), vectorOf(b(5), 1)] });
  const a = order('s1', b(0), 'buy');
  const others: Order[] = Array.from({ length: OTHERS }, (_, n) => order('s1', b(1), 'sell', 1, n + 1));
  const outcomes = collect<Outcome>(bus, ns.streams.OUTCOMES, ns.subjects.streamSubjects.OUTCOMES[0] ?? '');
  const actors: LabelingActorHandle[] = [];
  try {
    actors.push(await startActor(bus, ns, { timeseries, samples }, { spec, batchSize: 256 }));
    await publishBars(bus, ns, bars);
    // An own prediction of bar 4 after each group: the orders' fills are in (nothing more will come).
    await publishSignals(bus, ns, [a, prediction('s1', b(4), 0.01, 1)]);
    await until('A labeled', () => outcomes.msgs.some((o) => o.subject.id === a.id));
    await publishSignals(bus, ns, [...others, prediction('s1', b(5), 0.01, 1)]);
    let actor = actors[0] as LabelingActorHandle;
    // Refused: the others and the prediction of bar 4 (no vectors); the prediction of bar 5 waits for bar 6.
    await until('the others refused', () => actor.stats().refused === OTHERS + 1 && actor.pendingIds().length === 1, 60_000);
    expect(await samples.count('s1')).toBe(1);
    if (restart !== undefined) {
      await actor.stop();
      bus = await restart();
      actor = await startActor(bus, ns, { timeseries, samples }, { spec });
      actors.push(actor);
    }
    const received = actor.stats().received;
    await new Promise((r) => setTimeout(r, 2 * WINDOW_MS));
    // Re-published: same id, another stream message (no Nats-Msg-Id: as one past the duplicate window).
    await bus.publish(ns.subjects.order('s1', a.venue, a.symbol), encode(a));
    await until('the re-published order received and settled', () => actor.stats().received === received + 1 && !actor.pendingIds().includes(a.id));
    await new Promise((r) => setTimeout(r, 200)); // nothing more may come
    expect(outcomes.msgs.filter((o) => o.subject.id === a.id)).toHaveLength(1);
    expect(actor.stats().labeled).toBe(restart === undefined ? 1 : 0); // A, in the first run
    expect(await samples.samples({ strategy: 's1', kind: 'order' })).toHaveLength(1);
    expect(actor.stats().relabelsSkipped).toBe(1);
  } finally {
    await outcomes.stop();
    for (const x of actors) await x.stop().catch(() => {});
  }
}

describe('an order re-published after the labeling actor forgot its id', () => {
  it('is not labeled again (memory bus and stores)', async () => {
    const ns = namespace();
    const bus = createMemoryBus();
    await bus.ensureStreams(streamsOf(ns));
    try {
      await relabelRun(bus, ns, createMemoryTrainingSampleStore());
    } finally {
      await bus.close();
    }
  }, 90_000);

  it('is not labeled again after a restart (NATS JetStream and PostgreSQL)', async () => {
    const ns = namespace();
    const s = `${schema}_a`;
    schemas.push(s);
    const samples = await createPgTrainingSampleStore({ url: PG_URL, schema: s });
    const admin = await createNatsBus({ url: NATS_URL, name: 'relabel-admin', connectTimeoutMs: 3000 });
    await admin.ensureStreams(streamsOf(ns));
    const buses: Bus[] = [];
    const connect = async (): Promise<Bus> => {
      const b = await createNatsBus({ url: NATS_URL, name: `relabel-${buses.length}`, connectTimeoutMs: 3000 });
      buses.push(b);
      return b;
    };
    try {
      await relabelRun(await connect(), ns, samples, connect);
    } finally {
      for (const b of buses) await b.close().catch(() => {});
      await admin.deleteStreams(specsOf(ns).map((x) => x.name));
      await admin.close();
      await samples.close();
    }
  }, 120_000);
});
