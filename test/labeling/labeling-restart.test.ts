import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelingActorHandle } from '../../actors/labeling-actor.js';
import { DEFAULT_LABEL_SPEC } from '../../models/labeling/label-spec.js';
import { createPgTimeseriesStore } from '../../state/pg-timeseries-store.js';
import { createPgTrainingSampleStore } from '../../state/pg-training-sample-store.js';
import type { TimeseriesStore } from '../../state/timeseries-store.js';
import type { TrainingSampleStore } from '../../state/training-sample-store.js';
import type { Bus } from '../../streams/bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import { expiryId } from '../../streams/messages/expiry.js';
import type { Label } from '../../streams/messages/label.js';
import type { Order } from '../../streams/messages/order.js';
import type { Outcome } from '../../streams/messages/outcome.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { dropSchema } from '../support/pg.js';
import { fill, order, prediction, randomWalk, vectorOf } from './fixtures.js';
import type { Namespace } from './harness.js';
import { collect, namespace, publishBars, publishSignals, specsOf, startActor, until } from './harness.js';

// Real NATS JetStream (own stream names and subject prefix) and real PostgreSQL (own schema).
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sx_lbl_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const spec = { ...DEFAULT_LABEL_SPEC, horizonBars: 4, retainBars: 2, fillGraceBars: 0 };

let ns: Namespace;
let admin: Bus;
let timeseries: TimeseriesStore;
let samples: TrainingSampleStore;
const newBus = (name: string) => createNatsBus({ url: NATS_URL, name, connectTimeoutMs: 3000 });

beforeAll(async () => {
  ns = namespace();
  admin = await newBus('labeling-test-admin');
  await admin.ensureStreams(specsOf(ns));
  timeseries = await createPgTimeseriesStore({ url: PG_URL, schema, poolSize: 2 });
  samples = await createPgTrainingSampleStore({ url: PG_URL, schema });
});
afterAll(async () => {
  await admin.deleteStreams(specsOf(ns).map((s) => s.name));
  await admin.close();
  await timeseries.close();
  await samples.close();
  await dropSchema(PG_URL, schema);
});

