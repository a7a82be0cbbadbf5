import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ZodType } from 'zod';
import { ClientValidationError, DlqEntrySchema, DurableConflictError, LabelSchema, NoStreamError, openSubscription, OrderSchema, RiskStateSchema, subjectsFor, subscribeOrders, subscribePredictions, SubscriptionInUseError } from 'sextant/client';
import type { DeliveryMeta, InvalidMessage, Order, Prediction } from 'sextant/client';
import { loadConfig } from '../../config/load.js';
import { encode } from '../../streams/codec.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import type { Bus } from '../../streams/bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';

// Real NATS JetStream; fails (never skips) when the server is not reachable.
const URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const id = randomUUID().slice(0, 8);
const prefix = `tcl${id}`;
const namePrefix = `TCL${id}_`;
const cfg = loadConfig({ env: {} });
const specs = streamSpecs(cfg, { namePrefix, subjectPrefix: prefix, storage: 'memory' });
const SIGNALS = streamName(cfg, 'SIGNALS', { namePrefix });
const DLQ = streamName(cfg, 'DLQ', { namePrefix });
const subjects = subjectsFor(prefix);
const T0 = Date.UTC(2024, 0, 2);
/** The desk's clock at the time of the orders below (2024): on the wall clock they are long expired. */
const LIVE = { now: () => T0 } as const;

const order = (n: number, strategy = 'alpha', symbol = 'BTC/USDT'): Order => ({
  type: 'exec.order',
  v: 1,
  id: `o:s:${strategy}:${symbol}:${n}`,
  ts: T0 + n * 60_000,
  strategy,
  venue: 'binance',
  symbol,
  suggestionId: `s:${strategy}:${symbol}:${n}`,
  side: n % 2 === 0 ? 'buy' : 'sell',
  qty: 0.01 * (n + 1),
  orderType: 'limit',
  limitPrice: 42_000 + n,
  expiresAt: T0 + n * 60_000 + 30_000,
  reducing: false,
});

const prediction = (n: number): Prediction => ({
  type: 'pred',
  v: 1,
  id: `p:alpha:f:b:binance:ETH/USDT:1m:${T0 + n * 60_000}`,
  ts: T0 + n * 60_000,
  strategy: 'alpha',
  venue: 'binance',
  symbol: 'ETH/USDT',
  source: `f:b:binance:ETH/USDT:1m:${T0 + n * 60_000}`,
  model: { name: 'direction-mlp', version: 3 },
  featureSpecHash: 'abc123',
  horizonMs: 900_000,
  probs: { down: 0.2, flat: 0.3, up: 0.5 },
  expectedReturn: 0.001 * n,
  interval80: [-0.01, 0.012],
  interval95: [-0.02, 0.022],
  attributions: [{ feature: 'rsi_14', contribution: 0.0004 }],
  confidence: 0.5,
  price: 2_300 + n,
  intent: n % 2 === 0 ? { target: 0.5 } : null,
});

let bus: Bus;
let nc: NatsConnection;
let jsm: JetStreamManager;

const publishOrder = (o: Order): Promise<unknown> => bus.publish(subjects.order(o.strategy, o.venue, o.symbol), encode(o), { msgId: o.id });
/** What `p` was rejected with, or undefined when it resolved. */
const rejectionOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);
/** Subscription options on this file's stream as a JavaScript caller passes them: the types would refuse some at compile time. */
const given = (durable: string, opts: object): Parameters<typeof subscribeOrders>[1] => ({ durable, prefix, stream: SIGNALS, ...opts }) as unknown as Parameters<typeof subscribeOrders>[1];
const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

beforeAll(async () => {
  bus = await createNatsBus({ url: URL, name: 'client-test', connectTimeoutMs: 2_000 });
  await bus.ensureStreams(specs);
  nc = await connect({ servers: URL, name: 'client-test-consumer' });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await bus?.deleteStreams(specs.map((s) => s.name));
  await bus?.close();
});

