import { describe, expect, it } from 'vitest';
import { ownOutputs, restoredPublished } from '../../cli/restored-published.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryBus } from '../../streams/memory-bus.js';

const SIGNALS = { name: 'SIGNALS', subjects: ['sx.exec.>'], maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' as const };
const output = (id: string, ts: number): Uint8Array => new TextEncoder().encode(JSON.stringify({ id, ts }));

async function signals(ids: readonly string[]) {
  const bus = createMemoryBus();
  await bus.ensureStreams([SIGNALS]);
  for (const [i, id] of ids.entries()) await bus.publish('sx.exec.order.s.binance.BTC', output(id, 1000 + i), { msgId: id });
  return bus;
}

function warnings(): { log: Logger; said: string[] } {
  const said: string[] = [];
  const log: Logger = { ...silentLogger, warn: (_o: unknown, msg?: string) => void said.push(msg ?? ''), child: () => log };
  return { log, said };
}

describe('restoredPublished', () => {
  it('reads the ids stored after the mark', async () => {
    const bus = await signals(['o:1', 'o:2', 'o:3']);
    const r = await restoredPublished(bus, 'SIGNALS', { published: ['SIGNALS', 1] }, silentLogger);
    expect(r).toMatchObject({ restored: true, from: 1, last: 3, newest: 1002 });
    expect([...r.ids]).toEqual(['o:2', 'o:3']);
  });

  /**
   * SIGNALS deleted and created again after the write (its sequences start again at 1): the mark,
   * 5, is past the new stream's end, 2. Read from there it found nothing and said nothing, and each
   * later write stored 5 again, past what this run stored at 3..5: a second restart missed those.
   */
  it('a mark past the end of a rebuilt stream is said and taken as none: the mark becomes the stream end', async () => {
    const bus = await signals(['o:a', 'o:b']);
    const { log, said } = warnings();
    const r = await restoredPublished(bus, 'SIGNALS', { published: ['SIGNALS', 5] }, log);
    expect(r).toMatchObject({ restored: false, from: 2, last: 2 });
    expect(r.ids.size).toBe(0);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/outputs mark \(sequence 5\) is past the end of stream SIGNALS \(sequence 2\): the stream was deleted and created again/);
  });

  it('a mark at the stream end is no rebuild: nothing to read, nothing said', async () => {
    const bus = await signals(['o:a', 'o:b']);
    const { log, said } = warnings();
    const r = await restoredPublished(bus, 'SIGNALS', { published: ['SIGNALS', 2] }, log);
    expect(r).toMatchObject({ restored: true, from: 2, last: 2 });
    expect(said).toEqual([]);
  });

  /**
   * A live desk's own fill (paper venue off), stored after the mark on its clock, far past the bars:
   * taken for this path's newest output, it held the restart's recovery, and the operator's
   * commands waiting for it, until the bars reached it (5 s, then a warning). Only this path's own
   * outputs count; with the paper venue on, fills are its own.
   */
  it("takes how far to decide again from this path's own outputs only, not a live desk's fills or another strategy's", async () => {
    const bus = await signals(['o:1']);
    await bus.publish('sx.exec.order.dirmlp.binance.BTC', output('o:2', 2_000), { msgId: 'o:2' });
    await bus.publish('sx.exec.order.other.binance.BTC', output('o:x', 50_000), { msgId: 'o:x' });
    await bus.publish('sx.exec.fill.binance.BTC', output('f:desk', 99_999), { msgId: 'f:desk' });
    const live = await restoredPublished(bus, 'SIGNALS', { published: ['SIGNALS', 1] }, silentLogger, ownOutputs('sx', 'dirmlp', false));
    expect(live.newest).toBe(2_000);
    expect([...live.ids]).toEqual(['o:2', 'o:x', 'f:desk']);
    const paper = await restoredPublished(bus, 'SIGNALS', { published: ['SIGNALS', 1] }, silentLogger, ownOutputs('sx', 'dirmlp', true));
    expect(paper.newest).toBe(99_999);
  });
});