describe('labeling actor on NATS JetStream and PostgreSQL', () => {
  it('survives kills mid-horizon: every prediction and order is labeled exactly once, samples stored once', async () => {
    const bars = randomWalk(28, 11);
    const b = (i: number): Bar => bars[i] as Bar;
    // The recorder's rows: bars and the decision-time vectors, as the asset actor stores them.
    await timeseries.insert({ bars, features: bars.map((x, i) => vectorOf(x, x.close * 0.01, { rsi_14: i })) });
    const preds = bars.map((x, i) => prediction('s1', x, i % 3 === 0 ? -0.002 : 0.003, 4));
    const o2 = order('s1', b(2), 'buy', 0.5);
    const o5 = order('s1', b(5), 'sell', 0.25);
    const outcomes = collect<Outcome>(admin, ns.streams.OUTCOMES, ns.subjects.streamSubjects.OUTCOMES[0] ?? '');
    const labels = collect<Label>(admin, ns.streams.OUTCOMES, ns.subjects.streamSubjects.OUTCOMES[1] ?? '');
    const actors: { bus: Bus; actor: LabelingActorHandle }[] = [];
    const start = async (ackWaitMs = 30_000) => {
      const bus = await newBus(`labeling-test-${actors.length}`);
      const actor = await startActor(bus, ns, { timeseries, samples }, { spec, ackWaitMs });
      actors.push({ bus, actor });
      return actor;
    };
    /** Crash stand-in: the batch in hand is neither committed nor acknowledged, the connection dropped without a flush. */
    const kill = async (i: number) => {
      const a = actors[i];
      if (a === undefined) throw new Error('no actor');
      await a.actor.abort();
      await a.bus.close();
    };
    const labeled = () => actors.reduce((n, a) => n + a.actor.stats().labeled, 0);
    try {
      // Run 1: predictions 0–9, two orders with their fills, bars 0–9.
      const a1 = await start();
      await publishSignals(admin, ns, [...preds.slice(0, 10), o2, fill(o2, 1, b(3).ts, 0.5, b(2).close * 1.001, true, 0.01), o5, fill(o5, 1, b(6).ts, 0.25, b(5).close * 0.999, true, 0.01)]);
      await publishBars(admin, ns, bars.slice(0, 10));
      await until('run 1 labels (preds 0–5, both orders)', () => a1.stats().labeled === 8);
      expect(a1.pendingIds()).toEqual(preds.slice(6, 10).map((p) => p.id).sort());
      await kill(0);

      // While down: more bars and predictions. Run 2 resumes the pending horizons of run 1.
      await publishBars(admin, ns, bars.slice(10, 16));
      await publishSignals(admin, ns, preds.slice(10, 14));
      await publishBars(admin, ns, bars.slice(16, 24));
      const a2 = await start();
      await until('run 2 labels (preds 6–13)', () => a2.stats().labeled === 8);
      // Predictions 14–19 arrive after their bars left the buffer (retainBars 2): their paths are read from PostgreSQL.
      await publishSignals(admin, ns, preds.slice(14, 20));
      await until('run 2 labels (preds 6–19)', () => labeled() === 22);
      expect(a2.stats().duplicates).toBe(0);
      expect(a2.stats().labeled).toBe(14);
      expect(a2.stats(), JSON.stringify(a2.stats())).toMatchObject({ pathsFromStore: expect.any(Number) });
      expect(a2.stats().pathsFromStore, JSON.stringify(a2.stats())).toBeGreaterThan(0); // the late predictions' bars came from PostgreSQL

      // Run 3: killed while its batch may be in flight; run 4 resumes after the ack wait.
      await publishSignals(admin, ns, preds.slice(20, 24));
      await publishBars(admin, ns, bars.slice(24, 28));
      await kill(1);
      await start(1_000);
      await until('all 26 outcomes and labels', async () => outcomes.msgs.length >= 26 && labels.msgs.length >= 26 && (await samples.count('s1')) === 26);
      await new Promise((r) => setTimeout(r, 300)); // nothing more may come

      const ids = (ms: readonly { id: string }[]) => ms.map((m) => m.id);
      expect(new Set(ids(outcomes.msgs)).size).toBe(outcomes.msgs.length);
      expect(new Set(ids(labels.msgs)).size).toBe(labels.msgs.length);
      expect(ids(labels.msgs).sort()).toEqual([...preds.slice(0, 24), o2, o5].map((m) => `lbl:${m.id}`).sort());
      expect(await admin.countMessages(ns.streams.OUTCOMES, ns.subjects.streamSubjects.OUTCOMES[0])).toBe(26);
      expect(await admin.countMessages(ns.streams.DLQ)).toBe(0);

      const stored = await samples.samples({ strategy: 's1' });
      expect(stored.map((s) => s.id)).toEqual(preds.slice(0, 24).map((p) => p.id));
      for (const [i, s] of stored.entries()) {
        expect(s.features).toEqual({ atr_14: b(i).close * 0.01, close: b(i).close, rsi_14: i }); // the vector of the decision bar
        expect(s.forwardReturn).toBe(Math.log(b(i + 4).close / b(i).close));
        const l = labels.msgs.find((x) => x.subject.id === s.id);
        expect([s.label, s.barrier, s.outcomeClass, s.labeledTs]).toEqual([l?.label, l?.barrier, l?.outcomeClass, l?.ts]);
      }
      const orderSamples = await samples.samples({ strategy: 's1', kind: 'order' });
      expect(orderSamples.map((s) => [s.id, s.kind === 'order' ? s.side : null, s.features['rsi_14']])).toEqual([[o2.id, 'buy', 2], [o5.id, 'sell', 5]]);
      for (const s of orderSamples) {
        const l = labels.msgs.find((x) => x.subject.id === s.id);
        expect([s.label, s.barrier, s.outcomeClass, s.labeledTs, s.forwardReturn, s.model]).toEqual([l?.label, l?.barrier, l?.outcomeClass, l?.ts, l?.forwardReturn, null]);
      }
      const out2 = outcomes.msgs.find((o) => o.subject.id === o2.id);
      expect(out2?.shortfall?.executionBps).toBeCloseTo(10 + (0.01 * 1e4) / (0.5 * b(2).close), 6);
    } finally {
      await outcomes.stop();
      await labels.stop();
      for (const a of actors) {
        await a.actor.stop().catch(() => {});
        await a.bus.close().catch(() => {});
      }
    }
  }, 90_000);

  it('a crash between publishing labels and committing them, restarted after the duplicate window: each label and outcome stored once on OUTCOMES', async () => {
    // Own streams, OUTCOMES with a 400 ms duplicate window: the restart comes after it, as one
    // after the default 120 s would, so JetStream's Nats-Msg-Id dedup cannot absorb a republish.
    const ns2 = namespace();
    const WINDOW_MS = 400;
    await admin.ensureStreams(specsOf(ns2).map((x) => (x.name === ns2.streams.OUTCOMES ? { ...x, duplicateWindowMs: WINDOW_MS } : x)));
    const bars = randomWalk(10, 5, 'ETH/USDT'); // another asset than the first test's rows
    const preds = bars.map((x) => prediction('s2', x, 0.003, 4));
    await timeseries.insert({ bars, features: bars.map((x, i) => vectorOf(x, x.close * 0.01, { rsi_14: i })) });
    // The first actor's store: its armed commit stops there (the crash comes while it is in flight).
    let armed = false;
    let crash: ((e: Error) => void) | undefined;
    const crashing = new Proxy(samples, {
      get(target, prop, receiver) {
        if (prop === 'commit' && armed) return () => new Promise<never>((_, reject) => (crash = reject));
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const bus1 = await newBus('labeling-crash-1');
    const bus2 = await newBus('labeling-crash-2');
    const ownLabels = `${ns2.prefix}.label.s2.>`;
    const ownOutcomes = `${ns2.prefix}.outcome.s2.>`;
    let a1: LabelingActorHandle | undefined;
    let a2: LabelingActorHandle | undefined;
    try {
      a1 = await startActor(bus1, ns2, { timeseries, samples: crashing }, { strategy: 's2', symbols: ['ETH/USDT'], spec, ackWaitMs: 1_000 });
      await publishSignals(admin, ns2, preds.slice(0, 8));
      await publishBars(admin, ns2, bars.slice(0, 6));
      await until('run 1 labels predictions 0 and 1 and commits', () => a1?.stats().labeled === 2);
      armed = true;
      await publishBars(admin, ns2, bars.slice(6, 8)); // prediction 2 due (and 3 with bar 7's batch): published, then the commit hangs
      await until('run 1 publishes the labels of the next batch', () => crash !== undefined);
      const unconfirmed = (await admin.countMessages(ns2.streams.OUTCOMES, ownLabels)) - 2;
      expect(unconfirmed).toBeGreaterThanOrEqual(1); // on the stream, not committed
      const aborting = a1.abort();
      crash?.(new Error('crash: process killed during the commit'));
      await aborting;
      await bus1.close();
      expect(a1.stats().labeled).toBe(2); // predictions 2 and 3 not committed

      await new Promise((r) => setTimeout(r, 2 * WINDOW_MS)); // past the duplicate window
      a2 = await startActor(bus2, ns2, { timeseries, samples }, { strategy: 's2', symbols: ['ETH/USDT'], spec, ackWaitMs: 1_000 });
      await until('run 2 labels predictions 2 and 3 again', () => a2?.stats().labeled === 2);
      await publishBars(admin, ns2, bars.slice(8, 10));
      await until('run 2 labels predictions 4 and 5', () => a2?.stats().labeled === 4);
      await new Promise((r) => setTimeout(r, 300)); // nothing more may come

      const read = async (filter: string) => (await admin.readFrom(ns2.streams.OUTCOMES, filter)).messages.map((m) => (JSON.parse(new TextDecoder().decode(m.data)) as { id: string }).id);
      const labelIds = await read(ownLabels);
      const outcomeIds = await read(ownOutcomes);
      expect(labelIds).toEqual(preds.slice(0, 6).map((p) => `lbl:${p.id}`));
      expect(outcomeIds).toEqual(preds.slice(0, 6).map((p) => `out:${p.id}`));
      expect(a2.stats().duplicates).toBe(2 * unconfirmed); // the outcomes and labels found on the stream, not sent again
      expect(await samples.count('s2')).toBe(6);
      expect(a2.pendingIds()).toEqual(preds.slice(6, 8).map((p) => p.id).sort());
    } finally {
      crash?.(new Error('test over'));
      await a1?.abort().catch(() => {});
      await a2?.stop().catch(() => {});
      await bus1.close().catch(() => {});
      await bus2.close().catch(() => {});
      await admin.deleteStreams(specsOf(ns2).map((x) => x.name));
    }
  }, 60_000);

  it("labels an order at its horizon once its expiry's fills are in, not after the fill grace, across a restart; one whose expiry came before its last fill waits for that fill", async () => {
    const ns3 = namespace();
    await admin.ensureStreams(specsOf(ns3));
    const graceSpec = { ...spec, horizonBars: 2, fillGraceBars: 3 };
    const bars = randomWalk(8, 31, 'SOL/USDT'); // another asset than the other tests' rows
    const b = (i: number): Bar => bars[i] as Bar;
    await timeseries.insert({ bars, features: bars.map((x) => vectorOf(x, x.close * 0.01)) });
    const expiry = (o: Order, ts: number, filledQty: number): Expiry => ({
      type: 'exec.expired', v: 1, id: expiryId(o.id), ts, orderId: o.id, strategy: o.strategy, venue: o.venue, symbol: o.symbol, filledQty, remainingQty: o.qty - filledQty, reason: 'venue',
    });
    // Both decided on bar 0, horizon bar 2; the grace (3 bars) would hold them to bar 5.
    const oA = order('s3', b(0), 'buy', 2, 0);
    const oB = order('s3', b(0), 'buy', 2, 1);
    const lateB = fill(oB, 2, b(1).ts + 30_000, 1, b(1).close, false);
    const outcomes = collect<Outcome>(admin, ns3.streams.OUTCOMES, ns3.subjects.streamSubjects.OUTCOMES[0] ?? '');
    const opts = { strategy: 's3', symbols: ['SOL/USDT'], spec: graceSpec };
    const bus1 = await newBus('labeling-expiry-1');
    const bus2 = await newBus('labeling-expiry-2');
    let a2: LabelingActorHandle | undefined;
    try {
      const a1 = await startActor(bus1, ns3, { timeseries, samples }, opts);
      // A: 0.5 filled, then its expiry says 0.5. B: 0.5 filled, its expiry says 1.5 (the venue's last fill still to come).
      await publishSignals(admin, ns3, [oA, oB, fill(oA, 1, b(1).ts, 0.5, b(1).open, false), fill(oB, 1, b(1).ts, 0.5, b(1).open, false), expiry(oA, b(1).ts + 60_000, 0.5), expiry(oB, b(1).ts + 60_000, 1.5)]);
      await publishBars(admin, ns3, bars.slice(0, 2));
      await until('run 1 reads the signals and bars 0–1', () => a1.stats().received === 8);
      await a1.stop(); // restart before the horizon
      await bus1.close();
      const snap = (await samples.loadSnapshot('labeling:s3')) as { v: number; expiries: Expiry[] };
      expect([snap.v, snap.expiries.map((e) => e.orderId)]).toEqual([2, [oA.id, oB.id].sort()]);

      a2 = await startActor(bus2, ns3, { timeseries, samples }, opts);
      await publishBars(admin, ns3, [b(2)]); // the horizon bar
      await until('A labeled at its horizon', () => outcomes.msgs.some((m) => m.subject.id === oA.id));
      expect(outcomes.msgs.find((m) => m.subject.id === oA.id)?.shortfall?.filledQty).toBe(0.5);
      // A later SIGNALS message (the strategy's prediction at the horizon bar's close) does not end B's wait: its expiry says a fill is to come.
      await publishSignals(admin, ns3, [prediction('s3', b(3), 0.01, 2)]);
      await until('the prediction read', () => (a2?.stats().received ?? 0) === 2);
      await new Promise((r) => setTimeout(r, 300)); // its batch settled
      expect(a2.pendingIds()).toContain(oB.id);
      expect(outcomes.msgs.some((m) => m.subject.id === oB.id)).toBe(false);
      await publishSignals(admin, ns3, [lateB]);
      await until('B labeled once its last fill came', () => outcomes.msgs.some((m) => m.subject.id === oB.id));
      expect(outcomes.msgs.find((m) => m.subject.id === oB.id)?.shortfall?.filledQty).toBe(1.5);
      expect(outcomes.msgs.map((m) => m.ts)).toEqual([b(2).ts, b(2).ts]);
      expect(await admin.countMessages(ns3.streams.DLQ)).toBe(0);
    } finally {
      await outcomes.stop();
      await a2?.stop().catch(() => {});
      await bus1.close().catch(() => {});
      await bus2.close().catch(() => {});
      await admin.deleteStreams(specsOf(ns3).map((x) => x.name));
    }
  }, 60_000);
});
