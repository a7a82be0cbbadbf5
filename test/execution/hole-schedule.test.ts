import { describe, expect, it } from 'vitest';
import { createExecutionCore } from '../../actors/execution-actor.js';
import type { ExecutionCoreOptions } from '../../actors/execution-actor.js';
import { almgrenChrissPolicy } from '../../models/execution/almgren-chriss-policy.js';
import { ExecutionSnapshotSchema } from '../../models/execution/execution-snapshot.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import { bar, prediction, quote, SYMBOL, VENUE } from './fixtures.js';

const M = 60_000;
/** A 4-slice TWAP over 8 bars of 1m: a child every 2 bars. Holes: data resuming more than half a bar after the newest known (the engine's setting). */
const opts = (over: Partial<ExecutionCoreOptions> = {}): ExecutionCoreOptions => ({ strategy: 's1', policy: twapPolicy({ slices: 4, limitOffsetBps: 2 }), minQty: 0.001, barMs: M, maxHoleMs: M / 2, ...over });

type Core = ReturnType<typeof createExecutionCore>;
/** One market event in the decision path's order: the data, then the children it makes due. */
const event = (core: Core, ts: number, md: MarketData = bar(ts, 100, 101, 99, 100, 1_000)): readonly Suggestion[] => {
  core.onMarket(md);
  return core.onTime(ts, ts + M);
};
const sum = (xs: readonly Suggestion[]): number => xs.reduce((t, s) => t + s.qty, 0);

/** Bar 0 (known at 1m) opens a parent of 2 over 8 minutes: children due at 1m, 3m, 5m, 7m; its horizon ends at 9m. */
function opened(core: Core): readonly Suggestion[] {
  const first = event(core, 0);
  expect(first).toEqual([]);
  const sent = core.onPrediction(prediction(0, 2, { horizonMs: 8 * M }), 0);
  expect(sent.map((s) => [s.child, s.qty, s.decidedAt])).toEqual([[0, 0.5, M]]);
  return sent;
}