describe('sextant/client order subscriptions on JetStream', () => {
  it('yields typed orders of its filter only, resumes a durable after a restart without loss or duplicates, and routes invalid ones', async () => {
    for (let n = 0; n < 6; n++) await publishOrder(order(n));
    await publishOrder(order(0, 'beta')); // another strategy: filtered out
    await publishOrder(order(0, 'alpha', 'ETH/USDT')); // another symbol: filtered out
    await bus.publish(subjects.order('alpha', 'binance', 'BTC/USDT'), new TextEncoder().encode('{"type":"exec.order"'), { msgId: 'bad-json' });
    await bus.publish(subjects.order('alpha', 'binance', 'BTC/USDT'), encode({ ...order(99), qty: -1 }), { msgId: 'bad-qty' });
    for (let n = 6; n < 8; n++) await publishOrder(order(n));

    const invalid: InvalidMessage[] = [];
    const opts = { durable: `desk-${id}`, prefix, stream: SIGNALS, strategy: 'alpha', venue: 'binance', symbol: 'BTC/USDT', onInvalid: (m: InvalidMessage) => void invalid.push(m), dlq: true, ...LIVE } as const;
    const got: Order[] = [];

    // First run: handle three orders, then stop (what a restart of the consumer looks like).
    const first = await subscribeOrders(nc, opts);
    expect(first.filterSubject).toBe(`${prefix}.exec.order.alpha.binance.BTC-USDT`);
    const firstRun = first.consume((o) => {
      got.push(o);
      if (got.length === 3) void first.stop();
    });
    await firstRun;
    const afterFirst = got.length;
    expect(afterFirst).toBe(3);
    // Second run on the same durable: the rest, once each, in stream order, plus what is published meanwhile.
    const second = await subscribeOrders(nc, opts);
    const secondRun = second.consume((o, meta) => {
      got.push(o);
      expect(meta.subject).toBe(subjects.order('alpha', 'binance', 'BTC/USDT'));
    });
    await publishOrder(order(8));
    await publishOrder(order(3)); // a republished id inside the duplicate window: the stream drops it
    // Well inside ackWaitMs (30 s): what the first run pulled ahead was handed back, not left to time out.
    await until(() => got.length >= 9, 5_000);
    await new Promise((r) => setTimeout(r, 200)); // nothing more may arrive
    await second.stop();
    await secondRun;

    expect(got.map((o) => o.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => order(n).id));
    expect(got[4]).toEqual(order(4));
    const typed: number = got[2]?.qty ?? 0; // typed, not unknown
    expect(typed).toBeCloseTo(0.03, 12);
    expect(got.every((o) => OrderSchema.safeParse(o).success)).toBe(true);

    expect(invalid.map((m) => m.reason).sort()).toEqual(['MALFORMED_JSON', 'SCHEMA']);
    expect(invalid.find((m) => m.reason === 'SCHEMA')?.detail).toMatch(/qty/);
    const dlqInfo = await jsm.streams.info(DLQ);
    expect(dlqInfo.state.messages).toBe(2);
    const dlqMsg = await jsm.streams.getMessage(DLQ, { last_by_subj: subjects.dlq('client') });
    const entry = DlqEntrySchema.parse(dlqMsg?.json());
    expect(entry.source).toBe('client');
    expect(entry.subject).toBe(subjects.order('alpha', 'binance', 'BTC/USDT'));
  });

  it('refuses a durable name already used with another filter', async () => {
    await subscribeOrders(nc, { durable: `other-${id}`, prefix, stream: SIGNALS, strategy: 'alpha' }).then((s) => s.stop());
    await expect(subscribeOrders(nc, { durable: `other-${id}`, prefix, stream: SIGNALS, strategy: 'beta' })).rejects.toBeInstanceOf(DurableConflictError);
  });

  it('names the stream and the fix when the stream does not exist (a prefix given without its stream), not nats.js\'s bare "stream not found"', async () => {
    const err = await rejectionOf(subscribeOrders(nc, { durable: `d-nostream-${id}`, prefix, stream: `NOPE${id}_SIGNALS` }));
    expect(err).toBeInstanceOf(NoStreamError);
    expect((err as Error).message).toMatch(new RegExp(`^stream NOPE${id}_SIGNALS not found for ${prefix}\\.exec\\.order\\.\\*\\.\\*\\.\\*: give \`stream\``));
  });

  it('names the stream and the fix when the stream exists but does not store the filter (a stream given without its prefix), not the server\'s bare "not a valid subset"', async () => {
    const err = await rejectionOf(subscribeOrders(nc, { durable: `d-noprefix-${id}`, stream: SIGNALS, strategy: 'alpha' }));
    expect(err).toBeInstanceOf(NoStreamError);
    expect((err as Error).message).toBe(`stream ${SIGNALS} does not store sx.exec.order.alpha.*.*: give \`prefix\` as the engine's config prefix along with its \`stream\` (streamNamePrefix + SIGNALS)`);
  });

  it('says which stream stores a filter of the right prefix given the wrong stream (labels: OUTCOMES), and that core NATS subjects (risk state) have none, instead of blaming the prefix', async () => {
    const refusal = <T>(filterSubject: string, schema: ZodType<T>): Promise<unknown> =>
      rejectionOf(openSubscription({ conn: nc, schema, filterSubject, opts: { durable: `d-hint-${filterSubject.split('.')[1] ?? ''}-${id}`, prefix, stream: SIGNALS } }));
    const labels = await refusal(`${prefix}.label.>`, LabelSchema);
    expect(labels).toBeInstanceOf(NoStreamError);
    expect((labels as Error).message).toBe(`stream ${SIGNALS} does not store ${prefix}.label.>: the engine's OUTCOMES stream does, give \`stream\` as ${namePrefix}OUTCOMES`);
    const risk = await refusal(subjects.riskState(), RiskStateSchema);
    expect(risk).toBeInstanceOf(NoStreamError);
    expect((risk as Error).message).toBe(`no stream of the engine stores ${prefix}.risk.state: it is core NATS (at-most-once; x-sextant-stream null in docs/asyncapi.yaml), so follow it with nc.subscribe, not a durable`);
  });

  it('refuses a symbol filter that can never match (btc/usdt) before creating a durable', async () => {
    for (const subscribe of [subscribeOrders, subscribePredictions] as const) {
      const durable = `lower-${subscribe.name}-${id}`;
      const err = await rejectionOf(subscribe(nc, { durable, prefix, stream: SIGNALS, symbol: 'btc/usdt' }));
      expect(err).toBeInstanceOf(ClientValidationError);
      expect((err as Error).message).toMatch(/^symbol "btc\/usdt" can never match: .* \(did you mean "BTC\/USDT"\?\)$/);
      await expect(jsm.consumers.info(SIGNALS, durable)).rejects.toThrow();
    }
  });

  it('refuses options no subscription can use (batch 1.5 waited for ever; deliver "last" meant all; a dlq source of two tokens failed at the first refusal) before creating a durable, naming each', async () => {
    const durable = `opts-${id}`;
    const bad = [
      [{ batch: 1.5 }, 'invalid subscription options: batch: Invalid input: expected int, received number'],
      [{ batch: 0 }, 'invalid subscription options: batch: Too small: expected number to be >0'],
      [{ ackWaitMs: -5 }, 'invalid subscription options: ackWaitMs: Too small: expected number to be >0'],
      [{ deliver: 'last' }, 'invalid subscription options: deliver: Invalid option: expected one of "all"|"new"'],
      [{ durable: 'desk.1' }, 'invalid subscription options: durable: a NATS name: not empty, no whitespace, ".", "*" or ">"'],
      [{ prefix: 'sx.demo' }, "invalid subscription options: prefix: the engine's config prefix: one lowercase subject token"],
      [{ dlq: { source: 'my.desk' } }, 'invalid subscription options: dlq.source: one subject token: 1-64 letters, digits, _ and -'],
      [{ onInvalid: 'warn' }, 'invalid subscription options: onInvalid: a function'],
    ] as const;
    for (const [opts, message] of bad) {
      const err = await rejectionOf(subscribeOrders(nc, given(durable, opts)));
      expect(err).toBeInstanceOf(ClientValidationError);
      expect((err as Error).message).toBe(message);
    }
    await expect(jsm.consumers.info(SIGNALS, durable)).rejects.toThrow();
  });

  it('refuses an option it does not know (symbols: [..] followed every symbol; deliverPolicy: new started at the first order) before creating a durable, naming what was meant', async () => {
    const durable = `unknown-opts-${id}`;
    const bad = [
      [{ symbols: ['BTC/USDT'] }, /^invalid subscription options: unknown option symbols \(did you mean symbol\?\): it would be ignored \(options: durable, .*strategy, venue, symbol(, expired, expiryGraceMs, minTimeLeftMs, onExpired, now)?\)$/],
      [{ deliverPolicy: 'new' }, /^invalid subscription options: unknown option deliverPolicy \(did you mean deliver\?\)/],
      [{ sybmol: 'BTC/USDT', ackWait: 5 }, /^invalid subscription options: unknown option sybmol, ackWait \(did you mean ackWaitMs\?\)/],
    ] as const;
    for (const subscribe of [subscribeOrders, subscribePredictions]) {
      for (const [opts, message] of bad) {
        const err = await rejectionOf(subscribe(nc, given(durable, opts)));
        expect(err).toBeInstanceOf(ClientValidationError);
        expect((err as Error).message).toMatch(message);
      }
    }
    // openSubscription reads no filter: a strategy given to it would be ignored too.
    const direct = await rejectionOf(openSubscription({ conn: nc, schema: OrderSchema, filterSubject: subjects.order('alpha', 'binance', 'BTC/USDT'), opts: { durable, prefix, stream: SIGNALS, ...{ strategy: 'alpha' } } }));
    expect(direct).toBeInstanceOf(ClientValidationError);
    expect((direct as Error).message).toMatch(/^invalid subscription options: unknown option strategy: it would be ignored/);
    await expect(jsm.consumers.info(SIGNALS, durable)).rejects.toThrow();
  });

  it('refuses a venue no subject can carry with ClientValidationError, as a bad strategy or symbol, before creating a durable', async () => {
    const durable = `venue-${id}`;
    for (const venue of ['my_venue', '', 'bin ance']) {
      const err = await rejectionOf(subscribeOrders(nc, { durable, prefix, stream: SIGNALS, venue }));
      expect(err).toBeInstanceOf(ClientValidationError);
      expect((err as Error).message).toBe(`venue ${JSON.stringify(venue)} is not a subject token: the engine's venues are ccxt exchange ids like "binance" (letters, digits and -)`);
    }
    await expect(jsm.consumers.info(SIGNALS, durable)).rejects.toThrow();
  });

  it('refuses a consume handler that is not a function before taking a message, and stays usable', async () => {
    await publishOrder(order(0, 'zeta'));
    const sub = await subscribeOrders(nc, { durable: `handler-${id}`, prefix, stream: SIGNALS, strategy: 'zeta', ...LIVE });
    const err = await rejectionOf(sub.consume('log' as unknown as () => void));
    expect(err).toBeInstanceOf(ClientValidationError);
    expect((err as Error).message).toBe('consume needs a handler function, got string');
    const seen: string[] = [];
    const run = sub.consume((o) => {
      seen.push(o.id);
      void sub.stop();
    });
    await run;
    expect(seen).toEqual([order(0, 'zeta').id]);
  });

  it('gives an existing durable the ackWaitMs asked for (a raised ack wait was ignored once the durable existed), keeping its position', async () => {
    const opts = { durable: `ackwait-${id}`, prefix, stream: SIGNALS, strategy: 'kappa', ...LIVE } as const;
    await publishOrder(order(1, 'kappa'));
    await publishOrder(order(2, 'kappa'));
    const first = await subscribeOrders(nc, { ...opts, ackWaitMs: 30_000 });
    for await (const o of first) {
      expect(o.id).toBe(order(1, 'kappa').id);
      break; // handled, not acknowledged: handed back, first next time
    }
    expect((await jsm.consumers.info(SIGNALS, opts.durable)).config.ack_wait).toBe(30_000 * 1e6);
    const second = await subscribeOrders(nc, { ...opts, ackWaitMs: 120_000, batch: 2_000 });
    const info = await jsm.consumers.info(SIGNALS, opts.durable);
    expect(info.config.ack_wait).toBe(120_000 * 1e6);
    expect(info.config.max_ack_pending).toBe(2_000);
    const seen: string[] = [];
    for await (const o of second) {
      seen.push(o.id);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual([order(1, 'kappa').id, order(2, 'kappa').id]);
  });

  it('a consumer that starts at new messages sees only those published after it was created', async () => {
    const sub = await subscribeOrders(jetstream(nc), { durable: `new-${id}`, prefix, stream: SIGNALS, strategy: 'gamma', deliver: 'new', ...LIVE });
    await publishOrder(order(1, 'gamma'));
    const seen: string[] = [];
    for await (const o of sub) {
      seen.push(o.id);
      break;
    }
    expect(seen).toEqual([order(1, 'gamma').id]);
  });
});

describe('sextant/client subscriptions have one consumer', () => {
  it('refuses a second iterator or consume on a subscription (it would acknowledge the first one\'s message in hand), while the first runs and after it ended', async () => {
    for (let n = 0; n < 3; n++) await publishOrder(order(n, 'delta'));
    const opts = { durable: `one-${id}`, prefix, stream: SIGNALS, strategy: 'delta', ...LIVE } as const;
    const sub = await subscribeOrders(nc, opts);
    const first = sub[Symbol.asyncIterator]();
    const got = await first.next();
    expect(got.value?.id).toBe(order(0, 'delta').id);
    expect(() => sub[Symbol.asyncIterator]()).toThrow(SubscriptionInUseError);
    expect(() => sub[Symbol.asyncIterator]()).toThrow(`subscription one-${id} (${prefix}.exec.order.delta.*.*) is already consumed by an iterator (for await): it takes one consumer, which acknowledges its own messages; open one subscription per consumer on the same durable to share its messages`);
    await expect(sub.consume(() => undefined)).rejects.toBeInstanceOf(SubscriptionInUseError);
    // The first loop's message in hand was not acknowledged by the refused ones.
    const info = await jsm.consumers.info(SIGNALS, opts.durable);
    expect(info.num_ack_pending).toBeGreaterThanOrEqual(1);
    expect(info.ack_floor.stream_seq).toBeLessThan(info.delivered.stream_seq);
    await first.return?.();
    expect(() => sub[Symbol.asyncIterator]()).toThrow(/was consumed by an iterator \(for await\): .*open a new subscription on the durable to resume$/);
    // Handed back, not acknowledged: the next subscription of the durable starts with it.
    const again = await subscribeOrders(nc, opts);
    for await (const o of again) {
      expect(o.id).toBe(order(0, 'delta').id);
      break;
    }
  });

  it('shares a durable between two subscriptions, each acknowledging only its own messages', async () => {
    for (let n = 0; n < 3; n++) await publishOrder(order(n, 'epsilon'));
    const opts = { durable: `two-${id}`, prefix, stream: SIGNALS, strategy: 'epsilon', batch: 1, ...LIVE } as const;
    const a = (await subscribeOrders(nc, opts))[Symbol.asyncIterator]();
    const b = (await subscribeOrders(nc, opts))[Symbol.asyncIterator]();
    const a0 = await a.next();
    const b0 = await b.next();
    expect([a0.value?.id, b0.value?.id]).toEqual([order(0, 'epsilon').id, order(1, 'epsilon').id]);
    const a1 = await a.next(); // acknowledges a's first, not b's
    expect(a1.value?.id).toBe(order(2, 'epsilon').id);
    await a.return?.(); // hands back order 2
    await b.return?.(); // hands back order 1
    const seen: string[] = [];
    for await (const o of await subscribeOrders(nc, opts)) {
      seen.push(o.id);
      if (seen.length === 2) break;
    }
    // Both handed back (redelivered in the order they were handed back), order 0 acknowledged.
    expect(seen.sort()).toEqual([order(1, 'epsilon').id, order(2, 'epsilon').id]);
  });
});

describe('sextant/client prediction subscriptions on JetStream', () => {
  it('iterates typed predictions; the one in hand when the loop is left comes first next time', async () => {
    for (let n = 0; n < 5; n++) {
      const p = prediction(n);
      await bus.publish(subjects.prediction(p.strategy, p.venue, p.symbol), encode(p), { msgId: p.id });
    }
    const opts = { durable: `preds-${id}`, prefix, stream: SIGNALS, strategy: 'alpha', symbol: 'ETH/USDT' } as const;
    const seen: Prediction[] = [];
    const first = await subscribePredictions(nc, opts);
    for await (const p of first) {
      seen.push(p);
      if (seen.length === 2) break; // leaves prediction 1 in hand: handed back, not acknowledged
    }
    const second = await subscribePredictions(nc, opts);
    for await (const p of second) {
      seen.push(p);
      if (p.id === prediction(4).id) break;
    }
    expect(seen.map((p) => p.expectedReturn)).toEqual([0, 0.001, 0.001, 0.002, 0.003, 0.004]);
    const up: number = seen[0]?.probs.up ?? 0;
    expect(up).toBe(0.5);
    expect(seen[0]?.intent).toEqual({ target: 0.5 });
    expect(seen[1]?.intent).toBeNull();
    // The last one was in hand when the loop was left: handed back, so the durable still owes it.
    const info = await jsm.consumers.info(SIGNALS, opts.durable);
    expect(info.ack_floor.stream_seq).toBeLessThan(info.delivered.stream_seq);
  });
});

describe('sextant/client when routing an invalid message fails', () => {
  it('ends the subscription with that error and hands everything back, so the next start sees it again', async () => {
    const p = prediction(7);
    const subject = subjects.prediction('omega', 'binance', 'ETH/USDT');
    await bus.publish(subject, encode({ ...p, strategy: 'omega', id: 'p:omega:1' }), { msgId: 'p:omega:1' });
    await bus.publish(subject, new TextEncoder().encode('not json'), { msgId: 'p:omega:bad' });
    await bus.publish(subject, encode({ ...p, strategy: 'omega', id: 'p:omega:2' }), { msgId: 'p:omega:2' });
    const opts = { durable: `routing-${id}`, prefix, stream: SIGNALS, strategy: 'omega' } as const;
    const seen: string[] = [];
    const failing = await subscribePredictions(nc, {
      ...opts,
      onInvalid: () => {
        throw new Error('alerting is down');
      },
    });
    await expect(failing.consume((x) => void seen.push(x.id))).rejects.toThrow('alerting is down');
    expect(seen).toEqual(['p:omega:1']);
    const refused: string[] = [];
    const again = await subscribePredictions(nc, { ...opts, onInvalid: (m) => void refused.push(m.reason) });
    const run = again.consume((x) => void seen.push(x.id));
    await until(() => seen.length >= 2, 5_000);
    await again.stop();
    await run;
    expect(seen).toEqual(['p:omega:1', 'p:omega:2']);
    expect(refused).toEqual(['MALFORMED_JSON']);
  });
});

describe('sextant/client without onInvalid', () => {
  it('dead-letters a refused message by default, so it is not dropped without a trace', async () => {
    const subject = subjects.prediction('sigma', 'binance', 'ETH/USDT');
    await bus.publish(subject, new TextEncoder().encode('{"not": "a prediction"'), { msgId: 'p:sigma:bad' });
    await bus.publish(subject, encode({ ...prediction(3), strategy: 'sigma', id: 'p:sigma:1' }), { msgId: 'p:sigma:1' });
    const before = (await jsm.streams.info(DLQ)).state.messages;
    const seen: string[] = [];
    const sub = await subscribePredictions(nc, { durable: `nohandler-${id}`, prefix, stream: SIGNALS, strategy: 'sigma' });
    const run = sub.consume((x) => void seen.push(x.id));
    await until(() => seen.length >= 1, 5_000);
    await sub.stop();
    await run;
    expect(seen).toEqual(['p:sigma:1']);
    expect((await jsm.streams.info(DLQ)).state.messages).toBe(before + 1);
    const entry = DlqEntrySchema.parse((await jsm.streams.getMessage(DLQ, { last_by_subj: subjects.dlq('client') }))?.json());
    expect([entry.source, entry.subject, entry.reason]).toEqual(['client', subject, 'MALFORMED_JSON']);
  });
});

describe('sextant/client dead letters', () => {
  it('dead-letters the same bytes published twice as two entries, one per refusal, and the same messages refused again as the same ones', async () => {
    const subject = subjects.prediction('tau', 'binance', 'ETH/USDT');
    const source = `dup-${id}`;
    const durable = `dup-${id}`;
    // A sender re-sending what it sent, without a Nats-Msg-Id: each copy is a message of the stream, refused.
    const bad = new TextEncoder().encode('{"type":"pred","v":1');
    await bus.publish(subject, bad);
    await bus.publish(subject, bad);
    await bus.publish(subject, encode({ ...prediction(4), strategy: 'tau', id: 'p:tau:1' }), { msgId: 'p:tau:1' });
    const run = async (): Promise<InvalidMessage[]> => {
      const refused: InvalidMessage[] = [];
      const seen: string[] = [];
      const sub = await subscribePredictions(nc, { durable, prefix, stream: SIGNALS, strategy: 'tau', onInvalid: (m) => void refused.push(m), dlq: { source } });
      const done = sub.consume((x) => void seen.push(x.id));
      await until(() => seen.length >= 1, 5_000); // in stream order: both refusals are routed by then
      await sub.stop();
      await done;
      return refused;
    };
    const first = await run();
    expect(first.map((m) => m.reason)).toEqual(['MALFORMED_JSON', 'MALFORMED_JSON']);
    expect(new Set(first.map((m) => m.streamSeq)).size).toBe(2);
    const dead = async (): Promise<string[]> => {
      const ids: string[] = [];
      for (let seq = 1, n = await bus.countMessages(DLQ, subjects.dlq(source)); ids.length < n; seq++) {
        const m = await jsm.streams.getMessage(DLQ, { seq }).catch(() => undefined);
        if (m?.subject === subjects.dlq(source)) ids.push(DlqEntrySchema.parse(m.json()).id);
      }
      return ids;
    };
    const ids = await dead();
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    // The same messages handed out and refused again (the durable re-created from the start): the same two entries.
    await jsm.consumers.delete(SIGNALS, durable);
    expect((await run()).map((m) => m.streamSeq)).toEqual(first.map((m) => m.streamSeq));
    expect(await dead()).toEqual(ids);
  });
});

describe('sextant/client orders expired on the consumer clock (an engine catching up on a backlog)', () => {
  // order(n) expires at T0 + n min + 30 s; the desk's clock is at order 1's expiresAt.
  const at = T0 + 90_000;
  const backlog = async (strategy: string): Promise<void> => {
    for (let n = 0; n < 3; n++) await publishOrder(order(n, strategy));
  };
  const drain = async (sub: Awaited<ReturnType<typeof subscribeOrders>>, want: number): Promise<string[]> => {
    const got: string[] = [];
    const run = sub.consume((o) => void got.push(o.id));
    await until(() => got.length >= want, 5_000);
    await new Promise((r) => setTimeout(r, 200)); // nothing more may arrive
    await sub.stop();
    await run;
    return got;
  };

  it('hands over only orders still working, reports each expired one (at expiresAt included) to onExpired with how late it is, and acknowledges and counts it', async () => {
    await backlog('stale');
    const expired: [string, number, number][] = [];
    const durable = `stale-${id}`;
    const sub = await subscribeOrders(nc, { durable, prefix, stream: SIGNALS, strategy: 'stale', now: () => at, onExpired: (o: Order, lateMs: number, meta: DeliveryMeta) => void expired.push([o.id, lateMs, meta.streamSeq]) });
    expect(await drain(sub, 1)).toEqual([order(2, 'stale').id]);
    expect(expired.map(([o, late]) => [o, late])).toEqual([
      [order(0, 'stale').id, 60_000],
      [order(1, 'stale').id, 0],
    ]);
    expect(sub.expiredCount).toBe(2);
    // Acknowledged: the durable owes nothing, so the expired ones never come back.
    const info = await jsm.consumers.info(SIGNALS, durable);
    expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
  });

  it('hands over an order within expiryGraceMs past its expiresAt, and every order with expired: deliver (replay, backtest)', async () => {
    await backlog('grace');
    const late: string[] = [];
    const graced = await subscribeOrders(nc, { durable: `grace-${id}`, prefix, stream: SIGNALS, strategy: 'grace', now: () => at, expiryGraceMs: 1, onExpired: (o) => void late.push(o.id) });
    expect(await drain(graced, 2)).toEqual([order(1, 'grace').id, order(2, 'grace').id]);
    expect(late).toEqual([order(0, 'grace').id]);
    // No clock given: on the wall clock every 2024 order is expired, and deliver hands them all over all the same.
    const all = await subscribeOrders(nc, { durable: `replay-${id}`, prefix, stream: SIGNALS, strategy: 'grace', expired: 'deliver' });
    expect(await drain(all, 3)).toEqual([0, 1, 2].map((n) => order(n, 'grace').id));
    expect(all.expiredCount).toBe(0);
  });

  it('skips an order with less than minTimeLeftMs left to onExpired (reason minTimeLeftMs, how much it had), hands over one with that much, expiryGraceMs counted as time left', async () => {
    await backlog('short');
    // 200 ms before order 1's expiresAt: order 0 expired, order 1 has 200 ms left, order 2 60,200 ms.
    const clock = () => at - 200;
    const skipped: [string, number, string, number][] = [];
    const durable = `short-${id}`;
    const sub = await subscribeOrders(nc, {
      durable, prefix, stream: SIGNALS, strategy: 'short', now: clock, minTimeLeftMs: 1_000,
      onExpired: (o, lateMs, meta) => void skipped.push([o.id, lateMs, meta.reason, meta.timeLeftMs]),
    });
    expect(await drain(sub, 1)).toEqual([order(2, 'short').id]);
    expect(skipped).toEqual([
      [order(0, 'short').id, 59_800, 'expired', -59_800],
      [order(1, 'short').id, -200, 'minTimeLeftMs', 200],
    ]);
    expect(sub.expiredCount).toBe(2);
    const info = await jsm.consumers.info(SIGNALS, durable);
    expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
    // Exactly minTimeLeftMs left is enough; a millisecond more asked is not.
    const exact = await subscribeOrders(nc, { durable: `short-exact-${id}`, prefix, stream: SIGNALS, strategy: 'short', now: clock, minTimeLeftMs: 60_200, onExpired: () => undefined });
    expect(await drain(exact, 1)).toEqual([order(2, 'short').id]);
    const over = await subscribeOrders(nc, { durable: `short-over-${id}`, prefix, stream: SIGNALS, strategy: 'short', now: clock, minTimeLeftMs: 60_201, onExpired: () => undefined });
    const none = over.consume(() => {
      throw new Error('handed an order with less than minTimeLeftMs left');
    });
    await until(() => over.expiredCount >= 3, 5_000);
    await over.stop();
    await none;
    // A clock up to 1 s ahead of the venue's: order 1 has 1,200 ms left on the venue's.
    const graced = await subscribeOrders(nc, { durable: `short-grace-${id}`, prefix, stream: SIGNALS, strategy: 'short', now: clock, minTimeLeftMs: 1_000, expiryGraceMs: 1_000, onExpired: () => undefined });
    expect(await drain(graced, 2)).toEqual([order(1, 'short').id, order(2, 'short').id]);
  });

  it('without onExpired, says once with a process warning that an order was skipped for minTimeLeftMs', async () => {
    await backlog('shortwarn');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const sub = await subscribeOrders(nc, { durable: `shortwarn-${id}`, prefix, stream: SIGNALS, strategy: 'shortwarn', now: () => T0 + 29_800, minTimeLeftMs: 500 });
      expect(await drain(sub, 2)).toEqual([order(1, 'shortwarn').id, order(2, 'shortwarn').id]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]?.[0]).toBe(`subscription shortwarn-${id} skipped order ${order(0, 'shortwarn').id}: 200 ms left, under minTimeLeftMs 500 (expiresAt 2024-01-02T00:00:30.000Z); give onExpired to be told of each, expired: 'deliver' to be handed them`);
    } finally {
      warn.mockRestore();
    }
  });

  it('without onExpired, skips expired orders on the wall clock and says so once with a process warning', async () => {
    await backlog('wall');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const sub = await subscribeOrders(nc, { durable: `wall-${id}`, prefix, stream: SIGNALS, strategy: 'wall' });
      const got: string[] = [];
      const run = sub.consume((o) => void got.push(o.id));
      await until(() => sub.expiredCount >= 3, 5_000);
      await sub.stop();
      await run;
      expect(got).toEqual([]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]?.[0]).toMatch(new RegExp(`^subscription wall-${id} skipped order ${order(0, 'wall').id}: expired \\d+ s ago \\(expiresAt 2024-01-02T00:00:30.000Z\\); give onExpired`));
      expect(warn.mock.calls[0]?.[1]).toEqual({ type: 'SextantExpiredOrder' });
    } finally {
      warn.mockRestore();
    }
  });

  it('ends the subscription when onExpired throws, handing the expired order back so the next start reports it again', async () => {
    await backlog('audit');
    const opts = { durable: `audit-${id}`, prefix, stream: SIGNALS, strategy: 'audit', now: () => at } as const;
    const failing = await subscribeOrders(nc, {
      ...opts,
      onExpired: () => {
        throw new Error('audit log is down');
      },
    });
    const ended = failing.consume(() => undefined);
    // Bounded: without the check the loop waits on for orders that never come.
    await expect(Promise.race([ended, new Promise((_r, reject) => setTimeout(() => reject(new Error('still running')), 5_000))])).rejects.toThrow('audit log is down');
    expect(failing.expiredCount).toBe(0);
    const reported: string[] = [];
    const again = await subscribeOrders(nc, { ...opts, onExpired: (o) => void reported.push(o.id) });
    expect(await drain(again, 1)).toEqual([order(2, 'audit').id]);
    expect(reported).toEqual([order(0, 'audit').id, order(1, 'audit').id]);
  });

  it('refuses expiry options it cannot use, and those expired: deliver would ignore, before creating a durable; predictions take none', async () => {
    const durable = `expiry-opts-${id}`;
    const bad = [
      [{ expired: 'drop' }, 'invalid subscription options: expired: Invalid option: expected one of "skip"|"deliver"'],
      [{ expiryGraceMs: -1 }, 'invalid subscription options: expiryGraceMs: Too small: expected number to be >=0'],
      [{ onExpired: 'log' }, 'invalid subscription options: onExpired: a function'],
      [{ now: 1_704_153_600_000 }, 'invalid subscription options: now: a function'],
      [{ expired: 'deliver', onExpired: () => undefined, expiryGraceMs: 5 }, "invalid subscription options: expiryGraceMs, onExpired with expired: 'deliver': it would be ignored (every order is handed over)"],
      [{ minTimeLeftMs: -1 }, 'invalid subscription options: minTimeLeftMs: Too small: expected number to be >=0'],
      [{ minTimeLeftMs: 0.5 }, 'invalid subscription options: minTimeLeftMs: Invalid input: expected int, received number'],
      [{ minTimeLeftMs: '200' }, 'invalid subscription options: minTimeLeftMs: Invalid input: expected number, received string'],
      [{ expired: 'deliver', minTimeLeftMs: 200 }, "invalid subscription options: minTimeLeftMs with expired: 'deliver': it would be ignored (every order is handed over)"],
    ] as const;
    for (const [opts, message] of bad) {
      const err = await rejectionOf(subscribeOrders(nc, given(durable, opts)));
      expect(err).toBeInstanceOf(ClientValidationError);
      expect((err as Error).message).toBe(message);
    }
    const misspelt = await rejectionOf(subscribeOrders(nc, { durable, prefix, stream: SIGNALS, onExpire: () => undefined } as unknown as Parameters<typeof subscribeOrders>[1]));
    expect((misspelt as Error).message).toMatch(/^invalid subscription options: unknown option onExpire \(did you mean onExpired\?\)/);
    const minTimeLeft = await rejectionOf(subscribeOrders(nc, { durable, prefix, stream: SIGNALS, minTimeLeft: 200 } as unknown as Parameters<typeof subscribeOrders>[1]));
    expect((minTimeLeft as Error).message).toMatch(/^invalid subscription options: unknown option minTimeLeft \(did you mean minTimeLeftMs\?\)/);
    const onPredictions = await rejectionOf(subscribePredictions(nc, { durable, prefix, stream: SIGNALS, onExpired: () => undefined } as unknown as Parameters<typeof subscribePredictions>[1]));
    expect((onPredictions as Error).message).toMatch(/^invalid subscription options: unknown option onExpired: it would be ignored/);
    await expect(jsm.consumers.info(SIGNALS, durable)).rejects.toThrow();
  });
});
