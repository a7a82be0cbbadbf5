import { describe, expect, it } from 'vitest';
import { createDecisionPath } from '../../actors/decision-path.js';
import type { DecidedMark } from '../../actors/decided-marks.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import type { TradingChange } from '../../actors/operator-changes.js';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import type { StrategyCore } from '../../models/inference/strategy-core.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import type { TradingSnapshot } from '../../models/risk/risk-core.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import type { Logger } from '../../state/logger.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { RiskStateSchema } from '../../streams/messages/risk-state.js';
import type { RiskState, TradingState } from '../../streams/messages/risk-state.js';
import type { Trade } from '../../streams/messages/trade.js';
import { subjectsFor } from '../../streams/subjects.js';

const VENUE = 'binance';
const A = `${VENUE}:BTC/USDT`;
const B = `${VENUE}:ETH/USDT`;
const T0 = Date.UTC(2024, 0, 1);

const halted = (seq: number): TradingSnapshot => ({ state: 'HALTED', reason: 'operator', scopedHalts: [], flattening: false, seq });
const trade = (asset: string, seq: number, ts: number): AssetEvent => {
  const symbol = asset.slice(VENUE.length + 1);
  const md: Trade = { type: 'md.trade', v: 1, id: `t:${asset}:${seq}:${ts}`, venue: VENUE, symbol, price: 100, qty: 0.01, side: 'buy', ts };
  return { asset, streamSeq: seq, md, vector: undefined };
};

/**
 * A restarted decision path (in-process bus) from a book with `decided` marks, a halt stored after
 * it (`pending`), and `assets` configured. Reports the trading state each event was decided under,
 * the risk.state announcements, and the warnings.
 */
async function restarted(decided: readonly DecidedMark[], pending: readonly TradingChange[], events: readonly AssetEvent[], assets = [A, B]) {
  const subjects = subjectsFor('sxt');
  const bus = createMemoryBus();
  await bus.ensureStreams([{ name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
  const announced: RiskState[] = [];
  bus.subscribe(subjects.riskState(), (_s, data) => announced.push(RiskStateSchema.parse(JSON.parse(new TextDecoder().decode(data)))));
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (_o: unknown, msg?: string) => void warnings.push(msg ?? ''), child: () => log } as unknown as Logger;
  const risk = createRiskCore({ account: 'acc' });
  const decidedUnder: [string, number, TradingState][] = [];
  const path = createDecisionPath(
    { bus, subjects, log, clock: createSimulatedClock(T0 + 1_000) },
    {
      strategy: { strategy: 's1', onFeatures: () => Promise.resolve([]) } as unknown as StrategyCore,
      timeframe: '1h',
      execution: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }),
      risk,
      venue: undefined,
      observer: { event: (e) => void decidedUnder.push([e.asset, e.streamSeq, risk.trading().state]) },
      decided,
      operatorChanges: { trading: pending, limits: [] },
      assets,
    },
  );
  const atStart = risk.trading().state;
  if (events.length > 0) await path.onRelease(events);
  await new Promise((r) => setImmediate(r)); // core subscribers hear it on the next turn
  await bus.close();
  return { atStart, decidedUnder, announced, warnings };
}

describe('a change stored after the restored book at a point that cannot be reached after the restart', () => {
  /**
   * The first run decided B up to sequence 7 (event time T0+7) after the book's mark (5, T0+5) and
   * was halted there; then a crash. B's stream was rebuilt before the restart (its sequences
   * started again): its events are new market data, which the first run decided under the halt
   * had it seen them. Before, the halt waited for an event of B past 7 (or of another asset past
   * its mark, or the next command): B's new events 1, 2, 3 were decided ACTIVE, their orders
   * published. They are decided HALTED, the halt in force before the first of them.
   */
  it.each<[string, readonly DecidedMark[], number]>([
    ['newer than the restored mark and than the change', [[A, 10, T0 + 10], [B, 5, T0 + 5]], T0 + 100],
    ['newer than the restored mark, not than the change', [[A, 10, T0 + 10], [B, 5, T0 + 5]], T0 + 6],
    ['with no mark restored for it, newer than the change', [[A, 10, T0 + 10]], T0 + 100],
  ])('a rebuilt stream (its events %s): the halt is in force before its first event is decided', async (_, decided, from) => {
    const halt = { at: [[A, 10, T0 + 10], [B, 7, T0 + 7]] as DecidedMark[], trading: halted(3) };
    const r = await restarted(decided, [halt], [trade(B, 1, from), trade(B, 2, from + 1), trade(B, 3, from + 2)]);
    expect(r.atStart).toBe('ACTIVE'); // B's redelivered 6, 7 would have been decided before it
    expect(r.decidedUnder).toEqual([
      [B, 1, 'HALTED'],
      [B, 2, 'HALTED'],
      [B, 3, 'HALTED'],
    ]);
    expect(r.warnings.some((w) => w.includes('cannot be reached') && w.includes(B))).toBe(true);
    expect(r.announced.map((s) => [s.id, s.state, s.previous])).toEqual([['rs:acc:3', 'HALTED', 'ACTIVE']]);
    // On an intact stream the redelivered events at or below its marks are still decided before it.
    const intact = await restarted([[A, 10, T0 + 10], [B, 5, T0 + 5]], [halt], [trade(B, 6, T0 + 6), trade(B, 7, T0 + 7), trade(B, 8, T0 + 8)]);
    expect(intact.decidedUnder).toEqual([
      [B, 6, 'ACTIVE'],
      [B, 7, 'ACTIVE'],
      [B, 8, 'HALTED'],
    ]);
    expect(intact.warnings.filter((w) => w.includes('cannot be reached'))).toEqual([]);
  });

  /**
   * ETH/USDT removed from the configuration: the halt's mark there never comes, and it waited for
   * an event of BTC/USDT past its own (a quiet market: none) or the next command's 5 s wait.
   */
  it('a symbol no longer configured: in force once the other assets reach theirs, at start when they have', async () => {
    const halt = { at: [[A, 10, T0 + 10], [B, 7, T0 + 7]] as DecidedMark[], trading: halted(3) };
    const r = await restarted([[A, 10, T0 + 10], [B, 5, T0 + 5]], [halt], [], [A]);
    expect(r.atStart).toBe('HALTED');
    expect(r.warnings.some((w) => w.includes('no longer configured') && w.includes(B))).toBe(true);
    const before = await restarted([[A, 8, T0 + 8]], [halt], [trade(A, 9, T0 + 9), trade(A, 10, T0 + 10), trade(A, 11, T0 + 11)], [A]);
    expect(before.decidedUnder).toEqual([
      [A, 9, 'ACTIVE'],
      [A, 10, 'ACTIVE'],
      [A, 11, 'HALTED'],
    ]);
  });

  /**
   * The first run announced the halt when it was given; the restarted engine announced nothing of
   * it, so a dashboard, the websocket gateway's last state or the metrics started after the
   * restart showed ACTIVE while the engine was halted.
   */
  it('is announced on sx.risk.state when put in force, with the id the first run announced it with', async () => {
    const halt = { at: [[A, 10, T0 + 10], [B, 5, T0 + 5]] as DecidedMark[], trading: halted(4) };
    const r = await restarted([[A, 10, T0 + 10], [B, 5, T0 + 5]], [halt], []);
    expect(r.atStart).toBe('HALTED');
    expect(r.announced).toEqual([expect.objectContaining({ id: 'rs:acc:4', account: 'acc', state: 'HALTED', previous: 'ACTIVE', reason: 'operator', scopedHalts: [] })]);
  });
});
