import { describe, expect, it } from 'vitest';
import { restoredExecutionState } from '../../cli/restored-execution.js';
import { almgrenChrissPolicy } from '../../models/execution/almgren-chriss-policy.js';
import type { ExecutionCore, ExecutionCoreOptions, RestoredChild } from '../../models/execution/execution-core.js';
import { assetKey, createExecutionCore } from '../../models/execution/execution-core.js';
import { ExecutionSnapshotSchema } from '../../models/execution/execution-snapshot.js';
import type { ExecutionSnapshot } from '../../models/execution/execution-snapshot.js';
import { immediatePolicy } from '../../models/execution/immediate-policy.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import { silentLogger } from '../../state/logger.js';
import type { Logger } from '../../state/logger.js';
import type { Suggestion } from '../../streams/messages/suggestion.js';
import { bar, fillOf, prediction, quote, SYMBOL, VENUE } from './fixtures.js';

const T0 = Date.UTC(2024, 0, 1, 12);
const MIN = 60_000;
const twap = twapPolicy({ slices: 4, limitOffsetBps: 2 });
const flat = immediatePolicy({ ttlMs: 30_000 });
const opts = (over: Partial<ExecutionCoreOptions> = {}): ExecutionCoreOptions => ({ strategy: 's1', policy: twap, flattenPolicy: flat, minQty: 0.001, ...over });

/** A minute of market data for the core, as the decision path hands it (market, features, then time): the children due. */
function minute(core: ExecutionCore, ts: number, close: number): Suggestion[] {
  const b = bar(ts, close, close + 1, close - 1, close, 50);
  core.onMarket(b);
  core.onFeatures({ type: 'feat.vector', v: 1, id: `f:${b.id}`, ts, venue: VENUE, symbol: SYMBOL, source: b.id, values: { ewma_vol: 0.002, spread_bps: 3 } });
  return [...core.onTime(ts, ts + MIN)];
}

/** The state a restart reads back: the snapshot as stored (JSON) and validated. */
const stored = (core: ExecutionCore): ExecutionSnapshot => ExecutionSnapshotSchema.parse(JSON.parse(JSON.stringify(core.snapshot())));

/** What the risk book restores beside it: the position and the children in flight (here, execution's own count). */
function fromBook(core: ExecutionCore, inFlight: readonly Suggestion[]): Pick<ExecutionCoreOptions, 'positions' | 'working'> {
  const view = core.asset(VENUE, SYMBOL);
  const working: RestoredChild[] = inFlight.map((s) => ({ orderId: `o:${s.id}`, venue: s.venue, symbol: s.symbol, side: s.side, remaining: s.qty, expiresAt: s.decidedAt! + s.ttlMs }));
  return { positions: { [assetKey(VENUE, SYMBOL)]: view.position }, working };
}

describe("the execution core's snapshot (stored with the risk book) across a restart", () => {
  it.each([
    ['twap', twap],
    ['almgren-chriss', almgrenChrissPolicy({ slices: 5, riskAversion: 1e-3, temporaryImpact: 0.1, limitOffsetBps: 1 })],
  ])('goes on with a %s parent half-way through: the same children, ids, sizes, prices and times as an uninterrupted core', (_, policy) => {
    const ref = createExecutionCore(opts({ policy }));
    const first = createExecutionCore(opts({ policy }));
    const sent: Suggestion[] = [];
    for (const core of [ref, first]) {
      core.onMarket(quote(T0 - 1, 99.9, 100.1));
      minute(core, T0 - MIN, 100);
    }
    // A parent of 2 BTC over 240 s from T0: its first child now, the next ones a minute or so apart.
    const p = prediction(T0, 2, { horizonMs: 4 * MIN });
    expect(ref.onPrediction(p, T0)).toEqual(first.onPrediction(p, T0));
    sent.push(...minute(first, T0 + MIN, 101));
    minute(ref, T0 + MIN, 101);
    const f = fillOf(sent[0]!, sent[0]!.qty, 101, true);
    first.onFill(f);
    ref.onFill(f);
    const view = first.asset(VENUE, SYMBOL).parent;
    expect(view?.sent).toBeGreaterThan(0);
    expect(view!.sent).toBeLessThan(view!.children);

    // The restart: a new core from the stored snapshot and the book's position and orders in flight.
    const snap = stored(first);
    expect(snap).toEqual(JSON.parse(JSON.stringify(first.snapshot())));
    const inFlight = sent.slice(1);
    const second = createExecutionCore(opts({ policy, ...fromBook(first, inFlight), restored: snap }));
    expect(second.asset(VENUE, SYMBOL)).toEqual(first.asset(VENUE, SYMBOL));
    expect(second.snapshot()).toEqual(snap);

    const refOut: Suggestion[] = [];
    const out: Suggestion[] = [];
    for (let m = 2; m <= 5; m++) {
      refOut.push(...minute(ref, T0 + m * MIN, 100 + m));
      out.push(...minute(second, T0 + m * MIN, 100 + m));
    }
    expect(refOut.length).toBeGreaterThan(0);
    expect(out).toEqual(refOut);
    expect(second.asset(VENUE, SYMBOL)).toEqual(ref.asset(VENUE, SYMBOL));
    // And a later intent is planned from the same estimates (σ, volume, spread) as without the restart.
    const q = prediction(T0 + 6 * MIN, -1, { horizonMs: 4 * MIN });
    expect(second.onPrediction(q, T0 + 6 * MIN)).toEqual(ref.onPrediction(q, T0 + 6 * MIN));
  });

  it('restores a close (the flatten policy) as a close: a flattening account does not replace it', () => {
    const flattening = { on: false };
    // Closes worked over 4 bars: a child a bar.
    const o = opts({ policy: twap, horizonMs: 4 * MIN, positions: { [assetKey(VENUE, SYMBOL)]: 1 }, trading: () => (flattening.on ? 'REDUCING' : 'ACTIVE'), flattening: () => flattening.on, flattenPolicy: twapPolicy({ slices: 4, orderType: 'market' }) });
    const first = createExecutionCore(o);
    minute(first, T0, 100);
    flattening.on = true;
    const opened = minute(first, T0 + MIN, 100);
    expect(opened.map((s) => s.source)).toEqual(['risk:flatten']);
    const snap = stored(first);
    expect(snap.assets[0]?.parent).toMatchObject({ flatten: true, policy: 'twap', next: 1 });
    const second = createExecutionCore({ ...o, restored: snap, working: [{ orderId: `o:${opened[0]!.id}`, venue: VENUE, symbol: SYMBOL, side: 'sell', remaining: opened[0]!.qty, expiresAt: T0 + 10 * MIN }] });
    const next = [2, 3, 4].flatMap((m) => minute(second, T0 + m * MIN, 100));
    // Its rest (a child a bar), not a new close from scratch.
    expect(next.map((s) => [s.parentId, s.child, s.source])).toEqual([1, 2, 3].map((c) => [opened[0]!.parentId, c, 'risk:flatten']));
    expect(second.stats().replaced).toBe(0);
  });

  it('restores a parent as the strategy policy\'s when closes are worked by that same policy', () => {
    const o = opts({ policy: twap, flattenPolicy: twap });
    const first = createExecutionCore(o);
    minute(first, T0, 100);
    first.onPrediction(prediction(T0 + MIN, 1), T0 + MIN);
    const snap = stored(first);
    expect(snap.assets[0]?.parent).toMatchObject({ flatten: false, policy: 'twap', next: 1 });
    // Closes now have their own policy: the stored TWAP parent is still the strategy's.
    expect(createExecutionCore({ ...o, flattenPolicy: flat, restored: snap }).asset(VENUE, SYMBOL).parent).toMatchObject({ sent: 1, children: 4 });
  });

  it('stores none-yet values (NaN, −∞) as null and reads them back: a core that saw nothing round-trips', () => {
    const core = createExecutionCore(opts());
    core.onPrediction(prediction(T0, null), T0);
    const snap = stored(core);
    expect(snap.assets[0]).toMatchObject({ knownAt: null, mid: null, last: null, predPrice: 100, parent: null, flattenAfter: null });
    expect(createExecutionCore(opts({ restored: snap })).snapshot()).toEqual(snap);
  });
});