describe('execution schedule after a hole in the data', () => {
  it('re-plans the children that fell due in a hole over the rest of the horizon: one child on resumption, none sent together', () => {
    const core = createExecutionCore(opts());
    const sent = [...opened(core)];
    // The bars of 1m … 5m are missing (an outage): children 1 (3m) and 2 (5m) fall due in the hole,
    // child 3 (7m) on the bar that resumes it, 6m (known at 7m). Without the rule all three went out
    // on that bar, at its one price: the parent's whole rest at once.
    const resumed = event(core, 6 * M);
    expect(resumed.map((s) => [s.child, s.qty, s.decidedAt])).toEqual([[1, 0.75, 7 * M]]);
    expect(core.stats()).toMatchObject({ replanned: 1, lapsed: 0 });
    // The rest of the 1.5 over what is left of the horizon, 7m → 9m: two bars, so two children of
    // 0.75, one a bar (four slices would put two in each bar, sent together at one price).
    expect(core.asset(VENUE, SYMBOL).parent).toMatchObject({ sent: 2, children: 3 });
    sent.push(...resumed);
    for (let t = 6 * M + 15_000; t < 9 * M; t += 15_000) {
      const now = event(core, t, quote(t, 99.9, 100.1));
      expect(now.length).toBeLessThanOrEqual(1);
      sent.push(...now);
    }
    expect(sent.map((s) => [s.child, s.decidedAt])).toEqual([
      [0, M],
      [1, 7 * M],
      [2, 8 * M],
    ]);
    expect(sent.every((s) => s.children === (s.child === 0 ? 4 : 3))).toBe(true);
    expect(sum(sent)).toBeCloseTo(2, 12);
    expect(new Set(sent.map((s) => s.id)).size).toBe(sent.length);
    expect(core.asset(VENUE, SYMBOL).parent).toBeNull();
  });

  it('never sends two children in one bar: a horizon of fewer bars than slices gets one child a bar, small ones still merged', () => {
    // A 4-slice TWAP over 2 bars: two children of 1, at 1m and 2m (before: four of 0.5, two on each bar's event).
    const core = createExecutionCore(opts());
    event(core, 0);
    const sent = [...core.onPrediction(prediction(0, 2, { horizonMs: 2 * M }), 0)];
    for (let t = M; t < 4 * M; t += M) sent.push(...event(core, t));
    expect(sent.map((s) => [s.child, s.qty, s.decidedAt, s.children])).toEqual([
      [0, 1, M, 2],
      [1, 1, 2 * M, 2],
    ]);
    // Children under the venue's least notional (100 against 150) are still merged, into the next: one child of the whole 2 at 2m.
    const small = createExecutionCore(opts({ minNotional: () => 150 }));
    event(small, 0);
    const merged = [...small.onPrediction(prediction(0, 2, { horizonMs: 2 * M }), 0)];
    for (let t = M; t < 4 * M; t += M) merged.push(...event(small, t));
    expect(merged.map((s) => [s.child, s.qty, s.decidedAt, s.children])).toEqual([[0, 2, 2 * M, 1]]);
    // A re-plan over a rest of under a bar (data resuming with a quote at 8m 30 s, the horizon ending at 9m): one child of the whole rest.
    const late = createExecutionCore(opts());
    opened(late);
    expect(event(late, 8 * M + 30_000, quote(8 * M + 30_000, 99.9, 100.1)).map((s) => [s.child, s.qty])).toEqual([[1, 1.5]]);
    expect(late.stats()).toMatchObject({ replanned: 1 });
    expect(late.asset(VENUE, SYMBOL).parent).toBeNull();
  });

  it('lets a parent lapse when its horizon ended in the hole, and the next intent decides afresh', () => {
    const core = createExecutionCore(opts());
    opened(core);
    // Nothing from 1m until the bar of 9m (known at 10m): children 1, 2 and 3 fell due in the hole and the horizon (9m) is over.
    expect(event(core, 9 * M)).toEqual([]);
    expect(core.stats()).toMatchObject({ replanned: 0, lapsed: 1 });
    expect(core.asset(VENUE, SYMBOL).parent).toBeNull();
    // The intent on that bar finds the position short of its target (child 0 expired unfilled): a parent of its own, planned from now.
    core.onExpired({ orderId: 'o:s:e:' + prediction(0, 2).id + ':0', strategy: 's1', venue: VENUE, symbol: SYMBOL });
    const fresh = core.onPrediction(prediction(9 * M, 2, { horizonMs: 8 * M }), 9 * M);
    expect(fresh.map((s) => [s.child, s.qty, s.decidedAt])).toEqual([[0, 0.5, 10 * M]]);
  });

  it('leaves a schedule the data keeps up with as it was, and a hole in which nothing fell due', () => {
    const steady = createExecutionCore(opts());
    const sent = [...opened(steady)];
    for (let t = M; t < 9 * M; t += M) sent.push(...event(steady, t));
    expect(sent.map((s) => [s.child, s.decidedAt])).toEqual([
      [0, M],
      [1, 3 * M],
      [2, 5 * M],
      [3, 7 * M],
    ]);
    // Bar 1m missing: nothing was due in it (child 1 at 3m), so child 1 goes on time and nothing is re-planned.
    const holed = createExecutionCore(opts());
    opened(holed);
    expect(event(holed, 2 * M).map((s) => [s.child, s.decidedAt])).toEqual([[1, 3 * M]]);
    expect(holed.stats()).toMatchObject({ replanned: 0, lapsed: 0 });
    // Without the hole rule (its default), the old behaviour: children sent together on the next event.
    const ruleless = createExecutionCore(opts({ maxHoleMs: undefined }));
    opened(ruleless);
    expect(event(ruleless, 6 * M).map((s) => s.child)).toEqual([1, 2, 3]);
  });

  it('re-plans through the parent policy (Almgren–Chriss) and is deterministic', () => {
    const run = (): string => {
      const core = createExecutionCore(opts({ policy: almgrenChrissPolicy({ slices: 4, riskAversion: 1e-3, temporaryImpact: 0.1 }) }));
      core.onFeatures({ type: 'feat.vector', v: 1, id: 'f:x', venue: VENUE, symbol: SYMBOL, ts: 0, source: 'b:x', values: { ewma_vol: 0.01, spread_bps: 3 } });
      const out = [...opened2(core)];
      out.push(...event(core, 6 * M));
      for (let t = 6 * M + 15_000; t < 9 * M; t += 15_000) out.push(...event(core, t, quote(t, 99.9, 100.1)));
      expect(core.stats()).toMatchObject({ replanned: 1 });
      expect(sum(out)).toBeCloseTo(2, 12);
      return JSON.stringify(out);
    };
    const opened2 = (core: Core): readonly Suggestion[] => {
      event(core, 0);
      return core.onPrediction(prediction(0, 2, { horizonMs: 8 * M }), 0);
    };
    expect(run()).toBe(run());
  });

  it('keeps a re-planned parent exact through a snapshot and a restart', () => {
    const a = createExecutionCore(opts());
    opened(a);
    event(a, 6 * M);
    const stored = ExecutionSnapshotSchema.parse(JSON.parse(JSON.stringify(a.snapshot())));
    expect(stored.assets[0]?.parent?.plan).toHaveLength(3);
    const b = createExecutionCore(opts({ restored: stored }));
    expect(b.snapshot()).toEqual(a.snapshot());
    for (let t = 6 * M + 15_000; t < 9 * M; t += 15_000) expect(event(b, t, quote(t, 99.9, 100.1))).toEqual(event(a, t, quote(t, 99.9, 100.1)));
    expect(b.asset(VENUE, SYMBOL)).toEqual(a.asset(VENUE, SYMBOL));
  });
});

