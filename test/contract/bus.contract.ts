import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus, BusStatus, Consumption, Delivery, PublishAck, StreamSpec } from '../../streams/bus.js';
import { BusTimeoutError, NoResponderError } from '../../streams/errors.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (d: Uint8Array): string => new TextDecoder().decode(d);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => String(from + i));

const until = async (cond: () => boolean, what: string, ms = 8_000): Promise<void> => {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
};

/** One consumption that records every batch it was handed, failed or not. */
type Recording = {
  batches: Delivery[][];
  values(): string[];
  consumption: Consumption;
};

/**
 * The Bus contract: every adapter must pass it (memory in process, NATS on a real server).
 * `makeBus()` may be called more than once; every bus it returns must see the same streams
 * (a second NATS connection; the in-process bus keeps its own, which the tests allow for).
 */
export function busContract(name: string, makeBus: () => Promise<Bus>): void {
  describe(`Bus contract: ${name}`, () => {
    // Own stream names and subject prefix: other files run in parallel on the same server.
    const ns = `c${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const stream: StreamSpec = { name: `CT_${ns}`, subjects: [`${ns}.>`], maxAgeMs: 0, duplicateWindowMs: 60_000, storage: 'memory' };
    const created = new Set<string>([stream.name]);
    const side = (suffix: string): StreamSpec => {
      const spec: StreamSpec = { ...stream, name: `${stream.name}_${suffix}`, subjects: [`${ns}${suffix.toLowerCase()}.>`] };
      created.add(spec.name);
      return spec;
    };
    let bus: Bus;

    beforeAll(async () => {
      bus = await makeBus();
      await bus.ensureStreams([stream]);
    });
    afterAll(async () => {
      await bus.deleteStreams([...created]);
      await bus.close();
    });

    const publishAll = async (subject: string, values: readonly string[]): Promise<void> => {
      for (const v of values) await bus.publish(subject, enc(v));
    };

    const record = (durable: string, filterSubject: string, batchSize: number, handle?: (batch: readonly Delivery[], n: number) => Promise<void> | void): Recording => {
      const batches: Delivery[][] = [];
      const consumption = bus.consume({ stream: stream.name, durable, filterSubject, batchSize }, async (b) => {
        batches.push([...b]);
        await handle?.(b, batches.length);
      });
      return { batches, values: () => batches.flat().map((d) => dec(d.data)), consumption };
    };

    /** Consumes until `count` deliveries were handed out, then stops; waits a little for strays. */
    const consumeAll = async (durable: string, filterSubject: string, count: number, batchSize = 10): Promise<Delivery[][]> => {
      const r = record(durable, filterSubject, batchSize);
      await until(() => r.batches.flat().length >= count, `${count} deliveries on ${filterSubject}`);
      await sleep(50);
      await r.consumption.stop();
      return r.batches;
    };

    it('delivers stream messages in stream order with increasing sequence numbers', async () => {
      await publishAll(`${ns}.order.a`, range(0, 25));
      const all = (await consumeAll('order', `${ns}.order.>`, 25, 7)).flat();
      expect(all.map((d) => dec(d.data))).toEqual(range(0, 25));
      expect(all.every((d) => d.subject === `${ns}.order.a` && !d.redelivered)).toBe(true);
      const seqs = all.map((d) => d.streamSeq);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] as number);
    });

    it('never hands the handler more than batchSize messages at once', async () => {
      await publishAll(`${ns}.batch.a`, range(0, 30));
      const batches = await consumeAll('batch7', `${ns}.batch.>`, 30, 7);
      expect(batches.flat()).toHaveLength(30);
      expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(7);
      const single = await consumeAll('batch1', `${ns}.batch.>`, 30, 1);
      expect(single.every((b) => b.length === 1)).toBe(true);
      expect(single.flat().map((d) => dec(d.data))).toEqual(range(0, 30));
    });

    it('stores a message published twice with the same msgId once', async () => {
      const a = await bus.publish(`${ns}.dedup.x`, enc('one'), { msgId: `${ns}-m1` });
      const b = await bus.publish(`${ns}.dedup.x`, enc('one'), { msgId: `${ns}-m1` });
      const c = await bus.publish(`${ns}.dedup.x`, enc('two'), { msgId: `${ns}-m2` });
      const d = await bus.publish(`${ns}.dedup.x`, enc('three'));
      expect(a).toMatchObject({ duplicate: false, stream: stream.name });
      expect(b).toEqual({ duplicate: true, seq: a.seq, stream: stream.name });
      expect(c.duplicate).toBe(false);
      expect(c.seq).toBeGreaterThan(a.seq);
      expect(d.seq).toBeGreaterThan(c.seq);
      expect(await bus.countMessages(stream.name, `${ns}.dedup.>`)).toBe(3);
      const seen = await consumeAll('dedup', `${ns}.dedup.>`, 3);
      expect(seen.flat().map((x) => dec(x.data))).toEqual(['one', 'two', 'three']);
    });

    it('counts the messages of a stream, all or by a wildcard filter', async () => {
      const counted = side('N');
      await bus.ensureStreams([counted]);
      const p = `${ns}n`;
      for (const s of [`${p}.a.x`, `${p}.a.y`, `${p}.b.x`, `${p}.b.y.z`, `${p}.a.x`]) await bus.publish(s, enc(s));
      expect(await bus.countMessages(counted.name)).toBe(5);
      expect(await bus.countMessages(counted.name, `${p}.>`)).toBe(5);
      expect(await bus.countMessages(counted.name, `${p}.a.*`)).toBe(3);
      expect(await bus.countMessages(counted.name, `${p}.*.x`)).toBe(3);
      expect(await bus.countMessages(counted.name, `${p}.b.>`)).toBe(2);
      expect(await bus.countMessages(counted.name, `${p}.a.x`)).toBe(2);
      expect(await bus.countMessages(counted.name, `${p}.c.>`)).toBe(0);
      await expect(bus.countMessages(`${stream.name}_MISSING`)).rejects.toThrow();
    });

    it('resumes a durable consumer after the last acknowledged batch, redelivering nothing', async () => {
      await publishAll(`${ns}.resume.x`, range(0, 10));
      const first = await consumeAll('resume', `${ns}.resume.>`, 10, 100);
      expect(first.flat().map((d) => dec(d.data))).toEqual(range(0, 10));
      await publishAll(`${ns}.resume.x`, range(10, 15));
      const second = (await consumeAll('resume', `${ns}.resume.>`, 5, 100)).flat();
      expect(second.map((d) => dec(d.data))).toEqual(range(10, 15));
      expect(second.some((d) => d.redelivered)).toBe(false);
    });

    it('starts a new durable after startAfter, and leaves an existing one where it is', async () => {
      await publishAll(`${ns}.after.x`, range(0, 10));
      const fifth = (await bus.lastMessage(stream.name, `${ns}.after.x`))?.streamSeq ?? 0;
      const after = fifth - 5; // the stream sequence of value '4'
      const got: Delivery[] = [];
      const c = bus.consume({ stream: stream.name, durable: 'after', filterSubject: `${ns}.after.>`, batchSize: 4, startAfter: after }, (b) => void got.push(...b));
      await until(() => got.length >= 5, 'the five after startAfter');
      await sleep(50);
      await c.stop();
      expect(got.map((d) => dec(d.data))).toEqual(range(5, 10));
      expect(got.some((d) => d.redelivered)).toBe(false);
      // Restarted with an older startAfter, the durable keeps its place.
      await publishAll(`${ns}.after.x`, range(10, 12));
      const more: Delivery[] = [];
      const c2 = bus.consume({ stream: stream.name, durable: 'after', filterSubject: `${ns}.after.>`, batchSize: 4, startAfter: 0 }, (b) => void more.push(...b));
      await until(() => more.length >= 2, 'the two new ones');
      await sleep(50);
      await c2.stop();
      expect(more.map((d) => dec(d.data))).toEqual(range(10, 12));
    });

    it('resumes at the same place after a consumption that acknowledged nothing', async () => {
      await publishAll(`${ns}.idle.x`, range(0, 5));
      await consumeAll('idle', `${ns}.idle.>`, 5);
      for (let i = 0; i < 2; i++) {
        const empty = record('idle', `${ns}.idle.>`, 10);
        await sleep(100);
        await empty.consumption.stop();
        expect(empty.batches).toEqual([]);
      }
      await publishAll(`${ns}.idle.x`, range(5, 7));
      const next = (await consumeAll('idle', `${ns}.idle.>`, 2)).flat();
      expect(next.map((d) => [dec(d.data), d.redelivered])).toEqual([
        ['5', false],
        ['6', false],
      ]);
    });

    it('resumes after a stop in mid-stream right after the last handled batch', async () => {
      await publishAll(`${ns}.mid.x`, range(0, 40));
      let stopping: Promise<void> | undefined;
      // Asks to stop from inside the second batch (without waiting): the bus finishes it first.
      const first: Recording = record('mid', `${ns}.mid.>`, 4, (_b, n) => void (n === 2 && (stopping = first.consumption.stop())));
      await until(() => stopping !== undefined, 'the second batch');
      await stopping;
      const handled = first.values();
      expect(first.batches).toHaveLength(2);
      expect(handled).toEqual(range(0, handled.length));
      const second = record('mid', `${ns}.mid.>`, 4);
      await until(() => handled.length + second.batches.flat().length >= 40, 'the rest');
      await sleep(50);
      await second.consumption.stop();
      expect([...handled, ...second.values()]).toEqual(range(0, 40));
    });

    it('finishes and acknowledges the batch in hand before stop() resolves', async () => {
      await publishAll(`${ns}.gate.x`, range(0, 6));
      let release = (): void => {};
      const gate = new Promise<void>((r) => (release = r));
      const first = record('gate', `${ns}.gate.>`, 3, (_b, n) => (n === 1 ? gate : undefined));
      await until(() => first.batches.length === 1, 'the first batch');
      let stopped = false;
      const stopping = first.consumption.stop().then(() => void (stopped = true));
      await sleep(100);
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(first.batches).toHaveLength(1);
      const inHand = first.values();
      const second = record('gate', `${ns}.gate.>`, 3);
      await until(() => inHand.length + second.batches.flat().length >= 6, 'the rest');
      await sleep(50);
      await second.consumption.stop();
      expect(second.values()).toEqual(range(inHand.length, 6));
    });

    it('redelivers a failed batch first, in order, marked redelivered, then goes on', async () => {
      await publishAll(`${ns}.retry.x`, range(0, 9));
      const statuses: BusStatus[] = [];
      const listening = bus.onStatus((s) => statuses.push(s));
      let failures = 0;
      const failed: number[] = []; // indexes of the batches whose handler threw
      const r = record('retry', `${ns}.retry.>`, 3, (b, n) => {
        // Fails twice in a row on the batch holding '3': it must come back both times.
        if (failures < 2 && b.some((d) => dec(d.data) === '3')) {
          failures++;
          failed.push(n - 1);
          throw new Error(`boom ${failures}`);
        }
      });
      const handled = (): Delivery[] => r.batches.filter((_, i) => !failed.includes(i)).flat();
      await until(() => handled().length >= 9, 'all nine after two failures');
      await publishAll(`${ns}.retry.x`, ['9']);
      await until(() => handled().length >= 10, 'a message published after the failures');
      await sleep(50);
      await r.consumption.stop();
      listening.unsubscribe();

      expect(failed).toHaveLength(2);
      expect(handled().map((d) => dec(d.data))).toEqual(range(0, 10));
      const firstFailed = failed[0] as number;
      const failedBatch = r.batches[firstFailed] as Delivery[];
      expect(failedBatch[0]?.redelivered).toBe(false);
      // Everything handed out after a failure starts with the failed batch, whole and in order.
      for (const f of failed) {
        const after = r.batches.slice(f + 1).flat();
        expect(after.slice(0, failedBatch.length).map((d) => [d.streamSeq, dec(d.data), d.redelivered])).toEqual(
          failedBatch.map((d) => [d.streamSeq, dec(d.data), true]),
        );
      }
      expect(r.batches.slice(0, firstFailed).flat().every((d) => !d.redelivered)).toBe(true);
      expect(handled().find((d) => dec(d.data) === '9')?.redelivered).toBe(false);
      const errors = statuses.filter((s) => s.type === 'consumer-error');
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(errors[0]).toMatchObject({ type: 'consumer-error', durable: 'retry' });
      expect(errors.some((s) => s.type === 'consumer-error' && s.error.includes('boom 1'))).toBe(true);
    });

    it('lastMessage returns the newest message of exactly that subject, or undefined', async () => {
      await bus.publish(`${ns}.lm.a`, enc('1'));
      await bus.publish(`${ns}.lm.b`, enc('2'));
      await bus.publish(`${ns}.lm.a`, enc('3'));
      const last = await bus.lastMessage(stream.name, `${ns}.lm.a`);
      expect([last?.subject, last === undefined ? undefined : dec(last.data)]).toEqual([`${ns}.lm.a`, '3']);
      expect(await bus.lastMessage(stream.name, `${ns}.lm.c`)).toBeUndefined();
    });

    it('readNewest reads the newest max stored messages a filter matches (from fromSeq), in stream order, and counts the older ones skipped', async () => {
      for (let i = 0; i < 12; i++) await bus.publish(i % 3 === 2 ? `${ns}.rnx.${i}` : `${ns}.rn.${i}`, enc(String(i)));
      const read = async (o: Parameters<Bus['readNewest']>[2]): Promise<[string[], number]> => {
        const r = await bus.readNewest(stream.name, `${ns}.rn.>`, o);
        const seqs = r.messages.map((m) => m.streamSeq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        return [r.messages.map((m) => dec(m.data)), r.skipped];
      };
      // 8 match (0 1 3 4 6 7 9 10); the 4 on rnx do not.
      expect(await read({})).toEqual([['0', '1', '3', '4', '6', '7', '9', '10'], 0]);
      expect(await read({ max: 3 })).toEqual([['7', '9', '10'], 5]);
      expect(await read({ max: 1 })).toEqual([['10'], 7]);
      const all = (await bus.readFrom(stream.name, `${ns}.rn.>`)).messages;
      const from = all[3]!.streamSeq; // '4'
      expect(await read({ fromSeq: from })).toEqual([['4', '6', '7', '9', '10'], 0]);
      expect(await read({ fromSeq: from, max: 2 })).toEqual([['9', '10'], 3]);
      expect(await bus.readNewest(stream.name, `${ns}.rnnone.>`, { max: 2 })).toEqual({ messages: [], skipped: 0 });
      await expect(bus.readNewest(`${stream.name}_MISSING`, `${ns}.rn.>`)).rejects.toThrow(/does not exist/);
    });

    it('readFrom reads the oldest max stored messages a filter matches from fromSeq, in stream order, and counts those after them', async () => {
      for (let i = 0; i < 12; i++) await bus.publish(i % 3 === 2 ? `${ns}.rfx.${i}` : `${ns}.rf.${i}`, enc(String(i)));
      const read = async (o: Parameters<Bus['readFrom']>[2]): Promise<[string[], number]> => {
        const r = await bus.readFrom(stream.name, `${ns}.rf.>`, o);
        return [r.messages.map((m) => dec(m.data)), r.remaining];
      };
      // 8 match (0 1 3 4 6 7 9 10); the 4 on rfx do not.
      expect(await read({})).toEqual([['0', '1', '3', '4', '6', '7', '9', '10'], 0]);
      expect(await read({ max: 3 })).toEqual([['0', '1', '3'], 5]);
      const first = await bus.readFrom(stream.name, `${ns}.rf.>`, { max: 3 });
      // The next page starts after the last one read.
      expect(await read({ fromSeq: first.messages[2]!.streamSeq + 1, max: 3 })).toEqual([['4', '6', '7'], 2]);
      expect(await read({ fromSeq: first.messages[2]!.streamSeq + 1, max: 10 })).toEqual([['4', '6', '7', '9', '10'], 0]);
      expect(await bus.readFrom(stream.name, `${ns}.rfnone.>`, { max: 2 })).toEqual({ messages: [], remaining: 0 });
      await expect(bus.readFrom(stream.name, `${ns}.rf.>`, { max: 0 })).rejects.toThrow(/positive integer/);
      await expect(bus.readFrom(`${stream.name}_MISSING`, `${ns}.rf.>`)).rejects.toThrow(/does not exist/);
    });

    it('readFrom hands each message with its subject and stream sequence, a wildcard anywhere in the filter', async () => {
      await bus.publish(`${ns}.rs.a.registered`, enc('a1'));
      await bus.publish(`${ns}.rs.b.promoted`, enc('b1'));
      await bus.publish(`${ns}.rs.a.registered`, enc('a2'));
      await bus.publish(`${ns}.rsx.a.registered`, enc('not matched by the filter'));
      await bus.publish(`${ns}.rs.a.promoted`, enc('a3'));
      const pairs = (ms: readonly { subject: string; data: Uint8Array }[]): string[][] => ms.map((m) => [m.subject.slice(ns.length + 1), dec(m.data)]);
      const all = (await bus.readFrom(stream.name, `${ns}.rs.>`)).messages;
      expect(pairs(all)).toEqual([
        ['rs.a.registered', 'a1'],
        ['rs.b.promoted', 'b1'],
        ['rs.a.registered', 'a2'],
        ['rs.a.promoted', 'a3'],
      ]);
      const seqs = all.map((m) => m.streamSeq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(all[3]?.streamSeq).toBe((await bus.lastMessage(stream.name, `${ns}.rs.a.promoted`))?.streamSeq);
      expect(pairs((await bus.readFrom(stream.name, `${ns}.rs.*.registered`)).messages)).toEqual([
        ['rs.a.registered', 'a1'],
        ['rs.a.registered', 'a2'],
      ]);
    });

    it('reports a durable consumer\'s lag: pending, handed out but unacknowledged, and its ack floor', async () => {
      const info = (): ReturnType<Bus['consumerInfo']> => bus.consumerInfo(stream.name, 'lag');
      const settled = async (want: { pending: number; ackPending: number; ackFloor?: number }): Promise<void> => {
        const deadline = performance.now() + 8_000;
        let last = await info();
        while (!(last?.pending === want.pending && last.ackPending === want.ackPending && (want.ackFloor === undefined || last.ackFloor === want.ackFloor))) {
          if (performance.now() > deadline) throw new Error(`consumer lag ${JSON.stringify(last)}, wanted ${JSON.stringify(want)}`);
          await sleep(10);
          last = await info();
        }
      };
      expect(await info()).toBeUndefined();
      await publishAll(`${ns}.lag.a`, range(0, 12));
      await bus.publish(`${ns}.lagx.a`, enc('not matched by the filter'));
      await consumeAll('lag', `${ns}.lag.>`, 12, 5);
      const lastSeq = (await bus.lastMessage(stream.name, `${ns}.lag.a`))?.streamSeq;
      await settled({ pending: 0, ackPending: 0, ackFloor: lastSeq });

      // Four more while nobody consumes: all pending.
      await publishAll(`${ns}.lag.b`, range(12, 16));
      await settled({ pending: 4, ackPending: 0 });
      // A batch in hand is handed out but not acknowledged until its handler is done.
      let release: () => void = () => {};
      const held = new Promise<void>((r) => (release = r));
      const r = record('lag', `${ns}.lag.>`, 3, async (_b, n) => {
        if (n === 1) await held;
      });
      await until(() => r.batches.length >= 1, 'the first batch in hand');
      const inHand = await info();
      expect((inHand?.pending ?? 0) + (inHand?.ackPending ?? 0)).toBe(4);
      expect(inHand?.ackPending).toBeGreaterThanOrEqual(3);
      expect(inHand?.ackFloor).toBe(lastSeq);
      release();
      await until(() => r.values().length >= 4, 'the rest');
      await settled({ pending: 0, ackPending: 0 });
      await r.consumption.stop();
      await expect(bus.consumerInfo(`${stream.name}_MISSING`, 'lag')).rejects.toThrow(/does not exist|not found/i);
    });

    it('acknowledges a batch with a deferred commit only once the commit is done, in batch order', async () => {
      await publishAll(`${ns}.defer.x`, range(0, 9));
      let open: () => void = () => {};
      const gate = new Promise<void>((r) => (open = r));
      const handed: string[] = [];
      const c = bus.consume({ stream: stream.name, durable: 'defer', filterSubject: `${ns}.defer.>`, batchSize: 3 }, (b) => {
        handed.push(...b.map((d) => dec(d.data)));
        // The first batch commits only when the gate opens; the others at once.
        return { committed: handed.length === 3 ? gate : Promise.resolve() };
      });
      await until(() => handed.length >= 3, 'the first batch');
      await sleep(100);
      // While the first batch's commit is pending, neither it nor anything after it is acknowledged.
      const held = await bus.consumerInfo(stream.name, 'defer');
      expect(held?.ackFloor).toBe(0);
      expect(held?.ackPending ?? 0).toBeGreaterThanOrEqual(3);
      open();
      await until(() => handed.length >= 9, 'all nine');
      await c.stop();
      expect(handed).toEqual(range(0, 9));
      // Everything was committed and acknowledged: a new consumption of the durable gets nothing old.
      await publishAll(`${ns}.defer.x`, ['9']);
      const after = await consumeAll('defer', `${ns}.defer.>`, 1);
      expect(after.flat().map((d) => [dec(d.data), d.redelivered])).toEqual([['9', false]]);
    });

    it('redelivers from a batch whose deferred commit failed, acknowledging nothing from there on', async () => {
      await publishAll(`${ns}.deferfail.x`, range(0, 6));
      const handed: Delivery[] = [];
      let failed = false;
      const c = bus.consume({ stream: stream.name, durable: 'deferfail', filterSubject: `${ns}.deferfail.>`, batchSize: 3 }, (b) => {
        handed.push(...b);
        if (!failed && b.some((d) => dec(d.data) === '0')) {
          failed = true;
          return { committed: Promise.reject(new Error('store down')) };
        }
        return { committed: Promise.resolve() };
      });
      // The failed batch comes back (marked redelivered) and everything after it follows in order.
      await until(() => handed.filter((d) => d.redelivered && dec(d.data) === '0').length >= 1 && handed.some((d) => dec(d.data) === '5' && d.streamSeq > 0), 'the failed batch again and the rest');
      await until(() => new Set(handed.map((d) => dec(d.data))).size >= 6, 'all six values');
      await sleep(50);
      await c.stop();
      const firstAgain = handed.findIndex((d, i) => i > 0 && dec(d.data) === '0');
      expect(firstAgain).toBeGreaterThan(0);
      expect(handed.slice(firstAgain).map((d) => dec(d.data)).slice(0, 3)).toEqual(['0', '1', '2']);
      expect(handed[firstAgain]?.redelivered).toBe(true);
      const rest = await consumeAll('deferfail', `${ns}.deferfail.>`, 0);
      expect(rest.flat()).toHaveLength(0);
    });

    it('keeps its place when restarted again and again on a batch that keeps failing', async () => {
      await publishAll(`${ns}.crash.x`, range(0, 5));
      await consumeAll('crash', `${ns}.crash.>`, 5);
      await publishAll(`${ns}.crash.x`, range(5, 7));
      // Each run fails on '5' and is stopped (a crash loop): nothing before '5' may come back.
      for (let run = 0; run < 3; run++) {
        let failedOnce = false;
        const failing = record('crash', `${ns}.crash.>`, 10, () => {
          failedOnce = true;
          throw new Error(`crash ${run}`);
        });
        await until(() => failedOnce, `run ${run} fails`);
        await failing.consumption.stop();
        expect(dec((failing.batches[0] as Delivery[])[0]?.data ?? new Uint8Array())).toBe('5');
      }
      const healthy = (await consumeAll('crash', `${ns}.crash.>`, 2)).flat();
      expect(healthy.map((d) => [dec(d.data), d.redelivered])).toEqual([
        ['5', true],
        ['6', expect.any(Boolean)],
      ]);
    });

    it('filters by wildcard subjects (* one token, > the rest)', async () => {
      await bus.publish(`${ns}.wild.a.x`, enc('ax'));
      await bus.publish(`${ns}.wild.b.x`, enc('bx'));
      await bus.publish(`${ns}.wild.a.y`, enc('ay'));
      await bus.publish(`${ns}.wild.a.x.deep`, enc('axd'));
      await bus.publish(`${ns}.wildx.a.x`, enc('other'));
      const star = await consumeAll('wild-star', `${ns}.wild.*.x`, 2);
      expect(star.flat().map((d) => dec(d.data))).toEqual(['ax', 'bx']);
      const tail = await consumeAll('wild-tail', `${ns}.wild.a.>`, 3);
      expect(tail.flat().map((d) => [d.subject, dec(d.data)])).toEqual([
        [`${ns}.wild.a.x`, 'ax'],
        [`${ns}.wild.a.y`, 'ay'],
        [`${ns}.wild.a.x.deep`, 'axd'],
      ]);
    });

    it('keeps the positions of two durables on one stream apart', async () => {
      await publishAll(`${ns}.two.x`, range(0, 5));
      expect((await consumeAll('two-a', `${ns}.two.>`, 5)).flat().map((d) => dec(d.data))).toEqual(range(0, 5));
      expect((await consumeAll('two-b', `${ns}.two.>`, 5)).flat().map((d) => dec(d.data))).toEqual(range(0, 5));
    });

    it('starts a deleted durable again from the beginning of the stream', async () => {
      await publishAll(`${ns}.del.x`, range(0, 3));
      await consumeAll('del', `${ns}.del.>`, 3);
      await bus.deleteConsumer(stream.name, 'del');
      await bus.deleteConsumer(stream.name, 'never-created');
      const again = (await consumeAll('del', `${ns}.del.>`, 3)).flat();
      expect(again.map((d) => dec(d.data))).toEqual(range(0, 3));
    });

    it('ends a consumption of a stream that does not exist with an error', async () => {
      const c = bus.consume({ stream: `${stream.name}_NOPE`, durable: 'nope', filterSubject: `${ns}nope.>` }, () => {});
      await expect(c.done).rejects.toThrow();
      await c.stop();
    });

    it('delivers core messages to every matching subscriber, and none after unsubscribe', async () => {
      const all: string[] = [];
      const one: string[] = [];
      const subAll = bus.subscribe(`${ns}core.>`, (subject, data) => all.push(`${subject}=${dec(data)}`));
      const subOne = bus.subscribe(`${ns}core.*`, (subject, data) => one.push(`${subject}=${dec(data)}`));
      await bus.flush();
      bus.emit(`${ns}core.a`, enc('1'));
      bus.emit(`${ns}other.a`, enc('2'));
      bus.emit(`${ns}core.b.c`, enc('3'));
      await bus.flush();
      await until(() => all.length >= 2 && one.length >= 1, 'core messages');
      subAll.unsubscribe();
      subOne.unsubscribe();
      await bus.flush();
      bus.emit(`${ns}core.a`, enc('4'));
      await bus.flush();
      await sleep(50);
      expect(all).toEqual([`${ns}core.a=1`, `${ns}core.b.c=3`]);
      expect(one).toEqual([`${ns}core.a=1`]);
    });

    it('answers requests through a responder, one reply each, and says when nobody serves a subject', async () => {
      const served = bus.serve(`${ns}ctl.*`, (data, subject) => enc(`${subject.slice(ns.length)}:${dec(data).toUpperCase()}`));
      await bus.flush();
      const replies = await Promise.all(['a', 'b', 'c'].map((x) => bus.request(`${ns}ctl.${x}`, enc(x), 2_000)));
      expect(replies.map(dec)).toEqual(['ctl.a:A', 'ctl.b:B', 'ctl.c:C']);
      served.unsubscribe();
      await bus.flush();
      const failure = await bus.request(`${ns}ctl.a`, enc('x'), 2_000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(NoResponderError);
    });

    it('times out a request whose responder never answers', async () => {
      const served = bus.serve(`${ns}slow`, () => new Promise<Uint8Array>(() => {}));
      await bus.flush();
      const failure = await bus.request(`${ns}slow`, enc('x'), 150).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(BusTimeoutError);
      served.unsubscribe();
    });

    it('provisions streams idempotently, keeping their messages, and deletes them', async () => {
      const extra = side('X');
      await bus.ensureStreams([extra]);
      await bus.publish(`${ns}x.a`, enc('kept'));
      await bus.ensureStreams([extra]);
      await bus.ensureStreams([extra, stream]);
      expect(await bus.countMessages(extra.name)).toBe(1);
      await bus.deleteStreams([extra.name]);
      await bus.deleteStreams([extra.name, `${stream.name}_NEVER`]);
      await expect(bus.publish(`${ns}x.a`, enc('gone'))).rejects.toThrow();
      await expect(bus.countMessages(extra.name)).rejects.toThrow();
    });

    it("tells its status listeners 'closed' on close, and refuses to publish after", async () => {
      const own = await makeBus();
      const closing = side('C');
      await own.ensureStreams([closing]);
      await own.publish(`${ns}c.a`, enc('before'));
      const statuses: BusStatus[] = [];
      own.onStatus((s) => statuses.push(s));
      await own.close();
      await until(() => statuses.some((s) => s.type === 'closed'), "status 'closed'");
      await expect(own.publish(`${ns}c.a`, enc('after'))).rejects.toThrow();
    });

    it('acknowledges 1,000 concurrent publishes, storing them in call order', async () => {
      const values = range(0, 1_000);
      const acks = await Promise.all(values.map((v) => bus.publish(`${ns}.burst.x`, enc(v), { msgId: `${ns}-burst-${v}` })));
      for (let i = 1; i < acks.length; i++) expect((acks[i] as PublishAck).seq).toBeGreaterThan((acks[i - 1] as PublishAck).seq);
      expect(acks.every((a) => a.stream === stream.name && !a.duplicate)).toBe(true);
      const again = await Promise.all(values.map((v) => bus.publish(`${ns}.burst.x`, enc(v), { msgId: `${ns}-burst-${v}` })));
      expect(again.every((a, i) => a.duplicate && a.seq === acks[i]?.seq)).toBe(true);
      expect(await bus.countMessages(stream.name, `${ns}.burst.>`)).toBe(1_000);
      expect((await consumeAll('burst', `${ns}.burst.>`, 1_000, 256)).flat().map((d) => dec(d.data))).toEqual(values);
    });

    it('never runs the handler for two batches at once', async () => {
      await Promise.all(range(0, 60).map((v) => bus.publish(`${ns}.serial.x`, enc(v))));
      let running = 0;
      let overlapped = false;
      const r = record('serial', `${ns}.serial.>`, 4, async () => {
        overlapped ||= ++running > 1;
        await sleep(1);
        running--;
      });
      await until(() => r.batches.flat().length >= 60, 'all sixty');
      await r.consumption.stop();
      expect(overlapped).toBe(false);
      expect(r.values()).toEqual(range(0, 60));
    });

    it('refuses a second consumption of a durable it is already consuming', async () => {
      const first = record('once', `${ns}.once.>`, 10);
      const second = bus.consume({ stream: stream.name, durable: 'once', filterSubject: `${ns}.once.>` }, () => {});
      await expect(second.done).rejects.toThrow();
      await first.consumption.stop();
      await expect(first.consumption.done).resolves.toBeUndefined();
    });

    it('stops its consumptions on close, after the batch in hand', async () => {
      const own = await makeBus();
      const closing = side('K');
      await own.ensureStreams([closing]);
      for (const v of range(0, 4)) await own.publish(`${ns}k.a`, enc(v));
      let release = (): void => {};
      const gate = new Promise<void>((r) => (release = r));
      const handled: string[] = [];
      const c = own.consume({ stream: closing.name, durable: 'k', filterSubject: `${ns}k.>`, batchSize: 2 }, async (b) => {
        await gate;
        handled.push(...b.map((d) => dec(d.data)));
      });
      await sleep(100);
      const closed = own.close();
      release();
      await closed;
      await expect(c.done).resolves.toBeUndefined();
      expect(handled).toEqual(['0', '1']);
    });
  });
}
