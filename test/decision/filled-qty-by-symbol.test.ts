import { describe, expect, it } from 'vitest';
import { createDecisionPath } from '../../actors/decision-path.js';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import type { StrategyCore } from '../../models/inference/strategy-core.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { Fill } from '../../streams/messages/fill.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';

const VENUE = 'binance';
const T0 = Date.UTC(2024, 0, 1);

/**
 * `filledQty` adds base quantities across symbols: 0.5 BTC and 300 DOGE made 300.5, a number of
 * nothing, and it was all a backtest report or the demo's summary said of what filled.
 */
describe('decision path: filled quantity with several symbols', () => {
  it('counts the filled quantity per symbol, in each symbol\'s base units (filledQtyBySymbol), beside the old total', async () => {
    const subjects = subjectsFor('sxt');
    const bus = createMemoryBus();
    await bus.ensureStreams([{ name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
    const strategy = { strategy: 's1', onFeatures: () => Promise.resolve([]) } as unknown as StrategyCore;
    const expiresAt = T0 + 3_600_000;
    const risk = createRiskCore({
      account: 'acc',
      book: bookWithOrders([
        { id: 'o:btc', venue: VENUE, symbol: 'BTC/USDT', side: 'buy', qty: 0.5, strategy: 's1', expiresAt },
        { id: 'o:doge', venue: VENUE, symbol: 'DOGE/USDT', side: 'buy', qty: 300, strategy: 's1', expiresAt },
      ]),
    });
    const path = createDecisionPath(
      { bus, subjects, log: silentLogger, clock: createSimulatedClock(T0) },
      { strategy, timeframe: '1h', execution: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }), risk, venue: undefined },
    );
    const fill = (id: string, orderId: string, symbol: string, qty: number, price: number, ts: number, final: boolean): Fill => ({
      type: 'exec.fill', v: 1, id, ts, orderId, strategy: 's1', venue: VENUE, symbol, side: 'buy', qty, price, fee: 0, liquidity: 'taker', slippageBps: 0, final,
    });
    for (const f of [
      fill('x:btc:1', 'o:btc', 'BTC/USDT', 0.2, 42_000, T0 + 1, false),
      fill('x:doge:1', 'o:doge', 'DOGE/USDT', 300, 0.08, T0 + 2, true),
      fill('x:btc:2', 'o:btc', 'BTC/USDT', 0.3, 42_000, T0 + 3, true),
    ]) {
      expect(await path.onExternalFill(f)).toBeUndefined();
    }

    const s = path.stats();
    expect(s.fills).toBe(3);
    expect(s.filledQtyBySymbol).toEqual({ 'BTC/USDT': 0.5, 'DOGE/USDT': 300 });
    // The old key stays for readers of it (deprecated): the sum across symbols.
    expect(s.filledQty).toBe(300.5);
    // As a backtest's report.json (`counts`) and the demo's JSON line (`decisions`) write it.
    expect(JSON.parse(JSON.stringify({ ...s }))).toMatchObject({ filledQtyBySymbol: { 'BTC/USDT': 0.5, 'DOGE/USDT': 300 } });
    await bus.close();
  });
});
