import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, CTL_TIMEOUT_MS, startStallWorld, testSchema } from './control-world.js';
import type { Asked, StallWorld } from './control-world.js';

// Real PostgreSQL behind a proxy that plays the hung server; fails (never skips) when it is not
// reachable. Schema of this file only.
const schema = testSchema('ctl_riskhung');

// The control commands' risk writes were bounded server-side only (control.riskWriteTimeoutMs, SET
// LOCAL): a server that stopped answering kept them waiting the pool's query_timeout
// (postgres.queryTimeoutMs, 15 s), past sextant ctl's 5 s, so the operator read "engine not
// reached" for a resume that was not done. They now give the server up after the same bound.
describe('an operator command whose risk-store write gets no answer (a hung PostgreSQL) answers UNAVAILABLE before sextant ctl gives up', () => {
  let w: StallWorld;

  beforeAll(async () => {
    // As the engine wires them (cli/wiring.ts, cli/decisions.ts), with the configuration's defaults.
    w = await startStallWorld(schema);
    expect(w.cfg.postgres.queryTimeoutMs).toBeGreaterThan(CTL_TIMEOUT_MS); // what made the wait too long
  });
  afterAll(async () => {
    await w.close();
  });

  /** The reply within ctl's timeout; 'engine not reached' (the request timing out) fails the test. */
  const ask = (verb: string, args: unknown): Promise<Asked> => w.ask(verb, args);
  const stored = (): Promise<unknown> => w.stored();
  /** The server stops answering with the pool's connections open, as a running engine's are (a fresh connection would fail its 3 s connect instead). */
  const hang = async (): Promise<void> => {
    await w.store.load(ACCOUNT);
    w.proxy.stall();
  };
  /** The server answers again: the connection given up on was dropped, the others serve. */
  const recover = (): void => w.proxy.resume();

  it('a resume: UNAVAILABLE, not carried out (HALTED in the engine and in the store); resumes once the server answers', async () => {
    expect((await ask('halt', { reason: 'drill' })).reply).toMatchObject({ ok: true, result: { status: 'HALTED' } });
    expect(await stored()).toBe('HALTED');

    await hang();
    const resumed = await ask('resume', { reason: 'over' });
    expect(resumed.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(resumed.reply.ok ? '' : resumed.reply.error.message).toMatch(
      /^not resumed: storing it failed: save risk trading state: no answer from PostgreSQL within 1750 ms \(the write's bound, 1500 ms, and 250 for the server's own answer\) \(Query read timeout\); it may be hung or unreachable; the account stays HALTED$/,
    );
    expect(resumed.ms).toBeLessThan(3000); // 1500 + 250 ms, well under ctl's 5000
    expect(w.risk.status().state).toBe('HALTED');
    recover();
    expect(await stored()).toBe('HALTED'); // what a restart would find: the same

    expect((await ask('resume', { reason: 'over' })).reply).toMatchObject({ ok: true, result: { status: 'ACTIVE' } });
    expect(await stored()).toBe('ACTIVE');
  }, 20_000);

  it('a halt: UNAVAILABLE saying it is in force in the engine but not stored', async () => {
    await hang();
    const halted = await ask('halt', { reason: 'exchange incident' });
    expect(halted.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/^halted in this engine \(in force now\), but storing the halt failed: .*no answer from PostgreSQL within 1750 ms/) } });
    expect(halted.ms).toBeLessThan(3000);
    expect(w.risk.status().state).toBe('HALTED'); // the kill switch holds whatever the store says
    recover();
    expect(await stored()).toBe('ACTIVE');
  }, 20_000);

  it('limits set: UNAVAILABLE, the limits unchanged in the engine and in the store', async () => {
    const before = w.risk.core.getLimits();
    await hang();
    const set = await ask('limits.set', { patch: { maxOrderNotional: before.maxOrderNotional + 1 } });
    expect(set.reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/no answer from PostgreSQL within 1750 ms/) } });
    expect(set.ms).toBeLessThan(3000);
    expect(w.risk.core.getLimits()).toEqual(before);
    recover();
    expect((await w.store.load(ACCOUNT)).limits).toEqual(before);
  }, 20_000);
});
