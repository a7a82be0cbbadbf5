import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus, Delivery, StreamSpec } from '../../streams/bus.js';
import { BusConnectError, BusError, isRetryable } from '../../streams/errors.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { freePort } from '../support/nats-server.js';

// Runs on the real server; fails (never skips) when NATS is not reachable.
const URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (d: Uint8Array): string => new TextDecoder().decode(d);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => String(from + i));

const until = async (cond: () => boolean, what: string, ms = 15_000): Promise<void> => {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
};

describe('NATS bus: connecting', () => {
  it('fails promptly with a retryable BusConnectError when nothing listens', async () => {
    const port = await freePort();
    const t0 = performance.now();
    const err = await createNatsBus({ url: `nats://127.0.0.1:${port}`, name: 'refused', connectTimeoutMs: 1_500 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BusConnectError);
    expect(isRetryable(err)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(3_000);
  });

  it('gives up on a server that accepts but never speaks within connectTimeoutMs', async () => {
    const silent = createServer(() => {}); // accepts TCP, never sends INFO
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const addr = silent.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    try {
      const t0 = performance.now();
      await expect(createNatsBus({ url: `nats://127.0.0.1:${port}`, name: 'silent', connectTimeoutMs: 500 })).rejects.toBeInstanceOf(BusConnectError);
      expect(performance.now() - t0).toBeLessThan(2_500);
    } finally {
      silent.close();
    }
  });
});

describe('NATS bus: JetStream behaviour', () => {
  const ns = `n${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const stream: StreamSpec = { name: `NB_${ns}`, subjects: [`${ns}.>`], maxAgeMs: 0, duplicateWindowMs: 60_000, storage: 'file' };
  let bus: Bus;

  beforeAll(async () => {
    bus = await createNatsBus({ url: URL, name: 'nats-bus-test', connectTimeoutMs: 2_000 });
    await bus.ensureStreams([stream]);
  });
  afterAll(async () => {
    await bus.deleteStreams([stream.name]);
    await bus.close();
  });

  it('acknowledges 3,000 concurrent publishes, storing them in call order', async () => {
    const subject = `${ns}.bulk.x`;
    const acks = await Promise.all(range(0, 3_000).map((v) => bus.publish(subject, enc(v), { msgId: `${ns}-bulk-${v}` })));
    for (let i = 1; i < acks.length; i++) expect((acks[i]?.seq ?? 0) > (acks[i - 1]?.seq ?? 0)).toBe(true);
    expect(acks.every((a) => a.stream === stream.name && !a.duplicate)).toBe(true);
    const again = await Promise.all(range(0, 3_000).map((v) => bus.publish(subject, enc(v), { msgId: `${ns}-bulk-${v}` })));
    expect(again.every((a, i) => a.duplicate && a.seq === acks[i]?.seq)).toBe(true);
    expect(await bus.countMessages(stream.name, `${ns}.bulk.>`)).toBe(3_000);

    const seen: string[] = [];
    const c = bus.consume({ stream: stream.name, durable: 'bulk', filterSubject: `${ns}.bulk.>`, batchSize: 500 }, (b) => {
      for (const d of b) seen.push(dec(d.data));
    });
    await until(() => seen.length >= 3_000, 'all bulk messages');
    await c.stop();
    expect(seen).toEqual(range(0, 3_000));
  });

  it('hands a message published into a stream to core subscribers of its subject too (duplicates included)', async () => {
    const got: string[] = [];
    const sub = bus.subscribe(`${ns}.core.*`, (subject, data) => got.push(`${subject}=${dec(data)}`));
    try {
      await bus.flush();
      await bus.publish(`${ns}.core.a`, enc('1'), { msgId: `${ns}-core-1` });
      await bus.publish(`${ns}.core.a`, enc('1'), { msgId: `${ns}-core-1` });
      await bus.publish(`${ns}.other.a`, enc('2'));
      await until(() => got.length >= 2, 'both publishes on the core subscription');
      await sleep(50);
      expect(got).toEqual([`${ns}.core.a=1`, `${ns}.core.a=1`]);
    } finally {
      sub.unsubscribe();
    }
  });

  it('queues publishes beyond maxInFlight and still acknowledges them all in order', async () => {
    const narrow = await createNatsBus({ url: URL, name: 'narrow', connectTimeoutMs: 2_000, maxInFlight: 4 });
    try {
      const acks = await Promise.all(range(0, 400).map((v) => narrow.publish(`${ns}.narrow.x`, enc(v))));
      for (let i = 1; i < acks.length; i++) expect((acks[i]?.seq ?? 0) > (acks[i - 1]?.seq ?? 0)).toBe(true);
    } finally {
      await narrow.close();
    }
  });

  it('refuses a publish no stream captures, promptly and not retryable', async () => {
    const t0 = performance.now();
    const err = await bus.publish(`${ns}nostream.x`, enc('x')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BusError);
    expect(isRetryable(err)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('after a crash, hands the deliveries the dead process held first, in order, marked redelivered', async () => {
    const subject = `${ns}.crash.x`;
    // The durable exists (made by an earlier, idle consumption) …
    const first = bus.consume({ stream: stream.name, durable: 'crash', filterSubject: `${ns}.crash.>` }, () => {});
    await sleep(200);
    await first.stop();
    for (const v of range(0, 10)) await bus.publish(subject, enc(v));
    // … and a process fetched 4 messages with it and died before acking them.
    const raw = await connect({ servers: URL });
    try {
      const js = jetstream(raw);
      const consumer = await js.consumers.get(stream.name, 'crash');
      const info = await consumer.info();
      expect(info.config.ack_policy).toBe(AckPolicy.All);
      const stolen: number[] = [];
      const it = await consumer.fetch({ max_messages: 4, expires: 2_000 });
      for await (const m of it) stolen.push(m.seq); // never acked
      expect(stolen).toHaveLength(4);
      expect((await (await jetstreamManager(raw)).consumers.info(stream.name, 'crash')).num_ack_pending).toBe(4);
    } finally {
      await raw.close();
    }
    const got: Delivery[] = [];
    const second = bus.consume({ stream: stream.name, durable: 'crash', filterSubject: `${ns}.crash.>`, batchSize: 3 }, (b) => void got.push(...b));
    await until(() => got.length >= 10, 'everything after the crash');
    await sleep(50);
    await second.stop();
    expect(got.map((d) => dec(d.data))).toEqual(range(0, 10));
    expect(got.map((d) => d.redelivered)).toEqual([true, true, true, true, false, false, false, false, false, false]);
  });

  it('reports a durable that starts part-way (as a re-anchored one does) as acknowledged up to its start before it acknowledged anything', async () => {
    const subject = `${ns}.start.x`;
    const first = (await bus.publish(subject, enc('0'))).seq;
    for (const v of range(1, 10)) await bus.publish(subject, enc(v));
    const raw = await connect({ servers: URL });
    try {
      const m = await jetstreamManager(raw);
      await m.consumers.add(stream.name, { durable_name: 'start', ack_policy: AckPolicy.All, filter_subject: `${ns}.start.>`, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first + 5 });
      // The server says nothing is acknowledged yet (ack floor 0) …
      expect((await m.consumers.info(stream.name, 'start')).ack_floor.stream_seq).toBe(0);
    } finally {
      await raw.close();
    }
    // … but nothing before its start will ever be delivered: an asset actor comparing its snapshot
    // with the ack floor must see it as acknowledged.
    expect(await bus.consumerInfo(stream.name, 'start')).toEqual({ pending: 5, ackPending: 0, ackFloor: first + 4 });
  });

  it('does not redeliver a batch whose handler outlasts ack_wait', async () => {
    const subject = `${ns}.slow.x`;
    for (const v of range(0, 6)) await bus.publish(subject, enc(v));
    const got: Delivery[] = [];
    let calls = 0;
    const c = bus.consume({ stream: stream.name, durable: 'slow', filterSubject: `${ns}.slow.>`, batchSize: 3, ackWaitMs: 1_000 }, async (b) => {
      calls++;
      got.push(...b);
      if (calls === 1) await sleep(2_500);
    });
    await until(() => got.length >= 6, 'both batches');
    await sleep(1_500);
    await c.stop();
    expect(got.map((d) => [dec(d.data), d.redelivered])).toEqual(range(0, 6).map((v) => [v, false]));
  });

  it('hands the next batches over while a deferred commit is pending, up to a bound, and acks after it', async () => {
    const subject = `${ns}.pipe.x`;
    for (const v of range(0, 12)) await bus.publish(subject, enc(v));
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    const got: string[] = [];
    const c = bus.consume({ stream: stream.name, durable: 'pipe', filterSubject: `${ns}.pipe.>`, batchSize: 3 }, (b) => {
      got.push(...b.map((d) => dec(d.data)));
      return { committed: gate }; // every batch waits for the same gate
    });
    await until(() => got.length >= 6, 'a second batch before the first commit');
    await sleep(300);
    // Two batches committing + the one handled after them: no more while nothing is committed.
    expect(got.length).toBeLessThanOrEqual(9);
    expect(got.length).toBeGreaterThanOrEqual(6);
    open();
    await until(() => got.length >= 12, 'the rest once the commits are done');
    await c.stop();
    expect(got).toEqual(range(0, 12));
  });

  it('serves a live stream with one open pull: pull requests per batchSize messages, not per message', async () => {
    const subject = `${ns}.live.x`;
    // Watch the pull requests the consumption sends, from a connection of our own.
    const watcher = await connect({ servers: URL, name: 'pull-watcher' });
    let pulls = 0;
    const sub = watcher.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${stream.name}.live`, { callback: () => void pulls++ });
    await watcher.flush();
    const got: string[] = [];
    const c = bus.consume({ stream: stream.name, durable: 'live', filterSubject: `${ns}.live.>`, batchSize: 16 }, (b) => void got.push(...b.map((d) => dec(d.data))));
    try {
      for (const v of range(0, 40)) {
        await bus.publish(subject, enc(v));
        await sleep(10); // live pace: each message arrives alone
      }
      await until(() => got.length >= 40, 'every message');
      expect(got).toEqual(range(0, 40));
      // 40 messages at 16 per pull: 3 pulls (a fourth may be open); one pull per message would be 40.
      expect(pulls).toBeGreaterThanOrEqual(3);
      expect(pulls).toBeLessThanOrEqual(4);
    } finally {
      await c.stop();
      sub.unsubscribe();
      await watcher.close();
    }
  });

  it('bounds the work still committing in messages, not batches: one-message batches keep flowing up to the bound', async () => {
    const subject = `${ns}.small.x`;
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    const got: string[] = [];
    // batchSize 4: up to 2 × 4 messages may be committing before the next pull waits.
    const c = bus.consume({ stream: stream.name, durable: 'small', filterSubject: `${ns}.small.>`, batchSize: 4 }, (b) => {
      got.push(...b.map((d) => dec(d.data)));
      return { committed: gate };
    });
    for (const v of range(0, 20)) {
      await bus.publish(subject, enc(v));
      await sleep(15); // live pace: each pull brings one message
    }
    await sleep(300);
    // A bound of two batches would have stopped at 3 messages; one of 8 messages stops at 9.
    expect(got.length).toBeGreaterThanOrEqual(9);
    expect(got.length).toBeLessThanOrEqual(12);
    open();
    await until(() => got.length >= 20, 'the rest once the commits are done');
    await c.stop();
    expect(got).toEqual(range(0, 20));
  });

  it('acknowledges a batch once its checkpoint resolves, not when it is committed', async () => {
    const subject = `${ns}.ckpt.x`;
    for (const v of range(0, 3)) await bus.publish(subject, enc(v));
    let save: () => void = () => {};
    const checkpoint = new Promise<void>((r) => (save = r));
    const got: Delivery[] = [];
    const c = bus.consume({ stream: stream.name, durable: 'ckpt', filterSubject: `${ns}.ckpt.>`, batchSize: 1 }, (b) => {
      got.push(...b);
      return { committed: Promise.resolve(), checkpointed: checkpoint };
    });
    await until(() => got.length === 3, 'every batch handed over while none is acknowledged');
    await sleep(200);
    expect(await bus.consumerInfo(stream.name, 'ckpt')).toMatchObject({ ackPending: 3, pending: 0 });
    save();
    const last = got[2]?.streamSeq ?? -1;
    const deadline = performance.now() + 5_000;
    while ((await bus.consumerInfo(stream.name, 'ckpt'))?.ackFloor !== last && performance.now() < deadline) await sleep(20);
    expect(await bus.consumerInfo(stream.name, 'ckpt')).toMatchObject({ ackPending: 0, ackFloor: last });
    await c.stop();
  });

  it('never runs the handler for two batches at once, and stop() waits for the one running', async () => {
    const subject = `${ns}.serial.x`;
    await Promise.all(range(0, 200).map((v) => bus.publish(subject, enc(v))));
    let running = 0;
    let overlap = false;
    const seen: string[] = [];
    const c = bus.consume({ stream: stream.name, durable: 'serial', filterSubject: `${ns}.serial.>`, batchSize: 7 }, async (b) => {
      running++;
      if (running > 1) overlap = true;
      await sleep(1);
      for (const d of b) seen.push(dec(d.data));
      running--;
    });
    await until(() => seen.length >= 100, 'half of them');
    await c.stop();
    expect(running).toBe(0);
    expect(overlap).toBe(false);
    const rest = bus.consume({ stream: stream.name, durable: 'serial', filterSubject: `${ns}.serial.>`, batchSize: 50 }, (b) => {
      for (const d of b) seen.push(dec(d.data));
    });
    await until(() => seen.length >= 200, 'the rest');
    await sleep(50);
    await rest.stop();
    expect(seen).toEqual(range(0, 200));
  });

  it('refuses a second consumption of a durable this bus is already consuming', async () => {
    const a = bus.consume({ stream: stream.name, durable: 'twice', filterSubject: `${ns}.twice.>` }, () => {});
    const b = bus.consume({ stream: stream.name, durable: 'twice', filterSubject: `${ns}.twice.>` }, () => {});
    await expect(b.done).rejects.toBeInstanceOf(BusError);
    await a.stop();
    await expect(a.done).resolves.toBeUndefined();
  });

  it('reads 2,500 stored messages over several pulls, and leaves no consumer behind', async () => {
    for (const round of ['old', 'new']) await Promise.all(range(0, 300).map((i) => bus.publish(`${ns}.rs.m${i}.promoted`, enc(`${round}${i}`))));
    await Promise.all(range(0, 1_900).map((i) => bus.publish(`${ns}.rs.bulk`, enc(String(i)))));
    const raw = await connect({ servers: URL });
    try {
      const m = await jetstreamManager(raw);
      const before = (await m.consumers.list(stream.name).next()).length;
      const all = await bus.readFrom(stream.name, `${ns}.rs.>`, { max: 2_500 });
      expect([all.messages.length, all.remaining]).toEqual([2_500, 0]);
      expect(all.messages.slice(-1_900).map((x) => dec(x.data))).toEqual(range(0, 1_900));
      // One short: the last one is left to the next page.
      expect((await bus.readFrom(stream.name, `${ns}.rs.>`, { max: 2_499 })).remaining).toBe(1);
      // The newest 1,500 instead: the older 1,000 skipped (found by bisection, never fetched).
      const newest = await bus.readNewest(stream.name, `${ns}.rs.>`, { max: 1_500 });
      expect([newest.messages.length, newest.skipped]).toEqual([1_500, 1_000]);
      expect(newest.messages.map((x) => dec(x.data))).toEqual(range(400, 1_900));
      expect((await m.consumers.list(stream.name).next()).length).toBe(before);
    } finally {
      await raw.close();
    }
  });

  it('updates a stream in place when its spec changes, keeping the messages', async () => {
    const spec: StreamSpec = { name: `${stream.name}_U`, subjects: [`${ns}u.>`], maxAgeMs: 0, duplicateWindowMs: 60_000, storage: 'memory' };
    await bus.ensureStreams([spec]);
    await bus.publish(`${ns}u.a`, enc('kept'));
    await bus.ensureStreams([{ ...spec, maxAgeMs: 3_600_000, duplicateWindowMs: 30_000, maxBytes: 1 << 20, subjects: [`${ns}u.>`, `${ns}v.>`] }]);
    await bus.publish(`${ns}v.a`, enc('new subject'));
    expect(await bus.countMessages(spec.name)).toBe(2);
    const raw = await connect({ servers: URL });
    try {
      const cfg = (await (await jetstreamManager(raw)).streams.info(spec.name)).config;
      expect(cfg.max_age).toBe(3_600_000 * 1_000_000);
      expect(cfg.duplicate_window).toBe(30_000 * 1_000_000);
      expect(cfg.max_bytes).toBe(1 << 20);
    } finally {
      await raw.close();
    }
    await expect(bus.ensureStreams([{ ...spec, storage: 'file' }])).rejects.toBeInstanceOf(BusError);
    await bus.deleteStreams([spec.name]);
  });

  it('waits for outstanding publish acknowledgements in flush() and close()', async () => {
    const own = await createNatsBus({ url: URL, name: 'flush', connectTimeoutMs: 2_000 });
    const settled: boolean[] = [];
    for (const v of range(0, 200)) void own.publish(`${ns}.flush.x`, enc(v)).then(() => settled.push(true));
    await own.flush();
    expect(settled).toHaveLength(200);
    for (const v of range(0, 50)) void own.publish(`${ns}.flush.x`, enc(v)).then(() => settled.push(true));
    await own.close();
    expect(settled).toHaveLength(250);
  });
});
