import { describe, expect, it } from 'vitest';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { createDueChanges, createOperatorChanges } from '../../actors/operator-changes.js';
import { createRiskPersister } from '../../cli/risk-persist.js';
import { restoredOperatorState } from '../../cli/restored-operator-state.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import type { TradingSnapshot } from '../../models/risk/risk-core.js';
import { parseRiskLimits } from '../../models/risk/risk-limits.js';
import type { RiskLimits } from '../../models/risk/risk-limits.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { baseLimits, BTC, T0, VENUE } from '../risk/risk-fixtures.js';

const A = 'asset:binance:BTC/USDT';
const B = 'asset:binance:ETH/USDT';
const limits = parseRiskLimits(baseLimits);
const trading = (state: TradingSnapshot['state'], seq: number): TradingSnapshot => ({ state, reason: state, scopedHalts: [], flattening: false, seq });
/** An event of the stream the marks were taken on (its time at or below theirs, T0: one newer is of a rebuilt stream). */
const event = (asset: string, streamSeq: number): AssetEvent => ({ asset, streamSeq, md: { ts: T0 } }) as unknown as AssetEvent;

describe('the trading state and limits the decision path decides from after a restart', () => {
  it('are taken with the book, in its row: a breach or change after the checkpoint is not stored with a book from before it', async () => {
    const store = createMemoryRiskStore();
    const core = createRiskCore({ account: 'acc', limits: baseLimits });
    core.onMarket({ venue: VENUE, symbol: BTC, ts: T0, mid: 100 });
    const persist = createRiskPersister(store, createSimulatedClock(T0), core.trading());
    const write = persist(core, [[A, 10, T0]]); // the book is taken now, written after its releases' publications
    // Before it is written: a halt (a breach, or an operator's) and a lower limit.
    core.halt({ scope: 'all', reason: 'breach', ts: T0 + 1 });
    core.useLimits({ ...limits, maxOrderNotional: 6 });
    await write();
    const row = (await store.load('acc')).book as { trading: TradingSnapshot; limits: RiskLimits };
    expect(row.trading).toMatchObject({ state: 'ACTIVE', seq: 0 });
    expect(row.limits.maxOrderNotional).toBe(limits.maxOrderNotional);
    const restored = restoredOperatorState(await store.load('acc'), silentLogger);
    expect(restored.stored.trading).toMatchObject({ state: 'ACTIVE' });
    expect(restored.decided).toEqual([[A, 10, T0]]);
  });

  it("applies the operator's changes stored after the book where they took effect, and drops those the book holds", () => {
    const marks = [[A, 10, T0] as const, [B, 5, T0] as const];
    const stored = {
      book: { book: {}, seen: [], decided: marks, trading: trading('HALTED', 3), limits },
      trading: {
        ...trading('ACTIVE', 5),
        pending: [
          { at: [[A, 8, T0]], trading: trading('HALTED', 3) }, // held by the book
          { at: [[A, 12, T0], [B, 5, T0]], trading: trading('ACTIVE', 4) },
          { at: [[A, 12, T0], [B, 7, T0]], trading: trading('REDUCING', 5) },
        ],
      },
      limits: {
        ...limits,
        maxOrderNotional: 7,
        pending: [
          { at: [[A, 9, T0], [B, 5, T0]], limits: { ...limits, maxOrderNotional: 6 } }, // taken before the book
          { at: marks, limits: { ...limits, maxOrderNotional: 7 } }, // no event between: kept, applying it again is harmless
        ],
      },
    };
    const r = restoredOperatorState(stored, silentLogger);
    expect(r.stored.trading).toMatchObject({ state: 'HALTED', seq: 3 });
    expect(r.stored.limits).toEqual(limits);
    expect(r.pending.trading.map((c) => c.trading.seq)).toEqual([4, 5]);
    expect(r.pending.limits.map((c) => c.limits.maxOrderNotional)).toEqual([7]);

    const applied: string[] = [];
    const due = createDueChanges(r.pending, { trading: (t) => applied.push(t.state), limits: (l) => applied.push(`limits ${l.maxOrderNotional}`) });
    due.at(event(A, 11)); // the first redelivered event: past the limits change (made with no event after the book)
    expect(applied).toEqual(['limits 7']);
    due.at(event(A, 12)); // decided before the resume in the first run
    expect(applied).toEqual(['limits 7']);
    due.at(event(B, 6)); // the first event past the resume
    expect(applied).toEqual(['limits 7', 'ACTIVE']);
    due.at(event(B, 7));
    expect(applied).toEqual(['limits 7', 'ACTIVE']);
    due.at(event(B, 8)); // past the reduce-only
    expect(applied).toEqual(['limits 7', 'ACTIVE', 'REDUCING']);
    expect(due.pending()).toBe(false);
  });

  it('puts a change in force once the decided marks reach where it took effect, with no event past it needed', () => {
    const applied: string[] = [];
    const due = createDueChanges(
      {
        trading: [{ at: [[A, 12, T0], [B, 7, T0]], trading: trading('HALTED', 4) }],
        limits: [{ at: [[A, 14, T0]], limits: { ...limits, maxOrderNotional: 6 } }],
      },
      { trading: (t) => applied.push(t.state), limits: (l) => applied.push(`limits ${l.maxOrderNotional}`) },
    );
    due.reached([[A, 12, T0], [B, 6, T0]]); // B not decided as far as the halt yet
    expect(applied).toEqual([]);
    due.reached([[A, 12, T0], [B, 7, T0]]); // every asset where the first run was when it halted
    expect(applied).toEqual(['HALTED']);
    due.reached([[B, 9, T0]]); // an asset without a mark has not reached one
    expect(applied).toEqual(['HALTED']);
    due.reached([[A, 15, T0], [B, 9, T0]]);
    expect(applied).toEqual(['HALTED', 'limits 6']);
    expect(due.pending()).toBe(false);
  });


  it("leaves out a mark of an asset with nothing left to deliver again (its stream rebuilt or purged, and quiet), and puts the change in force once the others' marks are reached", () => {
    const applied: string[] = [];
    const due = createDueChanges(
      {
        trading: [{ at: [[A, 12, T0], [B, 7, T0]], trading: trading('HALTED', 4) }],
        limits: [{ at: [[A, 14, T0]], limits: { ...limits, maxOrderNotional: 6 } }],
      },
      { trading: (t) => applied.push(t.state), limits: (l) => applied.push(`limits ${l.maxOrderNotional}`) },
    );
    const marks: [string, number, number][] = [[A, 10, T0], [B, 5, T0]];
    expect(due.awaiting(marks)).toEqual([A, B]);
    due.caughtUp(A, [[A, 15, T0], [B, 5, T0]]); // A decided past every mark of it: nothing to leave out
    due.reached([[A, 11, T0], [B, 5, T0]]);
    expect(applied).toEqual([]); // A's marks are still awaited
    due.caughtUp(B, marks);
    expect(due.awaiting(marks)).toEqual([A]);
    due.reached(marks);
    expect(applied).toEqual([]); // A not decided as far as the halt yet
    due.reached([[A, 12, T0], [B, 5, T0]]);
    expect(applied).toEqual(['HALTED']);
    expect(due.awaiting([[A, 12, T0], [B, 5, T0]])).toEqual([A]); // the limits' mark of A
    due.reached([[A, 14, T0], [B, 5, T0]]);
    expect(applied).toEqual(['HALTED', 'limits 6']);
    expect(due.awaiting([[A, 14, T0]])).toEqual([]);
  });
  it('starts from the trading and limits rows for a book stored without them, or a trading row newer than every change stored', () => {
    const old = restoredOperatorState({ book: { book: {}, seen: [] }, trading: trading('HALTED', 2), limits }, silentLogger);
    expect(old.stored.trading).toMatchObject({ state: 'HALTED' });
    expect(old.pending).toEqual({ trading: [], limits: [] });
    const ahead = restoredOperatorState({ book: { book: {}, seen: [], trading: trading('ACTIVE', 1), limits }, trading: trading('HALTED', 2), limits }, silentLogger);
    expect(ahead.stored.trading).toMatchObject({ state: 'HALTED' });
  });

  it('forgets a change once a book write holds it', () => {
    const changes = createOperatorChanges();
    changes.addTrading({ at: [[A, 3, T0]], trading: trading('HALTED', 1) });
    changes.addLimits({ at: [[A, 3, T0]], limits });
    changes.covered(0, [[A, 3, T0]]);
    expect([changes.trading().length, changes.limits().length]).toEqual([1, 1]);
    changes.covered(1, [[A, 4, T0]]);
    expect([changes.trading().length, changes.limits().length]).toEqual([0, 0]);
  });
});