describe('restoredExecutionState (the stored part, validated)', () => {
  const names = { policy: 'twap', flattenPolicy: 'immediate' };
  const snapshotWithParent = (): ExecutionSnapshot => {
    const core = createExecutionCore(opts());
    minute(core, T0, 100);
    core.onPrediction(prediction(T0 + MIN, 1), T0 + MIN);
    return stored(core);
  };
  const noting = (): { log: Logger; lines: string[] } => {
    const lines: string[] = [];
    const note = (level: string) => (f: Record<string, unknown>, m: string): void => void lines.push(`${level} ${m} ${JSON.stringify(f)}`);
    const log: Logger = { ...silentLogger, info: note('info'), warn: note('warn'), error: note('error'), child: () => log };
    return { log, lines };
  };

  it('is undefined for a row stored before it (execution starts without parents, as before)', () => {
    const { log, lines } = noting();
    expect(restoredExecutionState({ book: {}, seen: [] }, 's1', names, log)).toBeUndefined();
    expect(restoredExecutionState(undefined, 's1', names, log)).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('takes back a valid part and says which parent goes on', () => {
    const { log, lines } = noting();
    const snap = snapshotWithParent();
    expect(restoredExecutionState({ book: {}, execution: snap }, 's1', names, log)).toEqual(snap);
    expect(lines.filter((l) => l.startsWith('info') && l.includes('goes on after the restart: 1 of 4 children sent'))).toHaveLength(1);
  });

  it('refuses a part that is not valid, or another version, with an error: no parents', () => {
    for (const bad of [{ v: 1, strategy: 's1', assets: 'lost' }, { ...snapshotWithParent(), v: 2 }, { ...snapshotWithParent(), assets: [{ ...snapshotWithParent().assets[0], parent: { ...snapshotWithParent().assets[0]!.parent, next: 4 } }] }]) {
      const { log, lines } = noting();
      expect(restoredExecutionState({ execution: bad }, 's1', names, log)).toBeUndefined();
      expect(lines.filter((l) => l.startsWith('error') && l.includes('is not valid'))).toHaveLength(1);
    }
  });

  it("leaves out another strategy's part, and drops a parent planned by a policy not configured now, saying so", () => {
    const snap = snapshotWithParent();
    const other = noting();
    expect(restoredExecutionState({ execution: snap }, 's2', names, other.log)).toBeUndefined();
    expect(other.lines.some((l) => l.startsWith('warn') && l.includes("strategy s1's, not s2's"))).toBe(true);
    const changed = noting();
    const kept = restoredExecutionState({ execution: snap }, 's1', { policy: 'almgren-chriss', flattenPolicy: 'immediate' }, changed.log);
    expect(kept?.assets[0]?.parent).toBeNull();
    expect(kept?.assets[0]?.last).toBe(snap.assets[0]?.last);
    expect(changed.lines.some((l) => l.startsWith('warn') && l.includes('planned by twap, not almgren-chriss'))).toBe(true);
  });
});
