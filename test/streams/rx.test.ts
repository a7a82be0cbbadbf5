import { firstValueFrom, from, Subject, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Bus, BusStatus, ConsumerSpec } from '../../streams/bus.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { consumeBatches, fromConsumption, fromSubscription } from '../../streams/rx.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (d: Uint8Array): string => new TextDecoder().decode(d);
const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => String(from + i));
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function busWith(values: readonly string[]): Promise<Bus> {
  const bus = createMemoryBus();
  await bus.ensureStreams([{ name: 'S', subjects: ['s.>'], maxAgeMs: 0, duplicateWindowMs: 1_000, storage: 'memory' }]);
  for (const v of values) await bus.publish('s.x', enc(v));
  return bus;
}
const spec = (durable: string, batchSize = 3): ConsumerSpec => ({ stream: 'S', durable, filterSubject: 's.>', batchSize });

describe('rx helpers', () => {
  it('fromSubscription emits core messages and unsubscribes on teardown', async () => {
    const bus = createMemoryBus();
    const got: string[] = [];
    const sub = fromSubscription(bus, 'c.>').subscribe((m) => got.push(`${m.subject}=${dec(m.data)}`));
    bus.emit('c.a', enc('1'));
    bus.emit('d.a', enc('2'));
    await bus.flush();
    sub.unsubscribe();
    bus.emit('c.b', enc('3'));
    await bus.flush();
    expect(got).toEqual(['c.a=1']);
  });

  it('fromConsumption emits batches in order and acknowledges each once next() returned', async () => {
    const bus = await busWith(range(0, 7));
    const batches = await firstValueFrom(fromConsumption(bus, spec('a')).pipe(take(3), toArray()));
    expect(batches.map((b) => b.map((d) => dec(d.data)))).toEqual([range(0, 3), range(3, 6), ['6']]);
    await tick();
    // take(3) unsubscribed: the consumption stopped after acknowledging all three batches.
    await bus.publish('s.x', enc('7'));
    const next = await firstValueFrom(fromConsumption(bus, spec('a')));
    expect(next.map((d) => [dec(d.data), d.redelivered])).toEqual([['7', false]]);
    await bus.close();
  });

  it('fromConsumption errors when the stream does not exist and completes when the bus closes', async () => {
    const bus = await busWith([]);
    await expect(firstValueFrom(fromConsumption(bus, { ...spec('x'), stream: 'NOPE' }))).rejects.toThrow(/NOPE/);
    let completed = false;
    fromConsumption(bus, spec('y')).subscribe({ complete: () => (completed = true) });
    await tick();
    await bus.close();
    await tick();
    expect(completed).toBe(true);
  });

  it('consumeBatches acknowledges a batch only when its work completes, and redelivers it when the work fails', async () => {
    const bus = await busWith(range(0, 6));
    const statuses: BusStatus[] = [];
    bus.onStatus((s) => statuses.push(s));
    const gate = new Subject<string>();
    let attempt = 0;
    const out: string[] = [];
    const sub = consumeBatches(bus, spec('w'), (batch) => {
      attempt++;
      const values = batch.map((d) => dec(d.data));
      if (attempt === 1) return gate; // first batch: emits and completes when the test says so
      if (attempt === 2) throw new Error('work failed');
      return from(values.map((v) => `${v}${batch[0]?.redelivered === true ? 'r' : ''}`));
    }).subscribe((v) => out.push(v));
    await tick();
    gate.next('first');
    await tick();
    expect(attempt).toBe(1); // the next batch waits for this work to complete
    gate.complete();
    for (let i = 0; i < 200 && out.length < 4; i++) await new Promise((r) => setTimeout(r, 5));
    sub.unsubscribe();
    expect(out).toEqual(['first', '3r', '4r', '5r']);
    expect(statuses.some((s) => s.type === 'consumer-error' && s.error === 'work failed')).toBe(true);
    await bus.close();
  });
});
