import { describe, expect, it } from 'vitest';
import { createDecisionPath } from '../../actors/decision-path.js';
import type { DecidedMark } from '../../actors/decided-marks.js';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { createExecutionCore } from '../../models/execution/execution-core.js';
import { twapPolicy } from '../../models/execution/twap-policy.js';
import type { StrategyCore } from '../../models/inference/strategy-core.js';
import { createRiskCore } from '../../models/risk/risk-core.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import type { Trade } from '../../streams/messages/trade.js';
import { subjectsFor } from '../../streams/subjects.js';

const VENUE = 'binance';
const SYMBOL = 'BTC/USDT';
const ASSET = `${VENUE}:${SYMBOL}`;
const T0 = Date.UTC(2024, 0, 1);

/**
 * A release that throws part-way (its model call failed, a defect) leaves the risk state half-way
 * through it, with its first slices' publications not waited for by any write. A risk write taken
 * after it (the spacing timer, or an asset actor asking for its coverage) stored that half release
 * and marked its events decided, so a restart skipped events whose outputs may never have been stored.
 */
describe('decision path: a release that fails part-way', () => {
  it('stops the risk writes: none is taken of the half release, and what waited for one fails', async () => {
    const subjects = subjectsFor('sxt');
    const bus = createMemoryBus();
    await bus.ensureStreams([{ name: 'SIGNALS', subjects: subjects.streamSubjects.SIGNALS, maxAgeMs: 0, duplicateWindowMs: 120_000, storage: 'memory' }]);
    const strategy = { strategy: 's1', onFeatures: () => Promise.resolve([]) } as unknown as StrategyCore;
    let decidedEvents = 0;
    const captures: DecidedMark[][] = [];
    const path = createDecisionPath(
      { bus, subjects, log: silentLogger, clock: createSimulatedClock(T0) },
      {
        strategy,
        timeframe: '1h',
        execution: createExecutionCore({ strategy: 's1', policy: twapPolicy({ slices: 1 }), minQty: 0.001 }),
        risk: createRiskCore({ account: 'acc' }),
        venue: undefined,
        // A defect on the 400th event of the second release (in its second slice).
        observer: {
          event: () => {
            if (++decidedEvents === 10 + 400) throw new Error('defect');
          },
        },
        riskCheckpointMs: 60_000,
        persistRisk: (_, decided) => {
          captures.push([...decided]);
          return () => Promise.resolve();
        },
      },
    );
    const trade = (i: number): Trade => ({ type: 'md.trade', v: 1, id: `t:${i}`, venue: VENUE, symbol: SYMBOL, price: 42_000, qty: 0.01, side: 'buy', ts: T0 + i });
    const events = (from: number, n: number): AssetEvent[] => Array.from({ length: n }, (_, i) => ({ asset: ASSET, streamSeq: from + i, md: trade(from + i), vector: undefined }));

    await path.onRelease(events(1, 10)); // waits for the spaced write
    const first = path.covered();
    first.catch(() => {});
    await expect(path.onRelease(events(11, 700))).rejects.toThrow('defect');
    // An asset actor asks for the coverage of what it handed over: no write of the half release.
    await expect(path.covered(true)).rejects.toThrow('defect');
    await expect(first).rejects.toThrow('defect');
    expect(captures).toEqual([]);
    await expect(path.failed()).resolves.toMatchObject({ message: 'defect' });
    await bus.close();
  });
});
