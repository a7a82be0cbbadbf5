import { describe, expect, it } from 'vitest';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { createEventSequencer } from '../../actors/event-sequencer.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';

const bar = (symbol: string, ts: number): Bar => ({ type: 'md.bar', v: 1, id: barId('binance', symbol, '1h', ts), venue: 'binance', symbol, tf: '1h', open: 1, high: 1, low: 1, close: 1, volume: 1, ts });
const ev = (asset: string, seq: number, ts: number): AssetEvent => ({ asset, streamSeq: seq, md: bar(asset, ts), vector: undefined });
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('event sequencer', () => {
  it('releases events of several assets in event-time order whatever the push interleaving', async () => {
    const runs: string[][] = [];
    for (const order of [
      ['A', 'B', 'A', 'B'],
      ['B', 'B', 'A', 'A'],
      ['A', 'A', 'B', 'B'],
    ]) {
      const seen: string[] = [];
      const seq = createEventSequencer({ assets: ['A', 'B'], onRelease: async (es) => void seen.push(...es.map((e) => `${e.asset}@${e.md.ts}`)) });
      const batches: Record<string, AssetEvent[][]> = {
        A: [[ev('A', 1, 10), ev('A', 2, 30)], [ev('A', 3, 50)]],
        B: [[ev('B', 1, 20), ev('B', 2, 30)], [ev('B', 3, 40), ev('B', 4, 60)]],
      };
      const pending: Promise<void>[] = [];
      for (const asset of order) pending.push(seq.push(asset, (batches[asset] as AssetEvent[][]).shift() as AssetEvent[]));
      await tick();
      await seq.flush();
      await Promise.all(pending);
      runs.push(seen);
    }
    expect(runs[0]).toEqual(['A@10', 'B@20', 'A@30', 'B@30', 'B@40', 'A@50', 'B@60']);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('holds an asset back until the others reach its time, and lets an idle asset stop holding them', async () => {
    const seen: number[] = [];
    const seq = createEventSequencer({ assets: ['A', 'B'], onRelease: async (es) => void seen.push(...es.map((e) => e.md.ts)) });
    let aDone = false;
    const a = seq.push('A', [ev('A', 1, 10), ev('A', 2, 20)]).then(() => (aDone = true));
    await tick();
    expect(seen).toEqual([]);
    expect(aDone).toBe(false);
    await seq.push('B', [ev('B', 1, 15)]);
    expect(seen).toEqual([10, 15]);
    seq.idle('B');
    await a;
    expect(seen).toEqual([10, 15, 20]);
    expect(seq.late()).toBe(0);
    // B comes back behind what was released: handled, and counted late.
    await seq.push('B', [ev('B', 2, 18)]);
    await seq.flush();
    expect(seen).toEqual([10, 15, 20, 18]);
    expect(seq.late()).toBe(1);
  });

  it('skips events it already took (redelivery after an actor restart)', async () => {
    const seen: string[] = [];
    const seq = createEventSequencer({ assets: ['A'], onRelease: async (es) => void seen.push(...es.map((e) => e.md.id)) });
    await seq.push('A', [ev('A', 1, 10), ev('A', 2, 20)]);
    await seq.push('A', [ev('A', 2, 20), ev('A', 3, 30)]);
    await seq.flush();
    expect(seen).toEqual([bar('A', 10).id, bar('A', 20).id, bar('A', 30).id]);
  });

  it('fails the pushes whose events failed, and goes on with later ones', async () => {
    let fail = true;
    const seen: number[] = [];
    const seq = createEventSequencer({
      assets: ['A'],
      onRelease: async (es) => {
        if (fail) throw new Error('publish refused');
        seen.push(...es.map((e) => e.md.ts));
      },
    });
    await expect(seq.push('A', [ev('A', 1, 10)])).rejects.toThrow('publish refused');
    fail = false;
    await seq.push('A', [ev('A', 2, 20)]);
    expect(seen).toEqual([20]);
  });

  it('after close, releases what it holds and every later push at once', async () => {
    const seen: string[] = [];
    const seq = createEventSequencer({ assets: ['A', 'B'], onRelease: async (es) => void seen.push(...es.map((e) => `${e.asset}@${e.md.ts}`)) });
    const a = seq.push('A', [ev('A', 1, 10)]);
    await tick();
    expect(seen).toEqual([]); // B has said nothing yet
    await seq.close();
    await a;
    await seq.push('A', [ev('A', 2, 20)]);
    expect(seen).toEqual(['A@10', 'A@20']);
  });
});
