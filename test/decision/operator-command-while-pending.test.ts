import { describe, expect, it } from 'vitest';
import type { AssetEvent } from '../../actors/event-sequencer.js';
import { createDueChanges, createOperatorChanges } from '../../actors/operator-changes.js';
import type { DueChanges, LimitsChange, TradingChange } from '../../actors/operator-changes.js';
import { startRiskActor } from '../../actors/risk-actor.js';
import type { RiskActorHandle } from '../../actors/risk-actor.js';
import type { TradingSnapshot } from '../../models/risk/risk-core.js';
import { parseRiskLimits } from '../../models/risk/risk-limits.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { baseLimits, T0 } from '../risk/risk-fixtures.js';
import { busFor, restartStores, runBetween, startLive } from './engine-restart.js';
import { isolatedConfig, trainedRegistry } from './engine-run.js';
import { feedLiveBars } from './live-bars-feed.js';

const A = 'asset:binance:BTC/USDT';
const limits = parseRiskLimits(baseLimits);
const trading = (state: TradingSnapshot['state'], seq: number): TradingSnapshot => ({ state, reason: state.toLowerCase(), scopedHalts: [], flattening: false, seq });
const event = (streamSeq: number): AssetEvent => ({ asset: A, streamSeq, md: { ts: T0 + streamSeq } }) as unknown as AssetEvent;

/**
 * Just after a restart: the risk actor starts from the trading state and limits stored with the
 * book, and the operator's changes stored after it wait for the first redelivered event past where
 * they took effect (`DueChanges`). An operator's command arriving in that wait must act on the
 * newest stored state: neither be overwritten by an older pending change applied later, nor reuse
 * the change number (`seq`, the risk.state id) of a stored one.
 */
async function restarted(pending: Readonly<{ trading: readonly TradingChange[]; limits: readonly LimitsChange[] }>): Promise<{ actor: RiskActorHandle; due: DueChanges }> {
  const bus = createMemoryBus();
  const clock = createSimulatedClock(T0);
  const late: { due?: DueChanges } = {}; // made once the actor is: it applies to its core
  const actor = await startRiskActor(
    { bus, subjects: subjectsFor('t'), store: createMemoryRiskStore(), clock, log: silentLogger },
    {
      account: 'acc',
      limits: baseLimits,
      consume: false,
      stored: { trading: trading('HALTED', 3), limits },
      changes: createOperatorChanges(pending),
      decidedNow: () => [[A, 10, T0]],
      beforeCommand: () => late.due?.flush(),
    },
  );
  const due = createDueChanges(pending, { trading: (t) => actor.core.restoreTrading(t), limits: (l) => actor.core.useLimits(l) });
  late.due = due;
  return { actor, due };
}

describe("an operator's command while changes stored before a crash still wait to be applied", () => {
  it('a halt is not undone by a resume stored before the crash, and takes the next change number', async () => {
    const { actor, due } = await restarted({ trading: [{ at: [[A, 12, T0]], trading: trading('ACTIVE', 4) }], limits: [] });
    const announced = await actor.halt({ reason: 'operator again' });
    due.at(event(13)); // the first redelivered event past the resume's point
    expect(actor.status().state).toBe('HALTED');
    expect(actor.status().reason).toBe('operator again');
    expect(announced.map((s) => s.id)).toEqual(['rs:acc:5']); // after the resume's 4: no id used twice
    expect(due.pending()).toBe(false);
  });

  it('limits set builds on the newest stored limits, and no older pending limits replace them', async () => {
    const { actor, due } = await restarted({ trading: [], limits: [{ at: [[A, 12, T0]], limits: { ...limits, maxOrderNotional: 7 } }] });
    const set = await actor.setLimits({ collarBps: 30 });
    expect([set.maxOrderNotional, set.collarBps]).toEqual([7, 30]);
    due.at(event(13));
    expect([actor.getLimits().maxOrderNotional, actor.getLimits().collarBps]).toEqual([7, 30]);
  });
});

describe("the engine: an operator's command just after a restart, before the changes stored after the book are reached", () => {
  it('puts those changes in force first: a halt given then is not undone by a resume stored before the crash', async () => {
    const symbols = ['BTC/USDT'];
    const from = Date.UTC(2024, 0, 1);
    const t1 = Date.UTC(2024, 0, 5);
    const registry = await trainedRegistry(symbols, from);
    const cfg = isolatedConfig(symbols);
    const riskStore = createMemoryRiskStore();
    const stores = restartStores(await busFor(cfg), registry, riskStore);
    await runBetween(cfg, stores, symbols, from, t1);
    // The row a crash left: the book taken while HALTED, then an operator's resume stored after it,
    // pending at a point one event past the book's marks (a change at or below them, one every
    // event is past, is in force from the start: nothing to wait for).
    const row = await riskStore.load(cfg.risk.account);
    const book = row.book as Record<string, unknown> & { decided: [string, number, number][] };
    const at = book.decided.map(([asset, seq, ts]) => [asset, seq + 1, ts]);
    await riskStore.saveBook(cfg.risk.account, { ...book, trading: trading('HALTED', 1) }, 0);
    await riskStore.saveTrading(cfg.risk.account, { ...trading('ACTIVE', 2), pending: [{ at, trading: trading('ACTIVE', 2) }] }, 0);

    const engine = await startLive(cfg, stores);
    try {
      expect(engine.decisions?.risk.status().state).toBe('HALTED'); // the book's, until the resume's point is reached
      // Given before any bar: it waits for the recovery (the resume put in force at its point), then holds.
      const halted = engine.decisions?.risk.halt({ reason: 'operator after the restart' });
      await feedLiveBars(engine, stores.bus, cfg, symbols, t1, t1 + 6 * 3_600_000);
      await halted;
      expect(engine.decisions?.risk.status()).toMatchObject({ state: 'HALTED', reason: 'operator after the restart' });
    } finally {
      await engine.stop();
    }
  }, 120_000);
});
