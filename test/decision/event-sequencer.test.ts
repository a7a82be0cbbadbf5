import { describe, expect, it } from 'vitest';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { createEventSequencer, DecisionPathFailedError } from '../../actors/event-sequencer.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';
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

  it('lets the others pass up to where a silent asset is known to begin, and no further', async () => {
    const seen: string[] = [];
    const seq = createEventSequencer({ assets: ['A', 'B'], onRelease: async (es) => void seen.push(...es.map((e) => `${e.asset}@${e.md.ts}`)) });
    const b = seq.push('B', [ev('B', 1, 10), ev('B', 2, 20), ev('B', 3, 25), ev('B', 4, 30)]);
    await tick();
    expect(seen).toEqual([]); // A has said nothing: it might begin before 10
    seq.notBefore('A', 25);
    await tick();
    expect(seen).toEqual(['B@10', 'B@20']); // B@25 waits: A, first by name, may come at 25
    await seq.push('A', [ev('A', 1, 25)]);
    expect(seen).toEqual(['B@10', 'B@20', 'A@25', 'B@25']);
    seq.notBefore('A', 5); // never lowers what A has reached
    seq.notBefore('A', 26); // nor lets B@30 pass on a promise short of it
    await tick();
    expect(seen).toEqual(['B@10', 'B@20', 'A@25', 'B@25']);
    seq.idle('A');
    await b;
    expect(seen).toEqual(['B@10', 'B@20', 'A@25', 'B@25', 'B@30']);
    expect(seq.late()).toBe(0);
  });

  it('skips events it already took (redelivery after an actor restart)', async () => {
    const seen: string[] = [];
    const seq = createEventSequencer({ assets: ['A'], onRelease: async (es) => void seen.push(...es.map((e) => e.md.id)) });
    await seq.push('A', [ev('A', 1, 10), ev('A', 2, 20)]);
    await seq.push('A', [ev('A', 2, 20), ev('A', 3, 30)]);
    await seq.flush();
    expect(seen).toEqual([bar('A', 10).id, bar('A', 20).id, bar('A', 30).id]);
  });

  it('stops at a release that throws: its pushes, what it holds and every later push are refused, redeliveries too', async () => {
    let fail = true;
    const seen: number[] = [];
    const seq = createEventSequencer({
      assets: ['A', 'B'],
      onRelease: async (es) => {
        if (fail) throw new Error('execution policy refused');
        seen.push(...es.map((e) => e.md.ts));
      },
    });
    const held = seq.push('B', [ev('B', 1, 30)]); // waits for A to reach 30
    const first = seq.push('A', [ev('A', 1, 10)]);
    await expect(first).rejects.toThrow(DecisionPathFailedError);
    await expect(first).rejects.toThrow('execution policy refused');
    await expect(held).rejects.toThrow(DecisionPathFailedError);
    expect(seq.failure()?.message).toMatch(/decision path failed: execution policy refused; restart the engine/);
    await expect(seq.failed()).resolves.toBe(seq.failure());
    fail = false;
    // The redelivered event (an asset actor restarted) is refused, not skipped as already handed over.
    await expect(seq.push('A', [ev('A', 1, 10)])).rejects.toBe(seq.failure());
    await expect(seq.push('A', [ev('A', 2, 20)])).rejects.toBe(seq.failure());
    await expect(seq.flush()).rejects.toBe(seq.failure());
    expect(seen).toEqual([]);
  });

  it('stops when a decided release is not stored: its pushes and later ones fail, even ones decided meanwhile', async () => {
    const stores: { resolve: () => void; reject: (e: unknown) => void }[] = [];
    const seen: number[] = [];
    const seq = createEventSequencer({
      assets: ['A'],
      onRelease: async (es) => {
        seen.push(...es.map((e) => e.md.ts));
        return { settled: new Promise<void>((resolve, reject) => stores.push({ resolve, reject })) };
      },
    });
    const first = seq.push('A', [ev('A', 1, 10)]);
    await tick();
    const second = seq.push('A', [ev('A', 2, 20)]); // decided while the first one's outputs are stored
    await tick();
    expect(seen).toEqual([10, 20]);
    expect(stores).toHaveLength(2);
    stores[0]?.reject(new Error('publish timed out'));
    stores[1]?.resolve(); // stored, but after a failure: not counted as handled
    await expect(first).rejects.toThrow(/decision path failed: publish timed out/);
    await expect(second).rejects.toBe(seq.failure());
    await expect(seq.push('A', [ev('A', 3, 30)])).rejects.toBe(seq.failure());
    expect(seen).toEqual([10, 20]);
  });

  it('fails a later release whose outputs were stored first when an earlier one\'s were not', async () => {
    const stores: { resolve: () => void; reject: (e: unknown) => void }[] = [];
    const seq = createEventSequencer({
      assets: ['A'],
      onRelease: async () => ({ settled: new Promise<void>((resolve, reject) => stores.push({ resolve, reject })) }),
    });
    const first = seq.push('A', [ev('A', 1, 10)]);
    await tick();
    const second = seq.push('A', [ev('A', 2, 20)]);
    await tick();
    expect(stores).toHaveLength(2);
    let secondDone = false;
    second.then(() => (secondDone = true), () => (secondDone = true));
    stores[1]?.resolve(); // the later release's publications are acknowledged first…
    await tick();
    expect(secondDone).toBe(false); // …but it waits for the earlier one
    stores[0]?.reject(new Error('publish timed out'));
    await expect(first).rejects.toThrow(/publish timed out/);
    await expect(second).rejects.toBe(seq.failure());
  });

  it('stops when told from outside (a risk write covering handed-back releases failed): what it holds, what is being stored and later pushes are refused', async () => {
    const stores: { resolve: () => void }[] = [];
    const seen: number[] = [];
    const seq = createEventSequencer({
      assets: ['A', 'B'],
      onRelease: async (es) => {
        seen.push(...es.map((e) => e.md.ts));
        return { settled: new Promise<void>((resolve) => stores.push({ resolve })) };
      },
    });
    const decided = seq.push('A', [ev('A', 1, 10)]);
    seq.idle('B');
    await tick();
    expect(seen).toEqual([10]);
    const held = seq.push('B', [ev('B', 1, 30)]); // waits for A to reach 30
    await tick();
    expect(seen).toEqual([10]);
    const cause = new Error('save risk book: permission denied');
    const f = seq.fail(cause);
    expect(f).toBeInstanceOf(DecisionPathFailedError);
    expect(f.cause).toBe(cause);
    expect(seq.failure()).toBe(f);
    await expect(seq.failed()).resolves.toBe(f);
    await expect(held).rejects.toBe(f);
    stores[0]?.resolve(); // its outputs stored after the failure: not counted as handled
    await expect(decided).rejects.toBe(f);
    await expect(seq.push('A', [ev('A', 3, 50)])).rejects.toBe(f);
    expect(seq.fail(new Error('later'))).toBe(f); // the first failure stays
    await tick();
    expect(seen).toEqual([10]);
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

  it('releases what a per-event merge releases, whatever the batches, ties, back-steps, redeliveries and idle marks', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = mulberry32(seed);
      const assets = ['D', 'A', 'C', 'B'];
      // The merge the sequencer must reproduce: per event, the lowest head at or before the
      // watermark, ties to the asset first by name; a lane's events in its own order.
      const ref = new Map(assets.map((a) => [a, { queue: [] as AssetEvent[], lastTs: Number.NEGATIVE_INFINITY, idle: false, lastSeq: 0 }]));
      const names = [...assets].sort();
      const refTake = (upTo: number): string[] => {
        const out: string[] = [];
        for (;;) {
          let best: string | undefined;
          for (const n of names) {
            const h = ref.get(n)?.queue[0];
            if (h === undefined || h.md.ts > upTo) continue;
            if (best === undefined || h.md.ts < (ref.get(best)?.queue[0] as AssetEvent).md.ts) best = n;
          }
          if (best === undefined) return out;
          const e = ref.get(best)?.queue.shift() as AssetEvent;
          out.push(`${e.asset}#${e.streamSeq}@${e.md.ts}`);
        }
      };
      const refWatermark = (): number => Math.min(...[...ref.values()].filter((l) => !l.idle || l.queue.length > 0).map((l) => l.lastTs));

      const seen: string[] = [];
      const seq = createEventSequencer({ assets, onRelease: async (es) => void seen.push(...es.map((e) => `${e.asset}#${e.streamSeq}@${e.md.ts}`)) });
      const expected: string[] = [];
      /** Each asset's times by stream sequence, so a redelivery carries the same events. */
      const times = new Map(assets.map((a) => [a, [0] as number[]]));
      const pushes: Array<Promise<void>> = [];
      const missing: string[] = [];
      for (let round = 0; round < 12; round++) {
        for (const a of assets) {
          if (rand() < 0.3) continue;
          const ts = times.get(a) as number[];
          // Sometimes a redelivery: the batch starts a few sequences back.
          const start = rand() < 0.2 ? Math.max(1, ts.length - 1 - Math.floor(rand() * 3)) : ts.length;
          const batch: AssetEvent[] = [];
          for (let k = Math.floor(rand() * 6); k >= 0; k--) {
            const s = start + batch.length;
            // Coarse times (many ties across assets), now and then a step back.
            if (s === ts.length) ts.push((ts[s - 1] as number) + (rand() < 0.15 ? -1 : Math.floor(rand() * 3)));
            batch.push(ev(a, s, ts[s] as number));
          }
          const l = ref.get(a) as { queue: AssetEvent[]; lastTs: number; idle: boolean; lastSeq: number };
          l.idle = false;
          const fresh: AssetEvent[] = [];
          for (const e of batch) {
            if (e.streamSeq <= l.lastSeq) continue;
            l.lastSeq = e.streamSeq;
            l.lastTs = Math.max(l.lastTs, e.md.ts);
            l.queue.push(e);
            fresh.push(e);
          }
          const ids = fresh.map((e) => `${e.asset}#${e.streamSeq}@${e.md.ts}`);
          pushes.push(seq.push(a, batch).then(() => void missing.push(...ids.filter((id) => !seen.includes(id)))));
        }
        if (rand() < 0.3) {
          const a = assets[Math.floor(rand() * assets.length)] as string;
          seq.idle(a);
          (ref.get(a) as { idle: boolean }).idle = true;
        }
        await tick();
        expected.push(...refTake(refWatermark()));
        expect(seen, `seed ${seed} round ${round}`).toEqual(expected);
      }
      await seq.flush();
      await Promise.all(pushes);
      expected.push(...refTake(Number.POSITIVE_INFINITY));
      expect(seen, `seed ${seed}`).toEqual(expected);
      expect(missing).toEqual([]);
    }
  });
});
