import { describe, expect, it } from 'vitest';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { createEventSequencer } from '../../actors/event-sequencer.js';
import { createExecutionCore } from '../../actors/execution-actor.js';
import type { ExecutionCoreOptions } from '../../actors/execution-actor.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import { knownAt } from '../../streams/messages/market-data.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import { prediction, SYMBOL, VENUE } from './fixtures.js';

/**
 * The hold of a holed asset's children (17c8935) and the re-plan when its data resumes (470caf6),
 * with the event sequencer's late events: an asset marked idle (live: nothing from it for
 * `decision.idleFlushMs`) whose older events arrive after the others' later ones were released.
 * A backtest has no idle marks before an asset's data ended (the parity and determinism tests
 * check `late()` is 0); live, a lagging consumer or a feed's reconnect gives late events. The
 * hold compares the event's time with the asset's newest known time and the re-plan is judged on
 * the asset's own events, which the sequencer keeps in their own order: a late event can only
 * hold less, never send what in order it held, and the holed asset's children go out as in order.
 */
const M = 60_000;
const BTC = SYMBOL;
const ETH = 'ETH/USDT';
const SOL = 'SOL/USDT';
const opts: ExecutionCoreOptions = { strategy: 's1', policy: twapPolicy({ slices: 4, limitOffsetBps: 2 }), minQty: 0.001, barMs: M, maxHoleMs: M / 2 };

const bar = (symbol: string, ts: number, close: number): Bar => ({ type: 'md.bar', v: 1, id: barId(VENUE, symbol, '1m', ts), venue: VENUE, symbol, tf: '1m', open: close, high: close + 1, low: close - 1, close, volume: 1_000, ts });
/** One bar a minute per asset: its stream sequence follows the minute. */
const ev = (symbol: string, ts: number, close: number): AssetEvent => ({ asset: symbol, streamSeq: ts / M + 1, md: bar(symbol, ts, close), vector: undefined });
/** An asset's bars of these minutes, closing at 100 + the minute (its own price, minute by minute). */
const bars = (symbol: string, minutes: readonly number[]): AssetEvent[] => minutes.map((m) => ev(symbol, m * M, 100 + m));

type Run = Readonly<{ sent: Suggestion[]; late: number; core: ReturnType<typeof createExecutionCore> }>;

/**
 * The decision path's handling of a release, for execution: each event's data, then the children
 * due (`onTime(now, knownAt)`); BTC's bar 0 carries an intent of 2 over 8 minutes. `feed` pushes
 * the assets' events and idle marks in some order.
 */
async function run(feed: (push: (asset: string, events: readonly AssetEvent[]) => Promise<void>, idle: (asset: string) => void) => Promise<void>): Promise<Run> {
  const core = createExecutionCore(opts);
  const sent: Suggestion[] = [];
  const seq = createEventSequencer({
    assets: [BTC, ETH, SOL],
    onRelease: async (events) => {
      for (const e of events) {
        core.onMarket(e.md);
        sent.push(...core.onTime(e.md.ts, knownAt(e.md)));
        if (e.md.symbol === BTC && e.md.ts === 0) sent.push(...core.onPrediction(prediction(0, 2, { horizonMs: 8 * M }), 0));
      }
    },
  });
  const pushes: Promise<void>[] = [];
  await feed(
    (asset, events) => {
      const p = seq.push(asset, events);
      pushes.push(p);
      return new Promise((r) => setTimeout(r, 0));
    },
    (asset) => seq.idle(asset),
  );
  await seq.flush();
  await Promise.all(pushes);
  return { sent, late: seq.late(), core };
}

const view = (s: Suggestion): unknown => [s.id, s.ts, s.child, s.qty, s.decidedAt, s.refPrice];
const all = [0, 1, 2, 3, 4, 5, 6, 7, 8];

describe("execution's hold of a holed asset, with the event sequencer's late events", () => {
  it("another asset's events arriving late inside BTC's hole send none of BTC's held children; BTC is re-planned on its resumption as in order", async () => {
    const btc = [0, 6, 7, 8]; // BTC's bars of 1m … 5m missing: an outage
    const inOrder = await run(async (push) => {
      await push(BTC, bars(BTC, btc));
      await push(ETH, bars(ETH, all));
      await push(SOL, bars(SOL, all));
    });
    expect(inOrder.late).toBe(0);
    const late = await run(async (push, idle) => {
      await push(BTC, bars(BTC, [0]));
      await push(ETH, bars(ETH, [0]));
      await push(SOL, bars(SOL, [0]));
      // BTC (in its hole) and SOL (its consumer lagging) say nothing: marked idle, ETH's bars of 1m … 5m are decided.
      idle(BTC);
      idle(SOL);
      await push(ETH, bars(ETH, [1, 2, 3, 4, 5]));
      // SOL's bars of 1m … 5m arrive after them: late, with times inside BTC's hole.
      await push(SOL, bars(SOL, [1, 2, 3, 4, 5]));
      await push(BTC, bars(BTC, [6, 7, 8]));
      await push(ETH, bars(ETH, [6, 7, 8]));
      await push(SOL, bars(SOL, [6, 7, 8]));
    });
    expect(late.late).toBe(4); // SOL's 1m … 4m (its 5m ties with what was released)
    // No child of BTC in its hole (on ETH's or the late SOL events), at its stale close of 100.
    expect(late.sent.filter((s) => s.child > 0 && (s.decidedAt ?? 0) < 7 * M)).toEqual([]);
    expect(late.sent.map(view)).toEqual(inOrder.sent.map(view));
    expect(late.core.stats()).toMatchObject({ replanned: 1, lapsed: 0 });
    expect(late.core.stats()).toEqual(inOrder.core.stats());
  });

  it("BTC's own bars arriving late (its consumer lagging, no hole in its data): held on the others' events, then sent on its own bars at its own prices, nothing re-planned, as in order", async () => {
    const inOrder = await run(async (push) => {
      await push(BTC, bars(BTC, all));
      await push(ETH, bars(ETH, all));
      await push(SOL, bars(SOL, all));
    });
    const late = await run(async (push, idle) => {
      await push(BTC, bars(BTC, [0]));
      await push(ETH, bars(ETH, [0]));
      await push(SOL, bars(SOL, [0]));
      idle(BTC);
      await push(ETH, bars(ETH, [1, 2, 3, 4, 5, 6]));
      await push(SOL, bars(SOL, [1, 2, 3, 4, 5, 6]));
      // BTC's bars of 1m … 6m come after the others' of up to 6m were decided: late.
      await push(BTC, bars(BTC, [1, 2, 3, 4, 5, 6, 7, 8]));
      await push(ETH, bars(ETH, [7, 8]));
      await push(SOL, bars(SOL, [7, 8]));
    });
    expect(late.late).toBeGreaterThan(0);
    expect(late.sent.map(view)).toEqual(inOrder.sent.map(view));
    expect(late.sent.map((s) => [s.child, s.decidedAt, s.refPrice])).toEqual([
      [0, M, 100],
      [1, 3 * M, 102],
      [2, 5 * M, 104],
      [3, 7 * M, 106],
    ]);
    expect(late.core.stats()).toMatchObject({ replanned: 0, lapsed: 0 });
  });
});
