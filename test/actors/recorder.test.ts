import { describe, expect, it } from 'vitest';
import { createRecorder } from '../../actors/recorder-actor.js';
import { createCounters } from '../../state/counters.js';
import { silentLogger } from '../../state/logger.js';
import type { InsertCounts, TimeseriesBatch, TimeseriesWriter } from '../../state/timeseries-store.js';
import { BTC, ETH, makeBars, makeQuote, makeTrade } from './harness.js';

/** A store whose every insert waits until the test lets it go (or fails it). */
function gatedStore() {
  const inserts: TimeseriesBatch[] = [];
  const gates: Array<{ release: () => void; fail: (e: Error) => void }> = [];
  const store: TimeseriesWriter = {
    insert: (b) =>
      new Promise<InsertCounts>((resolve, reject) => {
        inserts.push(b);
        gates.push({
          release: () => resolve({ bars: b.bars?.length ?? 0, trades: b.trades?.length ?? 0, quotes: b.quotes?.length ?? 0, features: b.features?.length ?? 0 }),
          fail: reject,
        });
      }),
  };
  return { store, inserts, gate: (i: number) => gates[i] as { release: () => void; fail: (e: Error) => void } };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

describe('recorder (group commit)', () => {
  it('writes the first batch at once and the next fifty, recorded meanwhile, in one insert; every caller resolves', async () => {
    const g = gatedStore();
    const counters = createCounters();
    const rec = createRecorder({ store: g.store, counters, log: silentLogger });
    const bars = makeBars(51);
    const settled: number[] = [];
    const calls = bars.map((b, i) => rec.record({ bars: [b] }).then(() => settled.push(i)));
    await tick();
    expect(g.inserts).toHaveLength(1);
    expect(g.inserts[0]?.bars).toEqual([bars[0]]);
    g.gate(0).release();
    await tick();
    expect(settled).toEqual([0]);
    expect(g.inserts).toHaveLength(2);
    expect(g.inserts[1]?.bars).toEqual(bars.slice(1));
    g.gate(1).release();
    await Promise.all(calls);
    expect(g.inserts).toHaveLength(2);
    expect(settled).toHaveLength(51);
    expect(counters.rowsWritten).toEqual({ bars: 51, trades: 0, quotes: 0, features: 0 });
  });

  it('merges the rows of different actors and kinds in arrival order', async () => {
    const g = gatedStore();
    const rec = createRecorder({ store: g.store, counters: createCounters(), log: silentLogger });
    const first = rec.record({ bars: makeBars(1, BTC) });
    const btcBars = makeBars(2, BTC, 1);
    const ethBars = makeBars(2, ETH);
    const a = rec.record({ bars: btcBars, trades: [makeTrade(1, 1)] });
    const b = rec.record({ bars: ethBars, quotes: [makeQuote(2, ETH)] });
    const c = rec.record({ trades: [makeTrade(2, 3)] });
    g.gate(0).release();
    await first;
    await tick();
    const { bars, trades, quotes, features } = g.inserts[1] ?? {};
    expect({ bars, trades, quotes, features }).toEqual({ bars: [...btcBars, ...ethBars], trades: [makeTrade(1, 1), makeTrade(2, 3)], quotes: [makeQuote(2, ETH)], features: [] });
    g.gate(1).release();
    await Promise.all([a, b, c]);
  });

  it('rejects exactly the callers whose insert failed, and writes the ones that came meanwhile', async () => {
    const g = gatedStore();
    const counters = createCounters();
    const rec = createRecorder({ store: g.store, counters, log: silentLogger });
    const bars = makeBars(6);
    const first = rec.record({ bars: [bars[0]!] });
    const group = [1, 2, 3].map((i) => rec.record({ bars: [bars[i]!] }));
    g.gate(0).release();
    await first;
    await tick();
    const later = [4, 5].map((i) => rec.record({ bars: [bars[i]!] }));
    g.gate(1).fail(new Error('db down'));
    const outcomes = await Promise.allSettled(group);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : ''))).toEqual(Array(3).fill('Error: db down'));
    await tick();
    expect(g.inserts[2]?.bars).toEqual([bars[4], bars[5]]);
    g.gate(2).release();
    await expect(Promise.all(later)).resolves.toEqual([undefined, undefined]);
    expect(counters.rowsWritten.bars).toBe(3);
  });

  it('rejects the caller of a store that throws synchronously, then writes the next batch and drains', async () => {
    let calls = 0;
    const store: TimeseriesWriter = {
      insert: (b) => {
        if (++calls === 1) throw new Error('sync boom');
        return Promise.resolve({ bars: b.bars?.length ?? 0, trades: 0, quotes: 0, features: 0 });
      },
    };
    const rec = createRecorder({ store, counters: createCounters(), log: silentLogger });
    await expect(rec.record({ bars: makeBars(1) })).rejects.toThrow('sync boom');
    await expect(rec.record({ bars: makeBars(1) })).resolves.toBeUndefined();
    await rec.drain();
    expect(calls).toBe(2);
  });

  it('drains: waits for every write recorded so far, and returns at once when idle', async () => {
    const g = gatedStore();
    const rec = createRecorder({ store: g.store, counters: createCounters(), log: silentLogger });
    await rec.drain();
    const a = rec.record({ bars: makeBars(1) });
    const b = rec.record({ bars: makeBars(1, ETH) });
    let drained = false;
    const d = rec.drain().then(() => (drained = true));
    g.gate(0).release();
    await a;
    await tick();
    expect(drained).toBe(false);
    g.gate(1).release();
    await Promise.all([b, d]);
    expect(drained).toBe(true);
  });
});
