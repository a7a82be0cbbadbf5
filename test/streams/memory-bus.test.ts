import { describe, expect, it } from 'vitest';
import type { BusStatus, Delivery, StreamSpec } from '../../streams/bus.js';
import { subjectMatches } from '../../streams/bus.js';
import { BusClosedError, BusError, StreamNotFoundError } from '../../streams/errors.js';
import { createMemoryBus, patternsOverlap } from '../../streams/memory-bus.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (d: Uint8Array): string => new TextDecoder().decode(d);
const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => String(from + i));
const spec = (name: string, subjects: string[], duplicateWindowMs = 1_000): StreamSpec => ({ name, subjects, maxAgeMs: 0, duplicateWindowMs, storage: 'memory' });

const until = async (cond: () => boolean, what: string, ms = 5_000): Promise<void> => {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
};

describe('memory bus', () => {
  it('deduplicates a msgId forever when it has no clock', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([spec('S', ['s.>'], 1)]);
    const a = await bus.publish('s.a', enc('1'), { msgId: 'm' });
    const b = await bus.publish('s.a', enc('1'), { msgId: 'm' });
    expect(b).toEqual({ stream: 'S', seq: a.seq, duplicate: true });
    expect(await bus.countMessages('S')).toBe(1);
  });

  it('measures the duplicate window on the clock it is given (event time in a backtest)', async () => {
    let t = 1_000_000;
    const bus = createMemoryBus({ now: () => t });
    await bus.ensureStreams([spec('S', ['s.>'], 60_000)]);
    const first = await bus.publish('s.a', enc('1'), { msgId: 'm' });
    t += 59_999;
    expect(await bus.publish('s.a', enc('1'), { msgId: 'm' })).toMatchObject({ duplicate: true, seq: first.seq });
    t += 1;
    const later = await bus.publish('s.a', enc('1'), { msgId: 'm' });
    expect(later.duplicate).toBe(false);
    expect(later.seq).toBeGreaterThan(first.seq);
    // The window restarts from the message stored last.
    t += 30_000;
    expect((await bus.publish('s.a', enc('1'), { msgId: 'm' })).duplicate).toBe(true);
    expect(await bus.countMessages('S')).toBe(2);
  });

  it('forgets expired ids while many distinct ones stream through', async () => {
    let t = 0;
    const bus = createMemoryBus({ now: () => t });
    await bus.ensureStreams([spec('S', ['s.>'], 10)]);
    for (let i = 0; i < 5_000; i++) {
      t = i;
      await bus.publish('s.a', enc(String(i)), { msgId: `id-${i}` });
    }
    t = 5_000;
    expect((await bus.publish('s.a', enc('x'), { msgId: 'id-4995' })).duplicate).toBe(true);
    expect((await bus.publish('s.a', enc('x'), { msgId: 'id-10' })).duplicate).toBe(false);
  });

  it('drops a whole window at once when the clock jumps past it, and deduplicates exactly as before around the jump', async () => {
    let t = 0;
    const bus = createMemoryBus({ now: () => t });
    await bus.ensureStreams([spec('S', ['s.>'], 100)]);
    for (let i = 0; i < 50; i++) await bus.publish('s.a', enc(String(i)), { msgId: `a-${i}` });
    t = 99; // still inside the window of everything stored at 0
    expect((await bus.publish('s.a', enc('x'), { msgId: 'a-7' })).duplicate).toBe(true);
    t = 3_600_000; // an hour on: the whole log has left the window
    const again = await bus.publish('s.a', enc('x'), { msgId: 'a-7' });
    expect(again.duplicate).toBe(false);
    expect(await bus.publish('s.a', enc('y'), { msgId: 'a-7' })).toMatchObject({ duplicate: true, seq: again.seq });
    expect((await bus.publish('s.a', enc('z'), { msgId: 'a-8' })).duplicate).toBe(false);
    // The clock stepping back does not drop what is still inside the window of a later entry.
    t = 3_600_050;
    await bus.publish('s.a', enc('late'), { msgId: 'late' });
    t = 3_600_010;
    await bus.publish('s.a', enc('earlier'), { msgId: 'earlier' });
    t = 3_600_120; // 'earlier' has left its window, 'late' (stored at 3,600,050) has not
    expect((await bus.publish('s.a', enc('earlier'), { msgId: 'earlier' })).duplicate).toBe(false);
    expect((await bus.publish('s.a', enc('late'), { msgId: 'late' })).duplicate).toBe(true);
    await bus.close();
  });

  it('refuses streams whose subjects overlap, as JetStream does', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([spec('A', ['x.md.>'])]);
    await expect(bus.ensureStreams([spec('B', ['x.*.btc'])])).rejects.toBeInstanceOf(BusError);
    await bus.ensureStreams([spec('C', ['x.pred.>']), spec('A', ['x.md.>'])]);
    expect(patternsOverlap('a.>', 'a.b.c')).toBe(true);
    expect(patternsOverlap('a.>', 'a')).toBe(false);
    expect(patternsOverlap('a.*.c', 'a.b.*')).toBe(true);
    expect(patternsOverlap('a.*', 'a.b.c')).toBe(false);
    expect(patternsOverlap('a.b', 'a.c')).toBe(false);
    expect(patternsOverlap('*.b.>', 'a.*.c')).toBe(true);
  });

  it('delivers 200,000 messages in order without a timer per message', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([spec('S', ['s.>'])]);
    const n = 200_000;
    const payload = enc('x');
    for (let i = 0; i < n; i++) void bus.publish(i % 2 === 0 ? 's.a' : 's.b', payload);
    let count = 0;
    let lastSeq = 0;
    let ordered = true;
    // Timers and immediates armed while it delivers (this test's own polling included): one per
    // message would be 200,000.
    const realSetTimeout = globalThis.setTimeout;
    const realSetImmediate = globalThis.setImmediate;
    let timers = 0;
    globalThis.setTimeout = ((...a: Parameters<typeof setTimeout>) => {
      timers++;
      return realSetTimeout(...a);
    }) as typeof setTimeout;
    globalThis.setImmediate = ((...a: Parameters<typeof setImmediate>) => {
      timers++;
      return realSetImmediate(...a);
    }) as typeof setImmediate;
    try {
      const c = bus.consume({ stream: 'S', durable: 'fast', filterSubject: 's.>', batchSize: 512 }, (b) => {
        for (const d of b) {
          if (d.streamSeq <= lastSeq) ordered = false;
          lastSeq = d.streamSeq;
        }
        count += b.length;
      });
      await until(() => count >= n, 'all messages', 20_000);
      await c.stop();
    } finally {
      globalThis.setTimeout = realSetTimeout;
      globalThis.setImmediate = realSetImmediate;
    }
    expect(count).toBe(n);
    expect(ordered).toBe(true);
    expect(timers).toBeLessThan(n / 100);
  });

  it('ends a consumption with StreamNotFoundError when its stream is deleted', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([spec('S', ['s.>'])]);
    const c = bus.consume({ stream: 'S', durable: 'd', filterSubject: 's.>' }, () => {});
    await bus.deleteStreams(['S']);
    await expect(c.done).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('stops its consumptions on close (after the batch in hand) and refuses new work', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([spec('S', ['s.>'])]);
    for (const v of range(0, 3)) await bus.publish('s.a', enc(v));
    let release = (): void => {};
    const gate = new Promise<void>((r) => (release = r));
    const handled: string[] = [];
    const c = bus.consume({ stream: 'S', durable: 'd', filterSubject: 's.>', batchSize: 2 }, async (b) => {
      await gate;
      for (const d of b) handled.push(dec(d.data));
    });
    await new Promise((r) => setImmediate(r));
    const closing = bus.close();
    release();
    await closing;
    await expect(c.done).resolves.toBeUndefined();
    expect(handled).toEqual(['0', '1']);
    await expect(bus.publish('s.a', enc('x'))).rejects.toBeInstanceOf(BusClosedError);
    await expect(bus.consume({ stream: 'S', durable: 'e', filterSubject: 's.>' }, () => {}).done).rejects.toBeInstanceOf(BusClosedError);
  });

  it('backs off between retries of a failing batch, and a stop cuts the wait short', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([spec('S', ['s.>'])]);
    await bus.publish('s.a', enc('poison'));
    const statuses: BusStatus[] = [];
    bus.onStatus((s) => statuses.push(s));
    const tries: Delivery[][] = [];
    const c = bus.consume({ stream: 'S', durable: 'd', filterSubject: 's.>' }, (b) => {
      tries.push([...b]);
      throw new Error('always');
    });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await c.stop();
    expect(performance.now() - t0).toBeLessThan(100);
    expect(tries.length).toBeGreaterThan(2);
    expect(tries.length).toBeLessThan(30); // backs off; not a hot loop
    expect(tries.slice(1).every((b) => b[0]?.redelivered === true)).toBe(true);
    expect(statuses.filter((s) => s.type === 'consumer-error')).toHaveLength(tries.length);
  });

  it('delivers core messages asynchronously, never inside emit()', async () => {
    const bus = createMemoryBus();
    const got: string[] = [];
    bus.subscribe('c.*', (subject) => got.push(subject));
    bus.emit('c.a', enc('1'));
    expect(got).toEqual([]);
    await bus.flush();
    expect(got).toEqual(['c.a']);
  });

  it('hands a message published into a stream to core subscribers of its subject too, as NATS does (duplicates included)', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([spec('S', ['s.>'])]);
    const got: string[] = [];
    bus.subscribe('s.core.*', (subject, data) => got.push(`${subject}=${dec(data)}`));
    const first = bus.publish('s.core.a', enc('1'), { msgId: 'm1' });
    expect(got).toEqual([]); // never inside the publisher's frame
    await first;
    await bus.publish('s.core.a', enc('1'), { msgId: 'm1' });
    await bus.publishValue('s.core.b', { v: 2 });
    await bus.publish('s.other.a', enc('3'));
    await bus.flush();
    expect(got).toEqual(['s.core.a=1', 's.core.a=1', 's.core.b={"v":2}']);
    expect(await bus.countMessages('S')).toBe(3);
  });

  it('hands each durable only the messages of its filter, in stream order, whatever else the stream holds', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([spec('S', ['s.>'])]);
    const subjects = ['s.a.trade', 's.b.trade', 's.a.bar.5m', 's.c.trade', 's.b.bar.1m'];
    for (let i = 0; i < 300; i++) await bus.publish(subjects[i % subjects.length] as string, enc(String(i)));
    const got = new Map<string, Array<[string, number]>>();
    const filters = { a: 's.a.>', bars: 's.*.bar.*', all: 's.>', none: 's.z.>' };
    const cs = Object.entries(filters).map(([name, filterSubject]) => {
      got.set(name, []);
      return bus.consume({ stream: 'S', durable: name, filterSubject, batchSize: 7 }, (b) => void got.get(name)?.push(...b.map((d): [string, number] => [d.subject, d.streamSeq])));
    });
    // Published after the consumptions started: the indexes take them too.
    for (let i = 300; i < 400; i++) await bus.publish(subjects[i % subjects.length] as string, enc(String(i)));
    await until(() => got.get('all')?.length === 400, 'all');
    await until(() => got.get('a')?.length === 160 && got.get('bars')?.length === 160, 'a and bars');
    for (const [name, filterSubject] of Object.entries(filters)) {
      const expected = Array.from({ length: 400 }, (_, i): [string, number] => [subjects[i % subjects.length] as string, i + 1]).filter(([subject]) => subjectMatches(filterSubject, subject));
      expect(got.get(name), name).toEqual(expected);
      expect(await bus.consumerInfo('S', name)).toEqual({ pending: 0, ackPending: 0, ackFloor: expected.at(-1)?.[1] ?? 0 });
    }
    await Promise.all(cs.map((c) => c.stop()));
    // Consumed again with another filter, a durable goes on from its ack floor through the new one.
    await bus.publish('s.c.trade', enc('x'));
    await bus.publish('s.a.trade', enc('y'));
    const later: number[] = [];
    const c = bus.consume({ stream: 'S', durable: 'a', filterSubject: 's.c.>' }, (b) => void later.push(...b.map((d) => d.streamSeq)));
    await until(() => later.length > 0, 'the new filter');
    await c.stop();
    expect(later).toEqual([399, 401]); // after its floor (398, the last s.a.* message): s.c.trade at 399, then the new one
  });

  it('drops what every durable acknowledged from a trimmed stream; a durable created afterwards starts at what is left', async () => {
    const bus = createMemoryBus({ trimAcked: ['S'] });
    await bus.ensureStreams([spec('S', ['s.>'])]);
    for (let i = 0; i < 10_000; i++) bus.publishValueNow(i % 2 === 0 ? 's.a' : 's.b', { i });
    let a = 0;
    let b = 0;
    const ca = bus.consume({ stream: 'S', durable: 'a', filterSubject: 's.a', batchSize: 1_000 }, (batch) => void (a += batch.length));
    const cb = bus.consume({ stream: 'S', durable: 'b', filterSubject: 's.b', batchSize: 1_000 }, (batch) => void (b += batch.length));
    await until(() => a === 5_000, 'a');
    // b has acknowledged nothing yet (it may have started): nothing below its floor is dropped.
    await until(() => b === 5_000, 'b');
    await ca.stop();
    await cb.stop();
    expect(await bus.countMessages('S')).toBeLessThan(10_000);
    const left = await bus.countMessages('S');
    const late: number[] = [];
    const c = bus.consume({ stream: 'S', durable: 'late', filterSubject: 's.>', batchSize: 10_000 }, (batch) => void late.push(...batch.map((d) => d.streamSeq)));
    await until(() => late.length === left, 'what is left');
    await c.stop();
    expect(late[0]).toBe(10_000 - left + 1);
    expect(late.at(-1)).toBe(10_000);
    expect((await bus.lastMessage('S', 's.a'))?.streamSeq).toBe(9_999);
  });

  it('keeps a trimmed stream whole up to the slowest durable', async () => {
    const bus = createMemoryBus({ trimAcked: ['S'] });
    await bus.ensureStreams([spec('S', ['s.>'])]);
    for (let i = 0; i < 10_000; i++) bus.publishValueNow('s.a', { i });
    let a = 0;
    const ca = bus.consume({ stream: 'S', durable: 'a', filterSubject: 's.a', batchSize: 1_000 }, (batch) => void (a += batch.length));
    // A durable that has acknowledged nothing (its filter matches nothing yet).
    const cb = bus.consume({ stream: 'S', durable: 'b', filterSubject: 's.b', batchSize: 1_000 }, () => {});
    await until(() => a === 10_000, 'a');
    await ca.stop();
    await cb.stop();
    expect(await bus.countMessages('S')).toBe(10_000);
  });

  it('keeps nothing of a discardUnread stream while no durable reads it, and still sequences, deduplicates and delivers it', async () => {
    const bus = createMemoryBus({ discardUnread: ['D'] });
    await bus.ensureStreams([spec('D', ['d.>']), spec('S', ['s.>'])]);
    const heard: string[] = [];
    bus.subscribe('d.>', (_, d) => heard.push(dec(d)));
    expect(bus.publishValueNow('d.a', { v: 1 }, 'm1')).toEqual({ stream: 'D', seq: 1, duplicate: false });
    expect(bus.publishValueNow('d.a', { v: 1 }, 'm1')).toEqual({ stream: 'D', seq: 1, duplicate: true });
    expect(await bus.publish('d.b', enc('2'), { msgId: 'm2' })).toEqual({ stream: 'D', seq: 2, duplicate: false });
    await bus.publish('s.a', enc('kept'));
    expect(await bus.countMessages('D')).toBe(0);
    expect(await bus.countMessages('S')).toBe(1);
    await until(() => heard.length === 3, 'core deliveries');
    expect(heard).toEqual(['{"v":1}', '{"v":1}', '2']);
    // A durable created later reads what is published from then on.
    const read: string[] = [];
    const c = bus.consume({ stream: 'D', durable: 'late', filterSubject: 'd.>', batchSize: 10 }, (batch) => {
      for (const d of batch) read.push(`${d.streamSeq}:${dec(d.data)}`);
    });
    await bus.publish('d.c', enc('3'), { msgId: 'm3' });
    await until(() => read.length === 1, 'the late durable');
    expect(read).toEqual(['3:3']);
    expect(await bus.countMessages('D')).toBe(1);
    await c.stop();
    await bus.close();
  });

  it('publishValueNow stores at once and throws what publishValue rejects with', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([spec('S', ['s.>'])]);
    expect(bus.publishValueNow('s.a', { v: 1 }, 'm')).toEqual({ stream: 'S', seq: 1, duplicate: false });
    expect(bus.publishValueNow('s.a', { v: 1 }, 'm')).toEqual({ stream: 'S', seq: 1, duplicate: true });
    expect(new TextDecoder().decode((await bus.lastMessage('S', 's.a'))?.data)).toBe('{"v":1}');
    expect(() => bus.publishValueNow('t.a', { v: 1 })).toThrow(BusError);
    await bus.close();
    expect(() => bus.publishValueNow('s.a', { v: 1 })).toThrow(BusClosedError);
  });

  it('hands later messages of a subject to a subscriber that came after the subject was first published', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([spec('S', ['s.>'])]);
    const first: string[] = [];
    const second: string[] = [];
    const one = bus.subscribe('s.*', (_, d) => first.push(dec(d)));
    await bus.publish('s.a', enc('1'));
    bus.subscribe('s.a', (_, d) => second.push(dec(d)));
    await bus.publish('s.a', enc('2'));
    one.unsubscribe();
    await bus.publish('s.a', enc('3'));
    await bus.flush();
    expect(first).toEqual(['1', '2']);
    expect(second).toEqual(['2', '3']);
  });
});
