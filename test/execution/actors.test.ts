import { describe, expect, it } from 'vitest';
import { createExecutionCore, startExecutionActor } from '../../actors/execution-actor.js';
import type { ExecutionInput } from '../../actors/execution-actor.js';
import { createPaperVenue, startPaperVenue } from '../../actors/paper-venue.js';
import type { VenueExpiry } from '../../actors/paper-venue.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { Bus } from '../../streams/bus.js';
import type { Bar } from '../../streams/messages/bar.js';
import { decodeText, encode } from '../../streams/codec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import type { Fill } from '../../streams/messages/fill.js';
import { FillSchema } from '../../streams/messages/fill.js';
import type { Order } from '../../streams/messages/order.js';
import { orderId } from '../../streams/messages/order.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import { SuggestionSchema } from '../../streams/messages/suggestion.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bar, prediction, quote, SYMBOL, VENUE } from './fixtures.js';

const subjects = subjectsFor('sx');

async function newBus(): Promise<Bus> {
  const bus = createMemoryBus();
  await bus.ensureStreams([
    { name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' },
    { name: 'DLQ', subjects: subjects.streamSubjects.DLQ, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' },
  ]);
  return bus;
}

let reads = 0;

/** Every message of a stream matching `filterSubject`, in order (a fresh durable each call). */
async function readAll(bus: Bus, stream: string, filterSubject = '>'): Promise<{ subject: string; json: unknown }[]> {
  const total = await bus.countMessages(stream, filterSubject);
  const got: { subject: string; json: unknown }[] = [];
  if (total === 0) return got;
  await new Promise<void>((resolve) => {
    const c = bus.consume({ stream, durable: `read-${++reads}`, filterSubject }, (batch) => {
      for (const d of batch) got.push({ subject: d.subject, json: JSON.parse(decodeText(d.data)) });
      if (got.length >= total) {
        queueMicrotask(() => void c.stop());
        resolve();
      }
    });
  });
  return got;
}

/** What the risk actor would do with a suggestion it approves (the test stands in for it). */
const approve = (s: Suggestion, venue: string): Order => ({
  type: 'exec.order',
  v: 1,
  id: orderId(s.id),
  ts: s.ts,
  strategy: s.strategy,
  venue,
  symbol: s.symbol,
  suggestionId: s.id,
  side: s.side,
  qty: s.qty,
  orderType: s.orderType,
  limitPrice: s.limitPrice,
  expiresAt: s.ts + s.ttlMs,
  reducing: false,
});

describe('execution actor and paper venue on the memory bus', () => {
  it('publishes suggestions on sx.exec.suggest.… once each (Nats-Msg-Id = id), children as event time passes', async () => {
    const bus = await newBus();
    const deps = { bus, subjects, clock: createSimulatedClock(0), log: silentLogger };
    const core = () => createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 2 }), minQty: 0.001 });
    const a = startExecutionActor(deps, { core: core() });
    const b = startExecutionActor(deps, { core: core() }); // a second replica on the same input
    const inputs = [quote(0, 99.9, 100.1), prediction(0, 2), quote(120_000, 100, 100.2)];
    await Promise.all([a.push(inputs), b.push(inputs)]);
    const got = await readAll(bus, 'SIGNALS');
    expect(got.map((m) => m.subject)).toEqual([subjects.suggestion('s1', VENUE, SYMBOL), subjects.suggestion('s1', VENUE, SYMBOL)]);
    const sugg = got.map((m) => SuggestionSchema.parse(m.json));
    expect(sugg.map((s) => [s.child, s.ts, s.qty, s.refPrice])).toEqual([
      [0, 0, 1, 100],
      [1, 120_000, 1, 100.1], // due at 120,000: priced at the quote of that instant, seen first (as in the decision path)
    ]);
    expect(a.stats()).toMatchObject({ received: 3, suggestions: 2, published: 2, publishFailures: 0 });
    await a.stop();
    await b.stop();
    await bus.close();
  });

  it('closes the loop: suggestions → (approved) orders → paper fills on sx.exec.fill.… → position', async () => {
    const bus = await newBus();
    const deps = { bus, subjects, clock: createSimulatedClock(0), log: silentLogger };
    const core = createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 2, orderType: 'market' }), minQty: 0.001 });
    const exec = startExecutionActor(deps, { core });
    const expired: VenueExpiry[] = [];
    const venue = startPaperVenue(deps, {
      venue: createPaperVenue({ venue: VENUE, takerFeeBps: 10, makerFeeBps: 0, spreadBps: 10, slippage: { impactCoeff: 0 }, maxVolumeShare: 1 }),
      onExpired: (e) => expired.push(e),
    });
    const bars = [0, 60_000, 120_000, 180_000].map((ts, i) => bar(ts, 100 + i, 101 + i, 99 + i, 100 + i, 1_000));
    const seen = new Set<string>();
    const fresh = async (subject: string): Promise<unknown[]> => {
      const all = (await readAll(bus, 'SIGNALS', subject)).map((m) => m.json as { id: string });
      const out = all.filter((m) => !seen.has(m.id));
      out.forEach((m) => seen.add(m.id));
      return out;
    };
    const fills: Fill[] = [];
    // Event loop of a backtest: each bar goes to the venue (fills of working orders), the fills
    // back to the execution actor, then the bar itself (children falling due), then approval.
    const inputs: readonly (readonly ExecutionInput[])[] = [[bars[0]!, prediction(0, 4)], [bars[1]!], [bars[2]!], [bars[3]!]];
    for (const [i, batch] of inputs.entries()) {
      if (i > 0) await venue.push(batch.filter((m): m is Bar => m.type === 'md.bar'));
      const newFills = (await fresh(subjects.fill(VENUE, SYMBOL))).map((j) => FillSchema.parse(j));
      fills.push(...newFills);
      await exec.push(newFills);
      await exec.push(batch);
      const sugg = (await fresh(subjects.suggestion('s1', VENUE, SYMBOL))).map((j) => SuggestionSchema.parse(j));
      await venue.push(sugg.map((x) => approve(x, VENUE)));
    }
    // Child 0 (2 at t=0) fills at the next open 101 + 5 bps; child 1 (due 120,000) at the open 103 + 5 bps.
    expect(fills.map((f: Fill) => [f.id, f.qty, f.price, f.final])).toEqual([
      [`x:o:s:e:${prediction(0, 4).id}:0:0`, 2, 101 * 1.0005, true],
      [`x:o:s:e:${prediction(0, 4).id}:1:0`, 2, 103 * 1.0005, true],
    ]);
    expect(core.asset(VENUE, SYMBOL)).toMatchObject({ position: 4, working: 0 });
    // The same intent again: the target is held, nothing more to do.
    await exec.push([prediction(200_000, 4)]);
    expect(exec.stats()).toMatchObject({ parents: 1, suggestions: 2 });
    expect(expired).toEqual([]);
    expect(exec.stats()).toMatchObject({ fills: 2, suggestions: 2 });
    await exec.stop();
    await venue.stop();
    await bus.close();
  });

  it('reads inputs from durable consumers and refuses bad ones to sx.dlq.execution', async () => {
    const bus = await newBus();
    const clock = createSimulatedClock(7);
    const exec = startExecutionActor(
      { bus, subjects, clock, log: silentLogger },
      { core: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }), consumers: [{ stream: 'SIGNALS', durable: 'exec-s1', filterSubject: subjects.prediction('s1', VENUE, SYMBOL) }] },
    );
    const subject = subjects.prediction('s1', VENUE, SYMBOL);
    await bus.publish(subject, new TextEncoder().encode('{nope'));
    await bus.publish(subject, encode({ ...prediction(0, 1), price: -1 }));
    await bus.publish(subject, encode(prediction(0, 1)));
    for (let i = 0; i < 50 && (await bus.countMessages('SIGNALS', subjects.suggestion('s1', VENUE, SYMBOL))) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const sugg = await readAll(bus, 'SIGNALS', subjects.suggestion('s1', VENUE, SYMBOL));
    expect(sugg.map((m) => SuggestionSchema.parse(m.json).qty)).toEqual([1]);
    const dlq = (await readAll(bus, 'DLQ')).map((m) => DlqEntrySchema.parse(m.json));
    expect(dlq.map((d) => [d.source, d.reason, d.ts])).toEqual([
      ['execution', 'MALFORMED_JSON', 7],
      ['execution', 'SCHEMA', 7],
    ]);
    expect(exec.stats()).toMatchObject({ refused: 2, received: 1, published: 1 });
    await exec.stop();
    await bus.close();
  });

  it('dead-letters the same bytes published twice as two entries, one per refusal counted (execution actor and paper venue)', async () => {
    const bus = await newBus();
    const deps = { bus, subjects, clock: createSimulatedClock(7), log: silentLogger };
    const predSubject = subjects.prediction('s1', VENUE, SYMBOL);
    const orderSubject = subjects.order('s1', VENUE, SYMBOL);
    const exec = startExecutionActor(deps, {
      core: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }),
      consumers: [{ stream: 'SIGNALS', durable: 'exec-s1', filterSubject: predSubject }],
    });
    const venue = startPaperVenue(deps, {
      venue: createPaperVenue({ venue: VENUE, takerFeeBps: 10, makerFeeBps: 0, spreadBps: 10, slippage: { impactCoeff: 0 }, maxVolumeShare: 1 }),
      consumers: [{ stream: 'SIGNALS', durable: 'venue', filterSubject: orderSubject }],
    });
    // A sender re-sending what it sent (a reconnect): each copy is a message of the stream, refused and counted.
    for (const subject of [predSubject, predSubject, orderSubject, orderSubject]) await bus.publish(subject, new TextEncoder().encode('{nope'));
    for (let i = 0; i < 50 && (exec.stats().refused < 2 || venue.stats().refused < 2); i++) await new Promise((r) => setTimeout(r, 10));
    expect(exec.stats()).toMatchObject({ refused: 2 });
    expect(venue.stats()).toMatchObject({ refused: 2 });
    const dlq = (await readAll(bus, 'DLQ')).map((m) => DlqEntrySchema.parse(m.json));
    expect(dlq.map((d) => [d.source, d.reason]).sort()).toEqual([
      ['execution', 'MALFORMED_JSON'],
      ['execution', 'MALFORMED_JSON'],
      ['paper-venue', 'MALFORMED_JSON'],
      ['paper-venue', 'MALFORMED_JSON'],
    ]);
    expect(new Set(dlq.map((d) => d.id)).size).toBe(4);
    await exec.stop();
    await venue.stop();
    await bus.close();
  });

  it('sends an input whose handling fails to sx.dlq.execution (PROCESSING_FAILED) and goes on with the next', async () => {
    const bus = await newBus();
    const clock = createSimulatedClock(9);
    const real = createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 });
    const poisoned = prediction(0, 1);
    // A policy that breaks on one prediction (an ExecutionPolicyError, a bug): the core throws for it.
    const core: typeof real = { ...real, onPrediction: (p, ts) => (p.id === poisoned.id ? (() => { throw new Error('policy failed: no schedule'); })() : real.onPrediction(p, ts)) };
    const exec = startExecutionActor({ bus, subjects, clock, log: silentLogger }, { core });
    await exec.push([poisoned, prediction(60_000, 1)]);
    const sugg = await readAll(bus, 'SIGNALS', subjects.suggestion('s1', VENUE, SYMBOL));
    expect(sugg.map((m) => SuggestionSchema.parse(m.json).ts)).toEqual([60_000]); // the next prediction still decided
    const dlq = (await readAll(bus, 'DLQ')).map((m) => ({ subject: m.subject, e: DlqEntrySchema.parse(m.json) }));
    expect(dlq.map((d) => [d.subject, d.e.source, d.e.reason, d.e.detail, d.e.subject, d.e.ts])).toEqual([
      [subjects.dlq('execution'), 'execution', 'PROCESSING_FAILED', 'Error: policy failed: no schedule', subjects.prediction('s1', VENUE, SYMBOL), 9],
    ]);
    expect(JSON.parse(dlq[0]?.e.payload ?? '{}')).toEqual(JSON.parse(JSON.stringify(poisoned))); // the input as it was
    expect(exec.stats()).toMatchObject({ refused: 1, received: 2, published: 1 });
    await exec.stop();
    await bus.close();
  });

  it('dead-letters an input read from a stream whose handling fails with its stream sequence: the same bytes failing twice are two entries', async () => {
    const bus = await newBus();
    const real = createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 });
    const poisoned = prediction(0, 1);
    const core: typeof real = { ...real, onPrediction: (p, ts) => (p.id === poisoned.id ? (() => { throw new Error('policy failed: no schedule'); })() : real.onPrediction(p, ts)) };
    const subject = subjects.prediction('s1', VENUE, SYMBOL);
    const exec = startExecutionActor({ bus, subjects, clock: createSimulatedClock(9), log: silentLogger }, { core, consumers: [{ stream: 'SIGNALS', durable: 'exec-s1', filterSubject: subject }] });
    // A sender re-sending what it sent: two messages of the stream, two failures counted.
    await bus.publish(subject, encode(poisoned));
    await bus.publish(subject, encode(poisoned));
    for (let i = 0; i < 50 && exec.stats().refused < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(exec.stats()).toMatchObject({ refused: 2, received: 2 });
    const dlq = (await readAll(bus, 'DLQ')).map((m) => DlqEntrySchema.parse(m.json));
    expect(dlq.map((d) => [d.reason, d.subject])).toEqual([
      ['PROCESSING_FAILED', subject],
      ['PROCESSING_FAILED', subject],
    ]);
    expect(new Set(dlq.map((d) => d.id)).size).toBe(2);
    await exec.stop();
    await bus.close();
  });
});
