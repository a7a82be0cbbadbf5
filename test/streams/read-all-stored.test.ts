import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { readAllStored } from '../support/read-all-stored.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (d: Uint8Array): string => new TextDecoder().decode(d);

describe('readAllStored (tests read a stream record page by page with readFrom)', () => {
  it('reads every message a filter matches, in stream order, across pages, and nothing else', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([{ name: 'S', subjects: ['s.>'], maxAgeMs: 0, duplicateWindowMs: 1_000, storage: 'memory' }]);
    for (let i = 0; i < 25; i++) await bus.publish(i % 4 === 3 ? `s.other.${i}` : `s.rec.${i}`, enc(String(i)));
    const want = Array.from({ length: 25 }, (_, i) => i).filter((i) => i % 4 !== 3).map(String);
    for (const pageSize of [undefined, 1, 4, 19]) expect((await readAllStored(bus, 'S', 's.rec.>', pageSize)).map((m) => dec(m.data))).toEqual(want);
    expect(await readAllStored(bus, 'S', 's.none.>')).toEqual([]);
    await expect(readAllStored(bus, 'MISSING', 's.>')).rejects.toThrow(/does not exist/);
    await bus.close();
  });
});
