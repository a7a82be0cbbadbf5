import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { publishExpiry } from 'sextant/client';
import { engineConsumers, startEngineStatusFeed } from '../../cli/engine-status-feed.js';
import { expiriesDurable, fillsDurable } from '../../cli/external-durables.js';
import { createEngineMetrics } from '../../gateways/http/metrics.js';
import { bookKey } from '../../models/risk/risk-book.js';
import type { ModelRegistry } from '../../models/registry/model-registry.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { decodeText, encode } from '../../streams/codec.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import type { DlqEntry } from '../../streams/messages/dlq-entry.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import { expiryId } from '../../streams/messages/expiry.js';
import type { Fill } from '../../streams/messages/fill.js';
import { streamName } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';
import { approvedBtcBuys, natsWithStreams, startLiveEngine } from '../support/live-engine.js';
import { suggestion } from '../risk/risk-fixtures.js';
import { parsePromText, sampleValue } from '../gateways/http/prom-text.js';
import { isolatedConfig, NATS_URL, trainedRegistry } from './engine-run.js';

const T = Date.UTC(2024, 0, 2);
const BTC = 'BTC/USDT';
const MID = 42_000;

let registry: ModelRegistry | undefined;
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/**
 * An engine trading BTC/USDT (position cap 0.2, order cap 0.1) with the paper venue off, on real
 * NATS: fills and expiries come only from outside, of the buys `orders` its risk actor approved
 * before a restart, the book marked at 42,000.
 */
async function liveEngine(orders: readonly Readonly<{ id: string; qty: number; expiresAt?: number }>[]) {
  const cfg = isolatedConfig([BTC], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false } }));
  const subjects = subjectsFor(cfg.prefix);
  const bus = await natsWithStreams(cfg, 'external-expiries', cleanup);
  registry ??= await trainedRegistry([BTC], Date.UTC(2024, 0, 1));
  const riskStore = createMemoryRiskStore();
  const book = bookWithOrders(approvedBtcBuys(cfg, orders.map((o) => ({ ...o, expiresAt: o.expiresAt ?? T + 3_600_000 }))));
  await riskStore.saveBook(cfg.risk.account, { ...book, book: { ...book.book, marks: [[bookKey(cfg.venue, BTC), { mid: MID, ts: T }]] } }, 0);
  const engine = await startLiveEngine(cfg, { bus, registry, riskStore }, cleanup);
  const expiry = (orderId: string, over: Partial<Expiry> = {}): Expiry => ({
    type: 'exec.expired',
    v: 1,
    id: expiryId(orderId),
    ts: T + 60_000,
    orderId,
    strategy: cfg.strategy.name,
    venue: cfg.venue,
    symbol: BTC,
    filledQty: 0,
    remainingQty: 0.15,
    reason: 'venue',
    text: 'cancelled by the exchange',
    ...over,
  });
  const dead = async (): Promise<DlqEntry[]> => {
    const { messages } = await bus.readFrom(streamName(cfg, 'DLQ'), subjects.dlq('decisions'));
    return messages.map((m) => DlqEntrySchema.parse(JSON.parse(decodeText(m.data))));
  };
  const until = async (ok: () => boolean | Promise<boolean>): Promise<void> => {
    const deadline = performance.now() + 10_000;
    while (!(await ok()) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };
  return { cfg, subjects, bus, engine, expiry, dead, until };
}

