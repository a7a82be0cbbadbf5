import { afterEach, describe, expect, it } from 'vitest';
import type { RiskActorHandle } from '../../actors/risk-actor.js';
import type { ControlReply } from '../../gateways/control/control-messages.js';
import { StoreError } from '../../state/errors.js';
import { createMemoryRiskStore } from '../../state/memory-risk-store.js';
import type { RiskStore } from '../../state/risk-store.js';
import { BTC } from '../risk/risk-fixtures.js';
import { startControlEngine } from './control-world.js';

/** control.riskWriteTimeoutMs for these tests: each command is answered within 100 + 2 × 250 ms. */
const BOUND_MS = 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type World = Readonly<{
  risk: RiskActorHandle;
  store: RiskStore;
  /** From now on the store's next write is under way and unanswered until the function it returns is called (then it is stored). */
  holdNextWrite(): () => void;
  ask(verb: string, args: unknown): Promise<ControlReply>;
  close(): Promise<void>;
}>;

async function world(): Promise<World> {
  const inner = createMemoryRiskStore();
  let held: Promise<void> | undefined;
  const releases: (() => void)[] = [];
  const gate = async (): Promise<void> => {
    const h = held;
    held = undefined;
    if (h !== undefined) await h;
  };
  const store: RiskStore = {
    ...inner,
    saveLimits: async (...a) => {
      await gate();
      await inner.saveLimits(...a);
    },
    saveTrading: async (...a) => {
      await gate();
      await inner.saveTrading(...a);
    },
  };
  const engine = await startControlEngine(store, { controlWriteTimeoutMs: BOUND_MS, known: { symbols: [BTC], strategies: ['alpha'] } });
  return {
    risk: engine.risk,
    store,
    holdNextWrite: () => {
      let release = (): void => {};
      held = new Promise<void>((r) => (release = r));
      releases.push(release);
      return () => release();
    },
    ask: async (verb, args) => (await engine.ask(verb, args)).reply,
    close: async () => {
      for (const r of releases) r(); // a test that failed before releasing its write would hold stop() for ever
      await engine.stop();
    },
  };
}

const message = (r: ControlReply): string => (r.ok ? '' : r.error.message);

// A command whose store write was under way at its deadline (its statements sent, no answer yet)
// answered 'not resumed: storing it failed: … it takes effect if the store still takes it; the
// account stays HALTED': the reply contradicted itself, and when the store took the write after
// it (a commit on its way), the engine resumed an account the operator had been told stayed halted.
describe('a command whose write was under way at its deadline is answered as not confirmed', () => {
  let w: World | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  it('resume: not confirmed, what to check; the engine resumes when the store takes it after the reply', async () => {
    w = await world();
    expect(await w.ask('halt', { reason: 'drill' })).toMatchObject({ ok: true });
    const release = w.holdNextWrite();
    const reply = await w.ask('resume', { reason: 'over' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(message(reply)).toMatch(
      /^resume not confirmed: risk store: no answer within 600 ms of the command \(control\.riskWriteTimeoutMs, 100 ms, and 2 × 250 for the store's answer\): the store has not answered its write; it takes effect if the store still takes it \(a write still waiting for a connection is given up\); the account is HALTED in this engine now: check `sextant ctl status` in a few seconds, and resume again if it is still halted$/,
    );
    expect(message(reply)).not.toMatch(/not resumed|stays HALTED/);
    expect(w.risk.status().state).toBe('HALTED');
    // The store takes the write after the reply: the engine resumes, as the reply said it might.
    release();
    await sleep(50);
    expect(w.risk.status().state).toBe('ACTIVE');
  });

  it('reduce and limits set: not confirmed either', async () => {
    w = await world();
    const release = w.holdNextWrite();
    const reduced = await w.ask('reduce', { reason: 'drill' });
    expect(message(reduced)).toMatch(/^reduce-only not confirmed: risk store: no answer within 600 ms .*; the account is ACTIVE in this engine now: check `sextant ctl status` in a few seconds, and reduce again if it is still ACTIVE$/);
    release();
    await sleep(50);
    expect(w.risk.status().state).toBe('REDUCING');
    const before = w.risk.getLimits();
    const releaseLimits = w.holdNextWrite();
    const set = await w.ask('limits.set', { patch: { maxOrderNotional: before.maxOrderNotional + 1 } });
    expect(message(set)).toMatch(/^limits change not confirmed: risk store: no answer within 600 ms .*; the limits in force in this engine now are those before: check `sextant ctl limits get` in a few seconds, and set them again if they still are$/);
    releaseLimits();
    await sleep(50);
    expect(w.risk.getLimits().maxOrderNotional).toBe(before.maxOrderNotional + 1);
  });

  it('a write that fails is still "not resumed … stays HALTED" (nothing stored)', async () => {
    w = await world();
    expect(await w.ask('halt', { reason: 'drill' })).toMatchObject({ ok: true });
    const failing: RiskStore = w.store;
    const save = failing.saveTrading;
    failing.saveTrading = async () => {
      failing.saveTrading = save;
      throw new StoreError('save risk trading state: canceling statement due to lock timeout', true);
    };
    const reply = await w.ask('resume', { reason: 'over' });
    expect(message(reply)).toBe('not resumed: storing it failed: save risk trading state: canceling statement due to lock timeout; the account stays HALTED');
  });
});
