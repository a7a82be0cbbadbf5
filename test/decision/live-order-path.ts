import { createDecisionPath } from '../../actors/decision-path.js';
import type { DecisionPath, DecisionPathOptions } from '../../actors/decision-path.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import type { StrategyCore } from '../../models/inference/strategy-core.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import type { RiskCore } from '../../models/risk/risk-core.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { MemoryBus } from '../../streams/memory-bus.js';
import type { Fill } from '../../streams/messages/fill.js';
import { subjectsFor } from '../../streams/subjects.js';
import { bookWithOrders } from '../support/approved-orders.js';

/**
 * The world of the decision path tests of a live desk's reports (external-fill-release,
 * external-report-write): the paper venue off, a risk core holding the desk's order `o:live`
 * (0.5 BTC/USDT bought on binance by s1, expiring an hour after T0), a memory bus, and a strategy
 * never asked for a prediction (the tests feed trades only: nothing is scored).
 */

export const VENUE = 'binance';
export const SYMBOL = 'BTC/USDT';
export const T0 = Date.UTC(2024, 0, 1);
export const HOUR = 3_600_000;

export type LiveOrderPath = Readonly<{
  bus: MemoryBus;
  risk: RiskCore;
  path: DecisionPath;
  /** The market data event of stream sequence `seq`: a trade of the world's symbol at `ts`. */
  trade(seq: number, ts: number): AssetEvent;
  /** The desk's final fill of `qty` of `o:live`, just after T0. */
  fill(qty: number): Fill;
}>;

/** The world, its decision path seeing the decided stream through `observer` and writing the risk state with `persistRisk`. */
export async function liveOrderPath(hooks: Pick<DecisionPathOptions, 'observer' | 'persistRisk'>): Promise<LiveOrderPath> {
  const subjects = subjectsFor('sxt');
  const bus = createMemoryBus();
  await bus.ensureStreams([{ name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
  const strategy = { strategy: 's1', onFeatures: () => Promise.resolve([]) } as unknown as StrategyCore;
  const risk = createRiskCore({ account: 'acc', book: bookWithOrders([{ id: 'o:live', venue: VENUE, symbol: SYMBOL, side: 'buy', qty: 0.5, strategy: 's1', expiresAt: T0 + HOUR }]) });
  const path = createDecisionPath(
    { bus, subjects, log: silentLogger, clock: createSimulatedClock(T0) },
    {
      strategy,
      timeframe: '1h',
      execution: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }),
      risk,
      venue: undefined,
      ...hooks,
    },
  );
  return {
    bus,
    risk,
    path,
    trade: (seq, ts) => ({
      asset: `${VENUE}:${SYMBOL}`,
      streamSeq: seq,
      md: { type: 'md.trade', v: 1, id: `t:${seq}`, venue: VENUE, symbol: SYMBOL, price: 42_000, qty: 0.01, side: 'buy', ts },
      vector: undefined,
    }),
    fill: (qty) => ({ type: 'exec.fill', v: 1, id: 'x:live:1', ts: T0 + 1, orderId: 'o:live', strategy: 's1', venue: VENUE, symbol: SYMBOL, side: 'buy', qty, price: 42_000, fee: 0.1, liquidity: 'taker', slippageBps: 0, final: true }),
  };
}