describe('expiries from live trading consumers (paper venue off), on real NATS', () => {
  it('release the order in the risk book at once: a follow-up order the in-flight one kept over the position limit now passes', async () => {
    const { cfg, subjects, bus, engine, expiry, dead, until } = await liveEngine([{ id: 'o:live', qty: 0.15 }]);
    const risk = engine.decisions?.risk.core;
    if (risk === undefined) throw new Error('no decisions');
    const buy = (id: string) => suggestion({ id, parentId: id, source: id, strategy: cfg.strategy.name, venue: cfg.venue, symbol: BTC, qty: 0.1, refPrice: MID, limitPrice: MID, ts: T + 120_000 });

    // 0.15 in flight + 0.1 passes the 0.2 cap: refused while the exchange's cancel is unknown.
    const before = risk.onSuggestion(buy('s:before:0'), T + 120_000);
    expect(before.kind === 'reject' ? before.reject.reasons : []).toContain('POSITION_LIMIT');

    const e = expiry('o:live');
    await bus.publish(subjects.expired(cfg.venue, BTC), encode(e), { msgId: e.id });
    // A second report (a consumer sending it again without its id): changes nothing, refused nowhere.
    await bus.publish(subjects.expired(cfg.venue, BTC), encode(e));
    await until(() => !risk.inFlight('o:live') && (engine.decisions?.path.stats().expired ?? 0) > 0);
    expect(risk.inFlight('o:live')).toBe(false);

    const after = risk.onSuggestion(buy('s:after:0'), T + 120_000);
    expect(after.kind, after.kind === 'reject' ? after.reject.detail : '').toBe('order');
    await new Promise((r) => setTimeout(r, 200));
    // The second report was of an order released already: nothing released, but counted.
    expect(engine.decisions?.path.stats()).toMatchObject({ expired: 1, expiredAtGap: 0, expiriesIgnored: 1 });
    expect(await dead()).toEqual([]);
  }, 120_000);

  it('runs the fills and expiries consumers under the names its status feed reads their lag by', async () => {
    const { cfg, bus, engine, until } = await liveEngine([]);
    const signals = streamName(cfg, 'SIGNALS');
    const listed = engineConsumers(cfg, engine).filter((c) => c.stream === signals);
    expect(listed.map((c) => c.durable)).toEqual(expect.arrayContaining([fillsDurable(cfg), expiriesDurable(cfg)]));
    // The consumers are created as they start pulling.
    const exists = async (): Promise<Record<string, boolean>> => Object.fromEntries(await Promise.all(listed.map(async (c) => [c.durable, (await bus.consumerInfo(c.stream, c.durable)) !== undefined] as const)));
    await until(async () => Object.values(await exists()).every(Boolean));
    expect(await exists()).toEqual(Object.fromEntries(listed.map((c) => [c.durable, true])));
  }, 120_000);

  it("applies an expiry a desk publishes with sextant/client's publishExpiry, and counts one for an order released before it came (on /metrics too)", async () => {
    const { cfg, subjects, bus, engine, until } = await liveEngine([{ id: 'o:desk', qty: 0.15 }]);
    const risk = engine.decisions?.risk.core;
    if (risk === undefined) throw new Error('no decisions');
    const nc = await connect({ servers: NATS_URL, name: 'external-expiries-desk' });
    cleanup.push(() => nc.close());
    const report = { ts: T + 60_000, orderId: 'o:desk', strategy: cfg.strategy.name, venue: cfg.venue, symbol: BTC, filledQty: 0, remainingQty: 0.15, reason: 'venue' as const };
    const ack = await publishExpiry(nc, report, { prefix: cfg.prefix });
    expect(ack).toMatchObject({ stream: streamName(cfg, 'SIGNALS'), duplicate: false });
    await until(() => !risk.inFlight('o:desk'));
    expect(risk.inFlight('o:desk')).toBe(false);
    // Reported again without its Nats-Msg-Id (or past the stream's duplicate window): stored, and nothing left to release.
    nc.publish(subjects.expired(cfg.venue, BTC), JSON.stringify({ type: 'exec.expired', v: 1, id: 'e:o:desk', ...report }));
    await until(() => (engine.decisions?.path.stats().expiriesIgnored ?? 0) > 0);
    expect(engine.decisions?.path.stats()).toMatchObject({ expired: 1, expiriesIgnored: 1 });
    // And on /metrics, as the gateway's status feed hands the metrics the decision path's counts.
    const metrics = createEngineMetrics({ defaultMetrics: false });
    const feed = startEngineStatusFeed({ engine, hub: { publishLocal: () => {} }, metrics, bus, consumers: [], intervalMs: 60_000, log: silentLogger });
    cleanup.push(async () => feed.stop());
    const text = await metrics.text();
    expect(text).toMatch(/# TYPE sextant_expiries_ignored_total counter/);
    const samples = parsePromText(text);
    const strategy = cfg.strategy.name;
    expect(sampleValue(samples, 'sextant_expiries_ignored_total', { strategy })).toBe(1);
    expect(sampleValue(samples, 'sextant_orders_expired_total', { strategy, at_gap: 'false' })).toBe(1);
    expect(sampleValue(samples, 'sextant_orders_expired_total', { strategy, at_gap: 'true' })).toBe(0);
  }, 120_000);

  it("books a venue's last fill that comes after its expiry, keeping what the expiry says was filled in flight until then (fills and expiries on different subjects)", async () => {
    const { cfg, subjects, bus, engine, expiry, dead, until } = await liveEngine([{ id: 'o:late', qty: 0.15 }]);
    const risk = engine.decisions?.risk.core;
    if (risk === undefined) throw new Error('no decisions');
    const fill = (n: number, qty: number): Fill => ({ type: 'exec.fill', v: 1, id: `x:o:late:${n}`, ts: T + 30_000 + n, orderId: 'o:late', strategy: cfg.strategy.name, venue: cfg.venue, symbol: BTC, side: 'buy', qty, price: MID, fee: 0.1, liquidity: 'taker', slippageBps: 0, final: false });
    const first = fill(0, 0.05);
    await bus.publish(subjects.fill(cfg.venue, BTC), encode(first), { msgId: first.id });
    await until(() => (engine.decisions?.path.stats().fills ?? 0) === 1);
    // The exchange filled 0.1 and cancelled 0.05; its second fill of 0.05 is still on its way.
    const e = expiry('o:late', { filledQty: 0.1, remainingQty: 0.05 });
    await bus.publish(subjects.expired(cfg.venue, BTC), encode(e), { msgId: e.id });
    await until(() => (engine.decisions?.path.stats().expired ?? 0) === 1);
    expect(risk.status().inFlight).toEqual([expect.objectContaining({ orderId: 'o:late', awaited: expect.closeTo(0.05, 12) })]);
    const late = fill(1, 0.05);
    await bus.publish(subjects.fill(cfg.venue, BTC), encode(late), { msgId: late.id });
    await until(() => (engine.decisions?.path.stats().fills ?? 0) === 2);
    const st = risk.status();
    expect(st.positions.map((p) => [p.symbol, p.qty])).toEqual([[BTC, expect.closeTo(0.1, 12)]]);
    expect(st.pnl.realised).toBeCloseTo(-0.2, 12); // both fees
    expect(st.inFlight).toEqual([]);
    expect(engine.decisions?.path.stats()).toMatchObject({ fills: 2, expired: 1, expiriesIgnored: 0 });
    expect(await dead()).toEqual([]);
  }, 120_000);

  /**
   * Seen live (paper venue off): 85 orders, 0 filled + 0 expired + 3 working. The risk book lets an
   * order go at its `expiresAt` without a report, and the outcomes never counted it; the desk's
   * late expiry of it went to expiriesIgnored. An order whose `expiresAt` is the book's newest
   * event time showed as working.
   */
  it("counts an order past its expiresAt with no report as lapsed (in ctl status's decisions), and the desk's late expiry of it as its outcome, its late fill booked", async () => {
    // o:lapsed's expiresAt is the book's newest event time (the mark at T); o:live works an hour more.
    const { cfg, subjects, bus, engine, expiry, dead, until } = await liveEngine([
      { id: 'o:lapsed', qty: 0.15, expiresAt: T },
      { id: 'o:live', qty: 0.05 },
    ]);
    const decisions = engine.decisions;
    if (decisions === undefined) throw new Error('no decisions');
    const risk = decisions.risk.core;
    expect(risk.status().asOf).toBe(T);
    // Before: working 2.
    expect(decisions.path.stats()).toMatchObject({ working: 1, lapsed: 1, ordersFilled: 0, expired: 0 });
    // The next check the risk book makes lets it go (its exposure no longer counted): 0.05 + 0.1 is under the 0.2 cap.
    const buy = suggestion({ id: 's:next:0', parentId: 's:next', source: 's:next', strategy: cfg.strategy.name, venue: cfg.venue, symbol: BTC, qty: 0.1, refPrice: MID, limitPrice: MID, ts: T + 120_000 });
    expect(risk.onSuggestion(buy, T + 120_000).kind).toBe('order');
    expect(risk.inFlight('o:lapsed')).toBe(false);
    // Before: counted nowhere (working 1 = o:live, or 2 with the order just approved outside the path).
    expect(decisions.path.stats()).toMatchObject({ ordersFilled: 0, expired: 0, working: 1, lapsed: 1 });

    // The desk reports it late: its exchange filled 0.05 of it before the cancel, that fill on its way.
    const e = expiry('o:lapsed', { filledQty: 0.05, remainingQty: 0.1, reason: 'ttl' });
    await bus.publish(subjects.expired(cfg.venue, BTC), encode(e), { msgId: e.id });
    await until(() => decisions.path.stats().lapsed === 0);
    // Before: expired 0, expiriesIgnored 1.
    expect(decisions.path.stats()).toMatchObject({ expired: 1, expiredPartlyFilled: 1, lapsed: 0, working: 1, expiriesIgnored: 0 });
    const late: Fill = { type: 'exec.fill', v: 1, id: 'x:o:lapsed:0', ts: T + 30_000, orderId: 'o:lapsed', strategy: cfg.strategy.name, venue: cfg.venue, symbol: BTC, side: 'buy', qty: 0.05, price: MID, fee: 0.1, liquidity: 'taker', slippageBps: 0, final: true };
    await bus.publish(subjects.fill(cfg.venue, BTC), encode(late), { msgId: late.id });
    await until(() => decisions.path.stats().fills === 1);
    expect(risk.status().positions.map((p) => [p.symbol, p.qty])).toEqual([[BTC, expect.closeTo(0.05, 12)]]);
    const s = decisions.path.stats();
    expect(s).toMatchObject({ fills: 1, ordersFilled: 0, expired: 1, working: 1, lapsed: 0, expiriesIgnored: 0 });
    expect(s.ordersFilled + s.expired + s.working + s.lapsed).toBe(2);
    expect(await dead()).toEqual([]);
  }, 120_000);

  it('dead-letters an expiry of an unknown order, one failing its schema and one of an order filled in full, and applies the next', async () => {
    const { cfg, subjects, bus, engine, expiry, dead, until } = await liveEngine([
      { id: 'o:filled', qty: 0.05 },
      { id: 'o:live', qty: 0.15 },
    ]);
    const risk = engine.decisions?.risk.core;
    if (risk === undefined) throw new Error('no decisions');
    const fill: Fill = { type: 'exec.fill', v: 1, id: 'x:o:filled:0', ts: T, orderId: 'o:filled', strategy: cfg.strategy.name, venue: cfg.venue, symbol: BTC, side: 'buy', qty: 0.05, price: MID, fee: 0.1, liquidity: 'taker', slippageBps: 0, final: true };
    await bus.publish(subjects.fill(cfg.venue, BTC), encode(fill), { msgId: fill.id });
    await until(() => (engine.decisions?.path.stats().fills ?? 0) === 1);

    const subject = subjects.expired(cfg.venue, BTC);
    const unknown = expiry('o:nobody');
    await bus.publish(subject, encode(unknown), { msgId: unknown.id });
    await bus.publish(subject, encode({ ...expiry('o:live'), remainingQty: -1 }), { msgId: 'bad' });
    const filled = expiry('o:filled', { remainingQty: 0.01 });
    await bus.publish(subject, encode(filled), { msgId: filled.id });
    const ok = expiry('o:live');
    await bus.publish(subject, encode(ok), { msgId: ok.id });

    await until(async () => !risk.inFlight('o:live') && (await dead()).length >= 3);
    expect(risk.inFlight('o:live')).toBe(false);
    const entries = await dead();
    expect(entries.map((x) => [x.reason, JSON.parse(x.payload).orderId as string])).toEqual([
      ['UNKNOWN_ORDER', 'o:nobody'],
      ['SCHEMA', 'o:live'],
      ['ORDER_MISMATCH', 'o:filled'],
    ]);
    expect(entries.every((x) => x.source === 'decisions' && x.subject === subject)).toBe(true);
    expect(entries[0]?.detail).toContain('o:nobody');
    expect(entries[1]?.detail).toContain('remainingQty');
    expect(entries[2]?.detail).toContain('filled in full');
    expect(engine.counters.refused).toMatchObject({ UNKNOWN_ORDER: 1, SCHEMA: 1, ORDER_MISMATCH: 1 });
    expect(engine.decisions?.path.stats().expired).toBe(1);
  }, 120_000);
});