describe("execution schedule while one asset's data is in a hole and the others trade", () => {
  const ETH = 'ETH/USDT';
  /** A bar of ETH: the other asset, trading on through BTC's hole. */
  const eth = (ts: number): MarketData => ({ ...bar(ts, 50, 51, 49, 50, 1_000), id: `b:${VENUE}:${ETH}:1m:${ts}`, symbol: ETH });
  /** BTC's bars close at 100 before its hole and at 120 after it. */
  const btc = (ts: number): MarketData => (ts < 3 * M ? bar(ts, 100, 101, 99, 100, 1_000) : bar(ts, 120, 121, 119, 120, 1_000));
  /** Minutes 0 … 8: ETH's bar every minute, then BTC's, whose bars of 1m … 5m are missing (`holed`). */
  const run = (core: Core, holed: boolean, from = M, sent: Suggestion[] = []): Suggestion[] => {
    for (let t = from; t < 9 * M; t += M) {
      if (holed) sent.push(...event(core, t, eth(t)));
      if (t > 5 * M || t === 0) sent.push(...event(core, t, btc(t)));
    }
    return sent;
  };

  it("holds an asset's children through its hole, not sent on the other asset's events at its stale price, and re-plans them when its data resumes", () => {
    const alone = createExecutionCore(opts());
    const expected = run(alone, false, M, [...opened(alone)]);
    const core = createExecutionCore(opts());
    const sent = run(core, true, M, [...opened(core)]);
    // Without the hold, children 1 (3m) and 2 (5m) went out on ETH's bars of 3m and 5m at BTC's last close, 100
    // (the paper venue then cancels them at BTC's gap), and nothing was re-planned.
    expect(sent.filter((s) => s.child > 0 && (s.decidedAt ?? 0) < 7 * M)).toEqual([]);
    expect(sent.filter((s) => s.child > 0).every((s) => s.refPrice === 120)).toBe(true);
    // BTC's schedule is the one it has trading alone: one child on resumption, the rest over what is left of the horizon.
    expect(sent).toEqual(expected);
    expect(sent.map((s) => [s.child, s.decidedAt])).toEqual([
      [0, M],
      [1, 7 * M],
      [2, 8 * M],
    ]);
    expect(core.stats()).toMatchObject({ replanned: 1, lapsed: 0 });
    expect(sum(sent)).toBeCloseTo(2, 12);
  });

  it("holds nothing while the asset's data keeps up, and goes on exactly after a snapshot taken in the hold", () => {
    // Both assets steady: BTC's children go out on time, on whichever asset's event comes first.
    const steady = createExecutionCore(opts());
    const sent = [...opened(steady)];
    for (let t = M; t < 9 * M; t += M) sent.push(...event(steady, t, eth(t)), ...event(steady, t, bar(t, 100, 101, 99, 100, 1_000)));
    expect(sent.map((s) => [s.child, s.decidedAt])).toEqual([
      [0, M],
      [1, 3 * M],
      [2, 5 * M],
      [3, 7 * M],
    ]);
    // A snapshot taken while BTC's children are held (ETH's bar of 4m decided), restored: the same suggestions after it.
    const a = createExecutionCore(opts());
    opened(a);
    for (let t = M; t <= 4 * M; t += M) expect(event(a, t, eth(t))).toEqual([]);
    const stored = ExecutionSnapshotSchema.parse(JSON.parse(JSON.stringify(a.snapshot())));
    const b = createExecutionCore(opts({ restored: stored }));
    expect(b.snapshot()).toEqual(a.snapshot());
    const after = run(b, true, 5 * M);
    expect(after).toEqual(run(a, true, 5 * M));
    expect(after.map((s) => s.child)).toEqual([1, 2]);
  });
});
