import { describe, expect, it } from 'vitest';
import { startRiskActor } from '../../actors/risk-actor.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { subjectsFor } from '../../streams/subjects.js';
import { parseRiskLimits } from '../../models/risk/risk-limits.js';
import type { RiskLimits } from '../../models/risk/risk-limits.js';
import { createOperatorChanges } from '../../actors/operator-changes.js';
import { restoredOperatorState } from '../../cli/restored-operator-state.js';
import { baseLimits, BTC, ETH, T0 } from './risk-fixtures.js';

/**
 * Stored limits win over the configuration's, so `ctl limits set` survives a restart. An operator
 * who changed `risk.limits` in the configuration and restarted got the stored value enforced
 * (`limits get`: maxOrderNotional 5000 with 1234 configured) and not a word about it: the start
 * now warns, naming each limit in force that the configuration does not say.
 */
describe('risk actor: stored limits that differ from the configuration', () => {
  const start = async (configLimits: typeof baseLimits, warnings: string[]) => {
    const store = createMemoryRiskStore();
    const deps = { bus: createMemoryBus(), subjects: subjectsFor('sx'), store, clock: createSimulatedClock(T0) };
    const first = await startRiskActor({ ...deps, log: silentLogger }, { account: 'acc', limits: baseLimits, consume: false });
    await first.setLimits({ maxOrderNotional: 5000, maxPositionQty: { perSymbol: { [ETH]: 7 } } });
    await first.stop();
    const log: Logger = { ...silentLogger, warn: (o: unknown, msg?: string) => void warnings.push(`${msg ?? ''} ${JSON.stringify(o)}`), child: () => log };
    return startRiskActor({ ...deps, log }, { account: 'acc', limits: configLimits, consume: false });
  };

  it('warns at start, naming the limits in force and the configured values, and keeps the stored ones', async () => {
    const warnings: string[] = [];
    const actor = await start({ ...baseLimits, maxOrderNotional: 1234 }, warnings);
    expect(actor.getLimits().maxOrderNotional).toBe(5000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/risk limits maxOrderNotional, maxPositionQty stored for account acc differ from the configuration's: the stored ones are in force/);
    expect(warnings[0]).toContain('"maxOrderNotional":{"inForce":5000,"config":1234}');
    await actor.stop();
  });

  it('says nothing when the stored limits are the configuration’s (allowlist and per-symbol maps in any order)', async () => {
    const warnings: string[] = [];
    const store = createMemoryRiskStore();
    const deps = { bus: createMemoryBus(), subjects: subjectsFor('sx'), store, clock: createSimulatedClock(T0) };
    const log: Logger = { ...silentLogger, warn: (o: unknown, msg?: string) => void warnings.push(`${msg ?? ''} ${JSON.stringify(o)}`), child: () => log };
    const limits = { ...baseLimits, maxOrderQty: { default: 10, perSymbol: { [BTC]: 2, [ETH]: 5 } } };
    await (await startRiskActor({ ...deps, log }, { account: 'acc', limits, consume: false })).stop();
    const reordered = { ...baseLimits, allowlist: [ETH, BTC], maxOrderQty: { perSymbol: { [ETH]: 5, [BTC]: 2 }, default: 10 } };
    await (await startRiskActor({ ...deps, log }, { account: 'acc', limits: reordered, consume: false })).stop();
    expect(warnings).toEqual([]);
  });

  /**
   * Limits stored before `unreportedExpiryGraceMs` existed (an upgrade) took its 60 s default
   * without a word: the start now says which limits the stored row lacks and that the defaults are
   * in force, apart from the drift warning (the row holds no value that differs).
   */
  it('says once at start which limits the stored row lacks, with the defaults in force, and not as a stored value', async () => {
    const store = createMemoryRiskStore();
    const { unreportedExpiryGraceMs: _grace, ...older } = parseRiskLimits(baseLimits);
    await store.saveLimits('acc', older, T0);
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (o: unknown, msg?: string) => void warnings.push(`${msg ?? ''} ${JSON.stringify(o)}`), child: () => log };
    const deps = { bus: createMemoryBus(), subjects: subjectsFor('sx'), store, clock: createSimulatedClock(T0), log };
    const actor = await startRiskActor(deps, { account: 'acc', limits: { ...baseLimits, unreportedExpiryGraceMs: 30_000 }, consume: false });
    expect(actor.getLimits().unreportedExpiryGraceMs).toBe(60_000); // the conservative default, as before
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^risk limits stored for account acc have no unreportedExpiryGraceMs \(stored before it existed\): the default is in force, not the configuration's/);
    expect(warnings[0]).toContain('"defaulted":{"unreportedExpiryGraceMs":60000}');
    expect(warnings[0]).toContain('"configNotUsed":{"unreportedExpiryGraceMs":30000}');
    await actor.stop();
    // A row that has every limit: nothing said.
    const full = createMemoryRiskStore();
    await full.saveLimits('acc', parseRiskLimits(baseLimits), T0);
    warnings.length = 0;
    await (await startRiskActor({ ...deps, store: full }, { account: 'acc', limits: baseLimits, consume: false })).stop();
    expect(warnings).toEqual([]);
  });

  /**
   * After a crash following a `limits set`, the risk actor starts from the limits stored with the
   * book, and the newer limits stored after it wait in `pending` to be put in force where they took
   * effect. The start compared the configuration with the book's limits: a warning for a drift the
   * operator had just undone, and none for the one just made.
   */
  it('after a restart, compares the configuration with the newest stored limits, the pending ones', async () => {
    const full = parseRiskLimits(baseLimits);
    const startWith = async (book: RiskLimits, pending: RiskLimits): Promise<string[]> => {
      const warnings: string[] = [];
      const log: Logger = { ...silentLogger, warn: (o: unknown, msg?: string) => void warnings.push(`${msg ?? ''} ${JSON.stringify(o)}`), child: () => log };
      const deps = { bus: createMemoryBus(), subjects: subjectsFor('sx'), store: createMemoryRiskStore(), clock: createSimulatedClock(T0), log };
      const changes = createOperatorChanges({ trading: [], limits: [{ at: [['asset:binance:BTC/USDT', 10, T0]], limits: pending }] });
      const actor = await startRiskActor(deps, { account: 'acc', limits: baseLimits, consume: false, stored: { limits: book }, changes, decidedNow: () => [] });
      expect(actor.getLimits()).toEqual(book); // the pending ones are put in force by the decision path, later
      await actor.stop();
      return warnings;
    };
    // Book as configured, `limits set maxOrderNotional=7` after it: that drift is said.
    const drifted = await startWith(full, { ...full, maxOrderNotional: 7 });
    expect(drifted).toHaveLength(1);
    expect(drifted[0]).toMatch(/^risk limits maxOrderNotional stored for account acc differ from the configuration's/);
    expect(drifted[0]).toContain('"maxOrderNotional":{"inForce":7,"config":100000}');
    // Book with 7, the operator set back to the configuration's after it: nothing to say.
    expect(await startWith({ ...full, maxOrderNotional: 7 }, full)).toEqual([]);
  });
});

describe('risk actor in the engine: limits stored with the risk book', () => {
  /**
   * After a restart the engine's risk actor starts from the limits stored with the book
   * (cli/restored-operator-state.ts). Those were handed over parsed, a limit the row lacks filled
   * with its default, so the start said nothing of a limit added since the book was written.
   */
  it('says which limits the book row lacks (stored before they existed), as for the limits row', async () => {
    const { unreportedExpiryGraceMs: _grace, ...older } = parseRiskLimits(baseLimits);
    const row = { book: { book: {}, seen: [], decided: [], trading: { state: 'ACTIVE', reason: 'start', scopedHalts: [], flattening: false, seq: 0 }, limits: older }, limits: older };
    const restored = restoredOperatorState(row, silentLogger);
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (o: unknown, msg?: string) => void warnings.push(`${msg ?? ''} ${JSON.stringify(o)}`), child: () => log };
    const deps = { bus: createMemoryBus(), subjects: subjectsFor('sx'), store: createMemoryRiskStore(), clock: createSimulatedClock(T0), log };
    const actor = await startRiskActor(deps, { account: 'acc', limits: baseLimits, consume: false, stored: { limits: restored.stored.limits } });
    expect(actor.getLimits().unreportedExpiryGraceMs).toBe(60_000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^risk limits stored for account acc have no unreportedExpiryGraceMs/);
    await actor.stop();
  });
});
