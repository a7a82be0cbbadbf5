import { describe, expect, it } from 'vitest';
import { createDecisionPath, RISK_WRITE_RETRY } from '../../actors/decision-path.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { DecisionPathFailedError } from '../../actors/event-sequencer.js';
import { createRiskPersister } from '../../cli/risk-persist.js';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import type { StrategyCore } from '../../models/inference/strategy-core.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { StoreError } from '../../state/errors.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { Fill } from '../../streams/messages/fill.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';
import { settled } from '../support/settled.js';

const VENUE = 'binance';
const SYMBOL = 'BTC/USDT';
const T0 = Date.UTC(2024, 0, 1);

/** A decision path without a paper venue (fills come from outside) whose risk store fails the book's first `failures` writes with `error`. */
async function rig(failures: number, error: () => Error) {
  const subjects = subjectsFor('sxt');
  const bus = createMemoryBus();
  await bus.ensureStreams([{ name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
  const clock = createSimulatedClock(T0);
  const memory = createMemoryRiskStore();
  const tries: number[] = [];
  const store: RiskStore = {
    ...memory,
    saveBook: (account, book, at) => {
      tries.push(clock.now() - T0);
      return tries.length <= failures ? Promise.reject(error()) : memory.saveBook(account, book, at);
    },
  };
  // Risk approved the orders the consumer's fills name (x:live:n fills o:live:n).
  const orders = Array.from({ length: 5 }, (_, i) => ({ id: `o:live:${i + 1}`, venue: VENUE, symbol: SYMBOL, side: 'buy' as const, qty: 0.5, strategy: 's1', expiresAt: T0 + 3_600_000 }));
  const risk = createRiskCore({ account: 'acc', book: bookWithOrders(orders) });
  // Trades only: nothing is scored, so the strategy is never asked for a prediction.
  const strategy = { strategy: 's1', onFeatures: () => Promise.resolve([]) } as unknown as StrategyCore;
  const path = createDecisionPath(
    { bus, subjects, log: silentLogger, clock },
    {
      strategy,
      timeframe: '1h',
      execution: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }),
      risk,
      venue: undefined,
      riskCheckpointMs: 200,
      persistRisk: createRiskPersister(store, clock, risk.trading()),
      riskStore: 'PostgreSQL (the risk store)',
    },
  );
  const fill = (n: number): Fill => ({ type: 'exec.fill', v: 1, id: `x:live:${n}`, ts: T0 + n, orderId: `o:live:${n}`, strategy: 's1', venue: VENUE, symbol: SYMBOL, side: 'buy', qty: 0.5, price: 42_000, fee: 0.1, liquidity: 'taker', slippageBps: 0, final: true });
  const position = (): number => risk.status().positions.find((p) => p.symbol === SYMBOL)?.qty ?? 0;
  /** Moves the clock on by `ms`, a step at a time, letting the writes' promises run in between. */
  const advance = async (ms: number): Promise<void> => {
    const end = clock.now() + ms;
    while (clock.now() < end) {
      clock.advanceTo(Math.min(end, clock.now() + 50));
      await new Promise((r) => setImmediate(r));
    }
  };
  return { bus, path, memory, tries, fill, position, advance, book: () => risk.bookSnapshot() };
}

const trade = (i: number): AssetEvent => ({ asset: `${VENUE}:${SYMBOL}`, streamSeq: i + 1, md: { type: 'md.trade', v: 1, id: `t:${i}`, venue: VENUE, symbol: SYMBOL, price: 42_000, qty: 0.01, side: 'buy', ts: T0 + i }, vector: undefined });

describe('the decision path when its risk-state write fails', () => {
  it('tries a write the store may take later again, with a backoff on the engine clock, and goes on once it is stored', async () => {
    const r = await rig(2, () => new StoreError('save risk book: Connection terminated unexpectedly', true));
    const filled = r.path.onExternalFill(r.fill(1));
    expect(await settled(filled)).toBe(false);
    expect(r.tries).toEqual([0]);
    await r.advance(RISK_WRITE_RETRY.firstDelayMs + 2 * RISK_WRITE_RETRY.firstDelayMs);
    await filled;
    expect(r.tries).toEqual([0, RISK_WRITE_RETRY.firstDelayMs, 3 * RISK_WRITE_RETRY.firstDelayMs]);
    expect((await r.memory.load('acc')).book).toMatchObject(JSON.parse(JSON.stringify(r.book())));
    expect(r.position()).toBe(0.5);
    expect(await settled(r.path.failed())).toBe(false);
    await r.path.onExternalFill(r.fill(2));
    expect(r.position()).toBe(1);
    await r.bus.close();
  });

  it('stops once the tries are spent: the fill waiting for the write fails, and no later fill or release is applied', async () => {
    const r = await rig(Number.POSITIVE_INFINITY, () => new StoreError('save risk book: Connection terminated unexpectedly', true));
    const filled = r.path.onExternalFill(r.fill(1));
    filled.catch(() => {});
    const failed = r.path.failed();
    expect(await settled(filled)).toBe(false);
    expect(r.tries).toEqual([0]);
    // The waits: 0.5, 1, 2, 4, 8 and 10 s (at most), 25.5 s in all.
    await r.advance(25_000);
    expect(await settled(failed)).toBe(false);
    await r.advance(500);
    await expect(filled).rejects.toThrow(/Connection terminated/);
    await expect(failed).resolves.toBeInstanceOf(StoreError);
    // What the operator reads last: which store, that the tries ran out and over how long, the last error.
    const spent = await failed;
    expect(new DecisionPathFailedError(spent).message).toBe(
      'decision path failed: PostgreSQL (the risk store) did not take the write: 7 tries over 25.5 s failed (retries spent), the last with: save risk book: Connection terminated unexpectedly; restart the engine to resume from its last commit',
    );
    expect(r.tries).toEqual([0, 500, 1_500, 3_500, 7_500, 15_500, 25_500]);
    await expect(r.path.onExternalFill(r.fill(2))).rejects.toThrow(/Connection terminated/);
    await expect(r.path.onRelease([trade(1)])).rejects.toThrow(/Connection terminated/);
    await expect(r.path.covered()).rejects.toThrow(/Connection terminated/);
    expect(r.position()).toBe(0.5); // the first fill only: nothing applied on top of the unstored state
    expect(r.path.stats().fills).toBe(1);
    await r.advance(60_000);
    expect(r.tries).toHaveLength(RISK_WRITE_RETRY.attempts); // nothing more is written
    await r.bus.close();
  });

  it('stops at once on a failure the store calls final (a refused statement)', async () => {
    const r = await rig(Number.POSITIVE_INFINITY, () => new StoreError('save risk book: permission denied for table risk_book', false));
    await expect(r.path.onExternalFill(r.fill(1))).rejects.toThrow(/permission denied/);
    await expect(r.path.failed()).resolves.toBeInstanceOf(StoreError);
    expect(r.tries).toEqual([0]);
    await r.bus.close();
  });
});
