import { describe, expect, it } from 'vitest';
import { createDecisionPath } from '../../actors/decision-path.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import type { StrategyCore } from '../../models/inference/strategy-core.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import type { Fill } from '../../streams/messages/fill.js';
import type { Trade } from '../../streams/messages/trade.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';

const VENUE = 'binance';
const SYMBOL = 'BTC/USDT';
const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

/** Whether `p` has settled after the event loop turned a few times. */
async function settledYet(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  return done;
}

/**
 * A live desk's report (the paper venue off) is acknowledged once a risk write covering it is
 * stored, and nothing is decided on top of it before: a crash in between redelivers it with no
 * output in the streams that depended on it, so a restart can apply it after the events the first
 * run decided before it (cli/decisions.ts holds it during the recovery).
 */
describe('decision path: live reports and the risk writes that cover them', () => {
  async function world() {
    const subjects = subjectsFor('sxt');
    const bus = createMemoryBus();
    await bus.ensureStreams([{ name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
    // Trades only: nothing is scored, so the strategy is never asked for a prediction.
    const strategy = { strategy: 's1', onFeatures: () => Promise.resolve([]) } as unknown as StrategyCore;
    const risk = createRiskCore({ account: 'acc', book: bookWithOrders([{ id: 'o:live', venue: VENUE, symbol: SYMBOL, side: 'buy', qty: 0.5, strategy: 's1', expiresAt: T0 + HOUR }]) });
    let decided = 0;
    /** The risk writes are stored only once `land` is called (each write that waits then). */
    let gate: { promise: Promise<void>; open: () => void } | undefined;
    const close = (): void => {
      let open = (): void => {};
      gate = { promise: new Promise<void>((r) => (open = r)), open };
    };
    const path = createDecisionPath(
      { bus, subjects, log: silentLogger, clock: createSimulatedClock(T0) },
      {
        strategy,
        timeframe: '1h',
        execution: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }),
        risk,
        venue: undefined,
        observer: { event: () => void decided++ },
        persistRisk: () => () => gate?.promise ?? Promise.resolve(),
      },
    );
    const trade = (i: number, ts: number): AssetEvent => ({
      asset: `${VENUE}:${SYMBOL}`,
      streamSeq: i,
      md: { type: 'md.trade', v: 1, id: `t:${i}`, venue: VENUE, symbol: SYMBOL, price: 42_000, qty: 0.01, side: 'buy', ts } satisfies Trade,
      vector: undefined,
    });
    return { bus, risk, path, trade, decided: () => decided, close, land: () => gate?.open() };
  }

  it('decides no release on top of a live fill before the write covering the fill is stored', async () => {
    const w = await world();
    w.close();
    const fill: Fill = { type: 'exec.fill', v: 1, id: 'x:live:1', ts: T0 + 1, orderId: 'o:live', strategy: 's1', venue: VENUE, symbol: SYMBOL, side: 'buy', qty: 0.5, price: 42_000, fee: 0.1, liquidity: 'taker', slippageBps: 0, final: true };
    const filled = w.path.onExternalFill(fill);
    const released = w.path.onRelease([w.trade(1, T0 + 2)]);
    // The fill's write is not stored: it is not acknowledged, and the release waits.
    expect(await settledYet(filled)).toBe(false);
    expect(w.decided()).toBe(0);
    w.land();
    await filled;
    await (await released).settled;
    expect(w.decided()).toBe(1);
    await w.bus.close();
  });

  it("acknowledges an expiry of a lapsed order only once the risk state it was judged on is stored", async () => {
    const w = await world();
    // Past the order's expiresAt and the grace after it: the risk book lets it go unreported (at
    // its next suggestion, here one of another strategy's), the write of that not stored yet.
    w.close();
    const released = await w.path.onRelease([w.trade(1, T0 + 2 * HOUR)]);
    const now = T0 + 2 * HOUR;
    w.risk.onSuggestion(
      { type: 'exec.suggest', v: 1, id: 's:other:0', ts: now, strategy: 'other', venue: VENUE, symbol: SYMBOL, parentId: 'p1', source: 'pr1', policy: 'twap', side: 'buy', qty: 0.001, orderType: 'market', refPrice: 42_000, limitPrice: null, limitOffsetBps: 0, ttlMs: 1_000, child: 0, children: 1 },
      now,
    );
    expect(w.risk.expirable('o:live')).toBe(false);
    const expiry: Expiry = { type: 'exec.expired', v: 1, id: 'e:o:live', ts: T0 + HOUR, orderId: 'o:live', strategy: 's1', venue: VENUE, symbol: SYMBOL, filledQty: 0, remainingQty: 0.5, reason: 'venue' };
    const applied = w.path.onExternalExpiry(expiry);
    // Acknowledged now, a crash before the release's write lands loses it: the restart would count
    // the order released unreported (lapsed) where the first run counted it expired.
    expect(await settledYet(applied)).toBe(false);
    w.land();
    await released.settled;
    expect(await applied).toBeUndefined();
    expect(w.path.stats().expired).toBe(1);
    await w.bus.close();
  });

  it('acknowledges an expiry repeating a final fill only once that fill is stored', async () => {
    const w = await world();
    w.close();
    // Final, half filled: the order expired with it.
    const fill: Fill = { type: 'exec.fill', v: 1, id: 'x:live:1', ts: T0 + 1, orderId: 'o:live', strategy: 's1', venue: VENUE, symbol: SYMBOL, side: 'buy', qty: 0.25, price: 42_000, fee: 0.1, liquidity: 'taker', slippageBps: 0, final: true };
    const filled = w.path.onExternalFill(fill);
    const expiry: Expiry = { type: 'exec.expired', v: 1, id: 'e:o:live', ts: T0 + 2, orderId: 'o:live', strategy: 's1', venue: VENUE, symbol: SYMBOL, filledQty: 0.25, remainingQty: 0.25, reason: 'venue' };
    const confirmed = w.path.onExternalExpiry(expiry);
    expect(await settledYet(confirmed)).toBe(false);
    w.land();
    await filled;
    expect(await confirmed).toBeUndefined();
    expect(w.path.stats().expiriesConfirming).toBe(1);
    await w.bus.close();
  });
});
