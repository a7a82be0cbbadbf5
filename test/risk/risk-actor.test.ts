import { describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import { RiskBookSnapshotSchema } from '../../models/risk/risk-book.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { Bus } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import { expiryId } from '../../streams/messages/expiry.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import { OrderSchema } from '../../streams/messages/order.js';
import { RejectSchema } from '../../streams/messages/reject.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';
import type { RiskState } from '../../streams/messages/risk-state.js';
import { subjectsFor } from '../../streams/subjects.js';
import { baseLimits, BTC, fill, suggestion, T0, VENUE } from './risk-fixtures.js';

const subjects = subjectsFor('sx');

async function world() {
  const bus = createMemoryBus();
  await bus.ensureStreams([{ name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
  await bus.ensureStreams([{ name: 'DLQ', subjects: subjects.streamSubjects.DLQ, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
  const states: RiskState[] = [];
  bus.subscribe(subjects.riskState(), (_s, data) => states.push(RiskStateSchema.parse(JSON.parse(new TextDecoder().decode(data)))));
  return { bus, states, store: createMemoryRiskStore(), clock: createSimulatedClock(T0) };
}

/** Every message stored on the stream under `subject`, decoded. */
async function read(bus: Bus, filter: string, durable: string, expect: number): Promise<unknown[]> {
  const out: unknown[] = [];
  const c = bus.consume({ stream: 'SIGNALS', durable, filterSubject: filter }, (batch) => {
    for (const d of batch) out.push(JSON.parse(new TextDecoder().decode(d.data)));
  });
  for (let i = 0; i < 200 && out.length < expect; i++) await new Promise((r) => setImmediate(r));
  await c.stop();
  return out;
}

/** The first `expect` dead letters, decoded. */
async function readDlq(bus: Bus, expect: number): Promise<DlqEntry[]> {
  const out: DlqEntry[] = [];
  const c = bus.consume({ stream: 'DLQ', durable: 'dlq-reader', filterSubject: subjects.dlq('risk') }, (batch) => {
    for (const d of batch) out.push(DlqEntrySchema.parse(JSON.parse(new TextDecoder().decode(d.data))));
  });
  for (let i = 0; i < 200 && out.length < expect; i++) await new Promise((r) => setImmediate(r));
  await c.stop();
  return out;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('risk actor (memory bus, memory store)', () => {
  it('consumes suggestions and fills from SIGNALS, publishes orders and rejects with msgId = id; refuses malformed input to the DLQ', async () => {
    const w = await world();
    const actor = await startRiskActor({ bus: w.bus, subjects, store: w.store, clock: w.clock, log: silentLogger }, { account: 'acc', limits: baseLimits });
    await actor.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const ok = suggestion({ qty: 2 });
    const bad = suggestion({ qty: 0.5, limitPrice: 110 });
    for (const s of [ok, bad, ok]) await w.bus.publish(subjects.suggestion(s.strategy, s.venue, s.symbol), encode(s)); // ok redelivered
    await w.bus.publish(subjects.fill(VENUE, BTC), encode(fill({ orderId: `o:${ok.id}`, qty: 2, ts: T0 + 1 })));
    await w.bus.publish(subjects.suggestion('alpha', VENUE, BTC), new TextEncoder().encode('{"type":"exec.suggest","qty":-1}'));
    await until(() => actor.status().positions.length === 1, 'the fill');
    const orders = (await read(w.bus, subjects.order('alpha', VENUE, BTC), 'o', 1)).map((o) => OrderSchema.parse(o));
    expect(orders.map((o) => o.id)).toEqual([`o:${ok.id}`]); // the redelivery dedups on msgId
    const rejects = (await read(w.bus, subjects.reject('alpha', VENUE, BTC), 'r', 1)).map((r) => RejectSchema.parse(r));
    expect(rejects.map((r) => [r.id, r.reasons])).toEqual([[`r:${bad.id}`, ['PRICE_COLLAR']]]);
    expect(actor.status().positions[0]).toMatchObject({ qty: 2 });
    expect(actor.status().inFlight).toEqual([]);
    expect(await w.bus.countMessages('DLQ')).toBe(1); // the malformed suggestion
    await actor.stop();
  });

  it('refuses a fill of no order it approved (UNKNOWN_ORDER) or beyond what its order had left (ORDER_MISMATCH) to the DLQ, and books the next', async () => {
    const w = await world();
    const actor = await startRiskActor({ bus: w.bus, subjects, store: w.store, clock: w.clock, log: silentLogger }, { account: 'acc', limits: baseLimits });
    await actor.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const ok = suggestion({ qty: 1 });
    await w.bus.publish(subjects.suggestion(ok.strategy, ok.venue, ok.symbol), encode(ok));
    await until(() => actor.status().inFlight.length === 1, 'the order');
    for (const f of [fill({ orderId: 'o:nobody', qty: 1, ts: T0 + 1 }), fill({ orderId: `o:${ok.id}`, qty: 1.5, ts: T0 + 1 }), fill({ orderId: `o:${ok.id}`, qty: 1, ts: T0 + 2 })]) {
      await w.bus.publish(subjects.fill(VENUE, BTC), encode(f));
    }
    await until(() => actor.status().positions.length === 1, 'the fill');
    expect(actor.status().positions[0]).toMatchObject({ qty: 1 });
    const dead = await readDlq(w.bus, 2);
    expect(dead.map((e) => e.reason)).toEqual(['UNKNOWN_ORDER', 'ORDER_MISMATCH']);
    await actor.stop();
  });

  it('consumes exec.expired: releases the order at once (a follow-up the in-flight one kept over the position limit passes), refuses one of no order it approved to the DLQ', async () => {
    const w = await world();
    const actor = await startRiskActor({ bus: w.bus, subjects, store: w.store, clock: w.clock, log: silentLogger }, { account: 'acc', limits: baseLimits });
    await actor.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const first = suggestion({ qty: 2, ttlMs: 3_600_000 });
    await w.bus.publish(subjects.suggestion(first.strategy, first.venue, first.symbol), encode(first));
    await until(() => actor.status().inFlight.length === 1, 'the order in flight');
    // 2 in flight + 2 passes BTC's position cap of 3 while the venue's cancel is unknown.
    const over = suggestion({ qty: 2, ts: T0 + 1_000 });
    await w.bus.publish(subjects.suggestion(over.strategy, over.venue, over.symbol), encode(over));
    const expiry = (orderId: string): Expiry => ({ type: 'exec.expired', v: 1, id: expiryId(orderId), ts: T0 + 2_000, orderId, strategy: 'alpha', venue: VENUE, symbol: BTC, filledQty: 0, remainingQty: 2, reason: 'venue' });
    await w.bus.publish(subjects.expired(VENUE, BTC), encode(expiry('o:nobody')));
    await w.bus.publish(subjects.expired(VENUE, BTC), encode(expiry(`o:${first.id}`)));
    await until(() => actor.status().inFlight.length === 0, 'the order released');
    // Stored with the batch: a restart does not bring the order back in flight.
    const storedBook = (await w.store.load('acc')).book as Readonly<{ book?: unknown }> | undefined;
    expect(RiskBookSnapshotSchema.parse(storedBook?.book).inFlight).toEqual([]);
    const after = suggestion({ qty: 2, ts: T0 + 3_000 });
    await w.bus.publish(subjects.suggestion(after.strategy, after.venue, after.symbol), encode(after));
    const orders = (await read(w.bus, subjects.order('alpha', VENUE, BTC), 'o-exp', 2)).map((o) => OrderSchema.parse(o));
    expect(orders.map((o) => o.id)).toEqual([`o:${first.id}`, `o:${after.id}`]);
    const rejects = (await read(w.bus, subjects.reject('alpha', VENUE, BTC), 'r-exp', 1)).map((r) => RejectSchema.parse(r));
    expect(rejects.map((r) => [r.id, r.reasons])).toEqual([[`r:${over.id}`, ['POSITION_LIMIT']]]);
    const dead = await readDlq(w.bus, 1);
    expect(dead.map((e) => [e.reason, e.subject])).toEqual([['UNKNOWN_ORDER', subjects.expired(VENUE, BTC)]]);
    await actor.stop();
  });

  it('counts an expiry of an order released already (a second report) apart from those it applied, releasing nothing more', async () => {
    const w = await world();
    const actor = await startRiskActor({ bus: w.bus, subjects, store: w.store, clock: w.clock, log: silentLogger }, { account: 'acc', limits: baseLimits });
    await actor.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const s = suggestion({ qty: 2, ttlMs: 3_600_000 });
    await w.bus.publish(subjects.suggestion(s.strategy, s.venue, s.symbol), encode(s));
    await until(() => actor.status().inFlight.length === 1, 'the order in flight');
    const e: Expiry = { type: 'exec.expired', v: 1, id: expiryId(`o:${s.id}`), ts: T0 + 2_000, orderId: `o:${s.id}`, strategy: 'alpha', venue: VENUE, symbol: BTC, filledQty: 0, remainingQty: 2, reason: 'venue' };
    await w.bus.publish(subjects.expired(VENUE, BTC), encode(e));
    await until(() => actor.stats().expired === 1, 'the expiry applied');
    // Sent again without its Nats-Msg-Id (or past the stream's duplicate window): stored and consumed again.
    await w.bus.publish(subjects.expired(VENUE, BTC), encode(e));
    await until(() => actor.stats().expiriesIgnored === 1, 'the second report counted');
    expect(actor.stats()).toEqual({ expired: 1, expiriesIgnored: 1, expiriesConfirming: 0, releasedAfterGrace: 0 });
    expect(actor.status().inFlight).toEqual([]);
    expect(await w.bus.countMessages('DLQ')).toBe(0);
    await actor.stop();
  });

  // A desk that marks its last partial fill `final` and publishes the exec.expired for the rest too
  // (35fe392) had each such expiry counted in expiriesIgnored, read as a late report.
  it('counts an expiry that repeats what a final partial fill said apart from late or second reports', async () => {
    const w = await world();
    const actor = await startRiskActor({ bus: w.bus, subjects, store: w.store, clock: w.clock, log: silentLogger }, { account: 'acc', limits: baseLimits });
    await actor.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const s = suggestion({ qty: 2, ttlMs: 3_600_000 });
    await w.bus.publish(subjects.suggestion(s.strategy, s.venue, s.symbol), encode(s));
    await until(() => actor.status().inFlight.length === 1, 'the order in flight');
    const orderId = `o:${s.id}`;
    const f = fill({ orderId, qty: 0.5, ts: T0 + 1_000, final: true }); // 1.5 left unfilled: the order expired with it
    await w.bus.publish(subjects.fill(VENUE, BTC), encode(f));
    await until(() => actor.status().inFlight.length === 0, 'the final fill applied');
    const e: Expiry = { type: 'exec.expired', v: 1, id: expiryId(orderId), ts: T0 + 2_000, orderId, strategy: 'alpha', venue: VENUE, symbol: BTC, filledQty: 0.5, remainingQty: 1.5, reason: 'venue' };
    await w.bus.publish(subjects.expired(VENUE, BTC), encode(e));
    await until(() => actor.stats().expiriesConfirming === 1, 'the expiry counted');
    expect(actor.stats()).toEqual({ expired: 0, expiriesIgnored: 0, expiriesConfirming: 1, releasedAfterGrace: 0 });
    await w.bus.publish(subjects.expired(VENUE, BTC), encode(e)); // a second report of it
    await until(() => actor.stats().expiriesIgnored === 1, 'the second report counted');
    expect(actor.stats()).toEqual({ expired: 0, expiriesIgnored: 1, expiriesConfirming: 1, releasedAfterGrace: 0 });
    expect(await w.bus.countMessages('DLQ')).toBe(0);
    await actor.stop();
  });

  it('sends a suggestion no subject could carry and a message of an unknown type to the DLQ once, and goes on deciding', async () => {
    const w = await world();
    const actor = await startRiskActor({ bus: w.bus, subjects, store: w.store, clock: w.clock, log: silentLogger }, { account: 'acc', limits: baseLimits });
    await actor.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    // Valid by the schema (any short string), but `my_venue` is not a venue token: its reject could never be published.
    const unroutable = suggestion({ venue: 'my_venue' });
    const ok = suggestion({ qty: 1 });
    await w.bus.publish(subjects.suggestion('alpha', VENUE, BTC), encode(unroutable));
    await w.bus.publish(subjects.suggestion('alpha', VENUE, BTC), new TextEncoder().encode('{"type":"exec.cancel","id":"c1"}'));
    await w.bus.publish(subjects.suggestion(ok.strategy, ok.venue, ok.symbol), encode(ok));
    const orders = (await read(w.bus, subjects.order('alpha', VENUE, BTC), 'o2', 1)).map((o) => OrderSchema.parse(o));
    expect(orders.map((o) => o.id)).toEqual([`o:${ok.id}`]);
    await until(() => actor.status().inFlight.length === 1, 'the order in flight');
    const dlq: { reason: string; detail: string }[] = [];
    const c = w.bus.consume({ stream: 'DLQ', durable: 'd', filterSubject: subjects.dlq('risk') }, (batch) => {
      for (const d of batch) dlq.push(JSON.parse(new TextDecoder().decode(d.data)) as { reason: string; detail: string });
    });
    await until(() => dlq.length === 2, 'two dead letters');
    await c.stop();
    expect(dlq.map((e) => e.reason)).toEqual(['SCHEMA', 'SCHEMA']);
    expect(dlq[0]?.detail).toContain('my_venue');
    expect(dlq[1]?.detail).toContain('exec.cancel');
    await actor.stop();
  });

  it('loses no refused message when the DLQ publish fails: the batch is redelivered, its decision replayed under the same id, the message dead-lettered then', async () => {
    const w = await world();
    let failures = 1;
    const bus: Bus = {
      ...w.bus,
      publish: (subject, data, opts) => (subject === subjects.dlq('risk') && failures-- > 0 ? Promise.reject(new Error('DLQ unavailable')) : w.bus.publish(subject, data, opts)),
    };
    const actor = await startRiskActor({ bus, subjects, store: w.store, clock: w.clock, log: silentLogger }, { account: 'acc', limits: baseLimits });
    await actor.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const ok = suggestion({ qty: 1 });
    await w.bus.publish(subjects.suggestion(ok.strategy, ok.venue, ok.symbol), encode(ok));
    await w.bus.publish(subjects.suggestion('alpha', VENUE, BTC), new TextEncoder().encode('{"type":"exec.suggest",'));
    const dlq: { reason: string }[] = [];
    const c = w.bus.consume({ stream: 'DLQ', durable: 'd3', filterSubject: subjects.dlq('risk') }, (batch) => {
      for (const d of batch) dlq.push(JSON.parse(new TextDecoder().decode(d.data)) as { reason: string });
    });
    await expect.poll(() => dlq.length, { timeout: 5_000 }).toBe(1); // after the redelivery (the bus waits 10 ms first)
    await c.stop();
    expect(failures).toBe(-1); // the first try failed, the second went through
    expect(dlq.map((e) => e.reason)).toEqual(['MALFORMED_JSON']);
    const orders = (await read(w.bus, subjects.order('alpha', VENUE, BTC), 'o3', 1)).map((o) => OrderSchema.parse(o));
    expect(orders.map((o) => o.id)).toEqual([`o:${ok.id}`]); // decided once: the redelivery replayed it
    expect(actor.status().inFlight).toHaveLength(1);
    await actor.stop();
  });

  it('dead-letters the same bytes published twice as two entries, and a batch redelivered after its dead letter was stored as one', async () => {
    const w = await world();
    let failures = 1;
    // The order publish fails once, after the batch's dead letter went out: the whole batch comes again.
    const bus: Bus = {
      ...w.bus,
      publish: (subject, data, opts) => (subject === subjects.order('alpha', VENUE, BTC) && failures-- > 0 ? Promise.reject(new Error('SIGNALS unavailable')) : w.bus.publish(subject, data, opts)),
    };
    const actor = await startRiskActor({ bus, subjects, store: w.store, clock: w.clock, log: silentLogger }, { account: 'acc', limits: baseLimits });
    await actor.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const ok = suggestion({ qty: 1 });
    const badSubject = subjects.suggestion('alpha', VENUE, BTC);
    await w.bus.publish(badSubject, new TextEncoder().encode('{"type":"exec.suggest",'));
    await w.bus.publish(subjects.suggestion(ok.strategy, ok.venue, ok.symbol), encode(ok));
    await expect.poll(() => w.bus.countMessages('SIGNALS', subjects.order('alpha', VENUE, BTC)), { timeout: 2_000 }).toBe(1); // after the redelivery
    expect(failures).toBe(-1);
    expect(await w.bus.countMessages('DLQ')).toBe(1); // the redelivered refusal is the same entry
    // A sender that sends the same bytes again: a second message of the stream, a second refusal.
    await w.bus.publish(badSubject, new TextEncoder().encode('{"type":"exec.suggest",'));
    const dead = await readDlq(w.bus, 2);
    expect(dead.map((e) => e.reason)).toEqual(['MALFORMED_JSON', 'MALFORMED_JSON']);
    expect(new Set(dead.map((e) => e.id)).size).toBe(2);
    expect(await w.bus.countMessages('DLQ')).toBe(2);
    await actor.stop();
  });

  it('announces state changes on sx.risk.state and persists them, limits and the book in the store', async () => {
    const w = await world();
    const deps = { bus: w.bus, subjects, store: w.store, clock: w.clock, log: silentLogger };
    const a = await startRiskActor(deps, { account: 'acc', limits: baseLimits, consume: false });
    await a.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    await a.fill(fill({ orderId: 'o:x', qty: 1, price: 100 }));
    await a.halt({ scope: 'symbol', value: BTC, reason: 'fork' });
    await a.halt({ scope: 'all', reason: 'desk says stop' });
    await a.setLimits({ maxOrderNotional: 1234 });
    await expect(a.setLimits({ maxOrderNotional: 0 })).rejects.toThrow(/maxOrderNotional/);
    await until(() => w.states.length === 2, 'two state messages');
    expect(w.states.map((s) => [s.state, s.scopedHalts.length])).toEqual([['ACTIVE', 1], ['HALTED', 1]]);
    const d = await a.suggestion(suggestion());
    expect(d.kind === 'reject' && d.reject.reasons).toEqual(['HALTED']);
    await a.stop();

    const b = await startRiskActor(deps, { account: 'acc', limits: { maxOrderNotional: 1 }, consume: false });
    expect(b.status()).toMatchObject({ state: 'HALTED', reason: 'desk says stop', scopedHalts: [{ scope: 'symbol', value: BTC }] });
    expect(b.getLimits().maxOrderNotional).toBe(1234); // stored limits win over the options
    expect(b.status().positions).toEqual([expect.objectContaining({ qty: 1, avgCost: 100 })]);
    await b.resume({ scope: 'all', reason: 'ok' });
    await b.resume({ scope: 'symbol', value: BTC, reason: 'ok' });
    expect((await b.suggestion(suggestion({ qty: 1, ts: T0 + 10 }))).kind).toBe('order');
    await b.stop();
  });

  it('halts at once when an operator lowers a loss limit below the loss already made, and the halt is stored', async () => {
    const w = await world();
    const deps = { bus: w.bus, subjects, store: w.store, clock: w.clock, log: silentLogger };
    const a = await startRiskActor(deps, { account: 'acc', limits: baseLimits, consume: false });
    await a.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    await a.fill(fill({ orderId: 'o:x', qty: 1, price: 100 }));
    await a.market({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 90 }); // 10 lost today, limit 1,000
    expect(a.status().state).toBe('ACTIVE');
    await a.setLimits({ maxDailyLoss: 5 });
    expect(a.status()).toMatchObject({ state: 'HALTED', reason: expect.stringMatching(/daily loss 10 > 5/) });
    await until(() => w.states.length === 1, 'the state message');
    expect(w.states[0]).toMatchObject({ state: 'HALTED', previous: 'ACTIVE' });
    const d = await a.suggestion(suggestion({ ts: T0 + 2 }));
    expect(d.kind === 'reject' && d.reject.reasons).toContain('HALTED');
    await a.setLimits({ maxOrderNotional: 1234 }); // another change while halted announces nothing more
    expect(w.states).toHaveLength(1);
    await a.stop();
    const b = await startRiskActor(deps, { account: 'acc', limits: baseLimits, consume: false });
    expect(b.status().state).toBe('HALTED'); // stored
    await b.stop();
  });

  it('a resume the store did not take leaves the account halted; a halt the store did not take still halts', async () => {
    const w = await world();
    let failing = false;
    const store = { ...w.store, saveTrading: (account: string, trading: unknown, at: number) => (failing ? Promise.reject(new Error('store down')) : w.store.saveTrading(account, trading, at)) };
    const a = await startRiskActor({ bus: w.bus, subjects, store, clock: w.clock, log: silentLogger }, { account: 'acc', limits: baseLimits, consume: false });
    await a.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    await a.halt({ scope: 'all', reason: 'desk says stop' });
    failing = true;
    await expect(a.resume({ scope: 'all', reason: 'ok' })).rejects.toThrow(/store down/);
    // As the reply says: not resumed, in memory as in the store.
    expect(a.status()).toMatchObject({ state: 'HALTED', reason: 'desk says stop' });
    expect((await a.suggestion(suggestion({ qty: 1, ts: T0 + 10 }))).kind).toBe('reject');
    await expect(a.reduce({ reason: 'wind down' })).rejects.toThrow(/store down/);
    expect(a.status().state).toBe('HALTED');
    failing = false;
    await a.resume({ scope: 'all', reason: 'ok' });
    expect(a.status().state).toBe('ACTIVE');
    expect((await w.store.load('acc')).trading).toMatchObject({ state: 'ACTIVE' });
    // A halt is the kill switch: in force at once, even when it cannot be stored.
    failing = true;
    await expect(a.halt({ scope: 'symbol', value: BTC, reason: 'fork' })).rejects.toThrow(/store down/);
    expect(a.core.tradingFor('alpha', BTC)).toBe('HALTED');
    // The next write (a suggestion's) stores it too, not only the book.
    failing = false;
    const d = await a.suggestion(suggestion({ qty: 1, ts: T0 + 20 }));
    expect(d.kind === 'reject' && d.reject.reasons).toEqual(['HALTED']);
    expect((await w.store.load('acc')).trading).toMatchObject({ scopedHalts: [{ scope: 'symbol', value: BTC, reason: 'fork' }] });
    await a.stop();
  });

  it('a breach whose halt the store did not take is announced stored: false (a mark, a suggestion; the consumer batch, not again on its redelivery), and again, stored: true, once a later write stores it', async () => {
    const w = await world();
    let failures = 0;
    const store = { ...w.store, saveTrading: (account: string, trading: unknown, at: number) => (failures-- > 0 ? Promise.reject(new Error('store down')) : w.store.saveTrading(account, trading, at)) };
    const deps = { bus: w.bus, subjects, store, clock: w.clock, log: silentLogger };
    // A mark: the daily loss (10) passes the limit (5), the halt in force, its write fails.
    const a = await startRiskActor(deps, { account: 'a', limits: { ...baseLimits, maxDailyLoss: 5 }, consume: false });
    await a.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    await a.fill(fill({ orderId: 'o:x', qty: 1, price: 100 }));
    failures = 1;
    await expect(a.market({ venue: VENUE, symbol: BTC, ts: T0 + 1, mid: 90 })).rejects.toThrow(/store down/);
    expect(a.status().state).toBe('HALTED');
    expect(w.states).toEqual([expect.objectContaining({ state: 'HALTED', previous: 'ACTIVE', stored: false })]);
    // Halted already: the next mark stores the halt, and the same change is announced stored: true.
    await a.market({ venue: VENUE, symbol: BTC, ts: T0 + 2, mid: 89 });
    expect(w.states).toEqual([expect.objectContaining({ state: 'HALTED', previous: 'ACTIVE', stored: false }), { ...w.states[0], stored: true }]);
    await a.stop();

    // A fill 10 above the mark.
    w.states.length = 0;
    const b = await startRiskActor(deps, { account: 'b', limits: { ...baseLimits, maxDailyLoss: 5 }, consume: false });
    await b.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 90 });
    const active = b.core.trading();
    failures = 1;
    await expect(b.fill(fill({ orderId: 'o:y', qty: 1, price: 100, ts: T0 + 1 }))).rejects.toThrow(/store down/);
    expect(b.status().state).toBe('HALTED');
    expect(w.states).toEqual([expect.objectContaining({ state: 'HALTED', previous: 'ACTIVE', stored: false })]);
    // A suggestion that finds the loss past the limit (the state put back to ACTIVE as a restart
    // from a row stored before the halt would find it).
    b.core.restoreTrading(active);
    w.states.length = 0;
    failures = 1;
    await expect(b.suggestion(suggestion({ ts: T0 + 2 }))).rejects.toThrow(/store down/);
    expect(b.status().state).toBe('HALTED');
    expect(w.states).toEqual([expect.objectContaining({ state: 'HALTED', previous: 'ACTIVE', stored: false })]);
    await b.stop();

    // The consumer: a fill that breaches, its batch's write fails, the batch is redelivered and stored.
    w.states.length = 0;
    const c = await startRiskActor(deps, { account: 'c', limits: { ...baseLimits, maxDailyLoss: 5 } });
    await c.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 90 });
    const ok = suggestion({ qty: 1, limitPrice: 90, refPrice: 90 });
    await w.bus.publish(subjects.suggestion(ok.strategy, ok.venue, ok.symbol), encode(ok));
    await until(() => c.status().inFlight.length === 1, 'the order');
    failures = 1;
    // Bought at its limit, 10 paid in fees (a fill above its limit is refused: ORDER_MISMATCH).
    await w.bus.publish(subjects.fill(VENUE, BTC), encode(fill({ orderId: `o:${ok.id}`, qty: 1, price: 90, fee: 10, ts: T0 + 1 })));
    await until(() => c.status().state === 'HALTED', 'the halt');
    await expect.poll(() => failures, { timeout: 5_000 }).toBe(-1); // the redelivery was stored
    await expect.poll(async () => (await w.store.load('c')).trading, { timeout: 5_000 }).toMatchObject({ state: 'HALTED' });
    // Not decided again on the redelivery; its write stored the halt: the same change, stored: true.
    await expect.poll(() => w.states.length, { timeout: 5_000 }).toBe(2);
    expect(w.states).toEqual([expect.objectContaining({ state: 'HALTED', previous: 'ACTIVE', stored: false }), { ...w.states[0], stored: true }]);
    await c.stop();
  });

  it('limits the store did not take are not in force: the reply is the error and nothing changed', async () => {
    const w = await world();
    let failing = false;
    const store = { ...w.store, saveLimits: (account: string, limits: unknown, at: number) => (failing ? Promise.reject(new Error('store down')) : w.store.saveLimits(account, limits, at)) };
    const a = await startRiskActor({ bus: w.bus, subjects, store, clock: w.clock, log: silentLogger }, { account: 'acc', limits: baseLimits, consume: false });
    await a.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const before = a.getLimits();
    failing = true;
    await expect(a.setLimits({ maxOrderNotional: 1e9, maxOrderQty: { perSymbol: { [BTC]: 1e6 } } })).rejects.toThrow(/store down/);
    expect(a.getLimits()).toEqual(before);
    const d = await a.suggestion(suggestion({ qty: 1e4, ts: T0 + 1 }));
    expect(d.kind === 'reject' && d.reject.reasons).toContain('MAX_ORDER_QTY'); // still the old cap
    failing = false;
    await a.setLimits({ maxOrderNotional: 1234 });
    expect(a.getLimits().maxOrderNotional).toBe(1234);
    expect((await w.store.load('acc')).limits).toMatchObject({ maxOrderNotional: 1234 });
    await a.stop();
  });

  it('a change made while a resume is being stored is kept: the resume is decided again on it', async () => {
    const w = await world();
    let release: (() => void) | undefined;
    let held = 0;
    const store = {
      ...w.store,
      saveTrading: async (account: string, trading: unknown, at: number) => {
        if (held++ === 1) await new Promise<void>((r) => (release = r)); // the resume's first write waits
        await w.store.saveTrading(account, trading, at);
      },
    };
    const a = await startRiskActor({ bus: w.bus, subjects, store, clock: w.clock, log: silentLogger }, { account: 'acc', limits: baseLimits, consume: false });
    await a.halt({ scope: 'all', reason: 'desk says stop' });
    const resumed = a.resume({ scope: 'all', reason: 'ok' });
    await until(() => release !== undefined, 'the resume being stored');
    expect(a.status().state).toBe('HALTED'); // not in effect before it is stored
    // Meanwhile the decision path changes the state (here a scoped halt on the core itself).
    a.core.halt({ scope: 'symbol', value: BTC, reason: 'fork', ts: T0 + 5 });
    release?.();
    await resumed;
    expect(a.status()).toMatchObject({ state: 'ACTIVE', scopedHalts: [{ scope: 'symbol', value: BTC }] });
    const stored = (await w.store.load('acc')).trading;
    expect(stored).toEqual(a.core.trading());
    await a.stop();
  });

  it('restarts a flattening account flattening, and halts it once flat after the restart', async () => {
    const w = await world();
    const deps = { bus: w.bus, subjects, store: w.store, clock: w.clock, log: silentLogger };
    const a = await startRiskActor(deps, { account: 'acc', limits: baseLimits, consume: false });
    await a.market({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    await a.fill(fill({ orderId: 'o:x', qty: 1, price: 100 }));
    await a.reduce({ reason: 'desk closing', flatten: true });
    expect(a.status()).toMatchObject({ state: 'REDUCING', flattening: true });
    await a.stop();

    const b = await startRiskActor(deps, { account: 'acc', limits: baseLimits, consume: false });
    expect(b.status()).toMatchObject({ state: 'REDUCING', reason: 'desk closing', flattening: true });
    expect(b.core.flatteningFor('alpha', BTC)).toBe(true);
    const close = await b.suggestion(suggestion({ side: 'sell', qty: 1, ts: T0 + 10 }));
    expect(close.kind).toBe('order');
    if (close.kind !== 'order') return;
    await b.fill(fill({ orderId: close.order.id, side: 'sell', qty: 1, price: 100, ts: T0 + 11 }));
    expect(b.status()).toMatchObject({ state: 'HALTED', reason: 'desk closing; flattened', flattening: false });
    await until(() => w.states.at(-1)?.state === 'HALTED', 'the halt announced');
    await b.stop();
    const c = await startRiskActor(deps, { account: 'acc', limits: baseLimits, consume: false });
    expect(c.status()).toMatchObject({ state: 'HALTED', flattening: false });
    await c.stop();
  });
});
