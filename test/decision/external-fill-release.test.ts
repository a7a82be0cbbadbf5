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
import type { Fill } from '../../streams/messages/fill.js';
import type { Trade } from '../../streams/messages/trade.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';

const VENUE = 'binance';
const SYMBOL = 'BTC/USDT';
const T0 = Date.UTC(2024, 0, 1);

/**
 * Fills reported by live trading consumers (no paper venue) come between releases. One that
 * arrived while a long release was decided slice by slice was applied half-way through it, and
 * its prompt risk write stored the state of half a release.
 */
describe('decision path: an external fill during a release', () => {
  it('is applied after the release, and no risk write holds half a release', async () => {
    const subjects = subjectsFor('sxt');
    const bus = createMemoryBus();
    await bus.ensureStreams([{ name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
    // Trades only: nothing is scored, so the strategy is never asked for a prediction.
    const strategy = { strategy: 's1', onFeatures: () => Promise.resolve([]) } as unknown as StrategyCore;
    const risk = createRiskCore({ account: 'acc', book: bookWithOrders([{ id: 'o:live', venue: VENUE, symbol: SYMBOL, side: 'buy', qty: 0.5, strategy: 's1', expiresAt: T0 + 3_600_000 }]) });
    let decidedEvents = 0;
    const captures: { events: number; position: number }[] = [];
    const position = (): number => risk.status().positions.find((p) => p.symbol === SYMBOL)?.qty ?? 0;
    const path = createDecisionPath(
      { bus, subjects, log: silentLogger, clock: createSimulatedClock(T0) },
      {
        strategy,
        timeframe: '1h',
        execution: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }),
        risk,
        venue: undefined,
        observer: { event: () => void decidedEvents++ },
        persistRisk: () => {
          captures.push({ events: decidedEvents, position: position() });
          return () => Promise.resolve();
        },
      },
    );
    const trade = (i: number): Trade => ({ type: 'md.trade', v: 1, id: `t:${i}`, venue: VENUE, symbol: SYMBOL, price: 42_000, qty: 0.01, side: 'buy', ts: T0 + i });
    const events: AssetEvent[] = Array.from({ length: 700 }, (_, i) => ({ asset: `${VENUE}:${SYMBOL}`, streamSeq: i + 1, md: trade(i), vector: undefined }));
    const fill: Fill = { type: 'exec.fill', v: 1, id: 'x:live:1', ts: T0 + 1, orderId: 'o:live', strategy: 's1', venue: VENUE, symbol: SYMBOL, side: 'buy', qty: 0.5, price: 42_000, fee: 0.1, liquidity: 'taker', slippageBps: 0, final: true };

    const released = path.onRelease(events); // 700 events: three slices with a yield between them
    const filled = path.onExternalFill(fill); // arrives while the first slice is decided
    await Promise.all([released.then((r) => r?.settled), filled]);

    expect(decidedEvents).toBe(700);
    expect(position()).toBe(0.5);
    // Every write was of a whole release: after all 700 events (the fill's one with the fill in it).
    expect(captures.length).toBeGreaterThan(0);
    for (const c of captures) expect(c.events).toBe(700);
    expect(captures.at(-1)).toEqual({ events: 700, position: 0.5 });
    await bus.close();
  });
});
