import { describe, expect, it } from 'vitest';
import { riskView, scopedHaltLines } from '../../../gateways/dashboard/src/risk-view.js';
import { RiskStateSchema } from '../../../streams/messages/risk-state.js';
import type { RiskState } from '../../../streams/messages/risk-state.js';

const change = (over: Partial<RiskState> = {}): RiskState =>
  RiskStateSchema.parse({
  type: 'risk.state',
  v: 1,
  id: 'rs:1',
  ts: Date.UTC(2024, 5, 1, 12),
  account: 'paper',
  previous: 'ACTIVE',
  state: 'HALTED',
  reason: 'operator halt',
  scopedHalts: [],
    ...over,
  });

describe('dashboard risk panel state', () => {
  it('shows the state of the book when the engine never changed state (no risk message at all)', () => {
    expect(riskView(null, { account: 'paper', state: 'ACTIVE' })).toEqual({ state: 'ACTIVE', line: 'paper: ACTIVE (no change of state seen)', banner: null });
    expect(riskView(null, null).state).toBe('UNKNOWN');
  });

  it('shows the last change with its reason while the book agrees, the book once it has moved on', () => {
    expect(riskView(change(), { account: 'paper', state: 'HALTED' })).toEqual({
      state: 'HALTED',
      line: 'paper: ACTIVE → HALTED at 2024-06-01 12:00 UTC — operator halt',
      banner: 'paper HALTED since 2024-06-01 12:00 UTC — operator halt',
    });
    expect(riskView(change(), null).state).toBe('HALTED');
    expect(riskView(change(), { account: 'paper', state: 'ACTIVE' }).state).toBe('ACTIVE');
  });

  it('says in the header banner an account that is not trading freely: halted, reducing, or with halts of a symbol or strategy in force; nothing while ACTIVE', () => {
    // The engine halted itself on a limit: the book says HALTED before (or without) the change reaching the page.
    expect(riskView(null, { account: 'paper', state: 'HALTED' }).banner).toBe('paper HALTED');
    expect(riskView(change({ state: 'REDUCING', reason: 'DRAWDOWN: 1504.3 > 1500' }), { account: 'paper', state: 'REDUCING' }).banner).toBe(
      'paper REDUCING since 2024-06-01 12:00 UTC — DRAWDOWN: 1504.3 > 1500',
    );
    // A halt of one symbol leaves the account ACTIVE: the badge is green, the banner says what is halted.
    const scoped = change({ previous: 'ACTIVE', state: 'ACTIVE', reason: 'halt BTC/USDT', scopedHalts: [{ scope: 'symbol', value: 'BTC/USDT' }, { scope: 'strategy', value: 'dir' }] });
    expect(riskView(scoped, { account: 'paper', state: 'ACTIVE' }).banner).toBe('paper: symbol BTC/USDT halted, strategy dir halted');
    // Resumed: nothing to say.
    expect(riskView(change({ previous: 'HALTED', state: 'ACTIVE', reason: 'resume' }), { account: 'paper', state: 'ACTIVE' }).banner).toBeNull();
    expect(riskView(change(), { account: 'paper', state: 'ACTIVE' }).banner).toBeNull();
    expect(riskView(null, null).banner).toBeNull();
  });

  it('says a change in force but not stored (stored: false) in the banner and the line; a stored change (no flag) does not', () => {
    const book = { account: 'paper', state: 'HALTED' } as const;
    const unstored = riskView(change({ stored: false }), book);
    expect(unstored.banner).toBe('paper HALTED (in force, not stored: a restart would not find it) since 2024-06-01 12:00 UTC — operator halt');
    expect(unstored.line).toBe('paper: ACTIVE → HALTED (in force, not stored: a restart would not find it) at 2024-06-01 12:00 UTC — operator halt');
    const scoped = change({ state: 'ACTIVE', reason: 'halt BTC/USDT', scopedHalts: [{ scope: 'symbol', value: 'BTC/USDT' }], stored: false });
    expect(riskView(scoped, { account: 'paper', state: 'ACTIVE' }).banner).toBe('paper: symbol BTC/USDT halted (in force, not stored: a restart would not find it)');
    expect(riskView(change({ stored: true }), book).banner).toBe('paper HALTED since 2024-06-01 12:00 UTC — operator halt');
    expect(riskView(change(), book).banner).toBe('paper HALTED since 2024-06-01 12:00 UTC — operator halt');
  });
  it("shows an operator's reason for a halt or resume of one symbol or strategy (scopedReason): on the line, beside each scoped halt, and in the banner", () => {
    const book = { account: 'paper', state: 'ACTIVE' } as const;
    const before = change({ id: 'rs:1', previous: 'HALTED', state: 'ACTIVE', reason: 'resume' });
    // sextant ctl halt --symbol BTC/USDT --reason "bad feed": the account's own reason stays "resume".
    const halted = change({ id: 'rs:2', previous: 'ACTIVE', state: 'ACTIVE', reason: 'resume', scopedReason: 'bad feed', scopedHalts: [{ scope: 'symbol', value: 'BTC/USDT', reason: 'bad feed' }] });
    expect(riskView(halted, book, before)).toEqual({
      state: 'ACTIVE',
      line: 'paper: symbol BTC/USDT halted at 2024-06-01 12:00 UTC — bad feed',
      banner: 'paper: symbol BTC/USDT halted (bad feed)',
    });
    expect(scopedHaltLines(halted)).toEqual(['halted symbol BTC/USDT — bad feed']);
    // Seen with no change before it (a page opened after the halt): the halt's reason still shows.
    expect(riskView(halted, book).line).toBe('paper: scoped halt or resume at 2024-06-01 12:00 UTC — bad feed');
    // A later change (the account halted on a limit) keeps each scoped halt's reason.
    const breach = change({ id: 'rs:3', previous: 'ACTIVE', state: 'HALTED', reason: 'DAILY_LOSS: 510 > 500', scopedHalts: halted.scopedHalts });
    expect(scopedHaltLines(breach)).toEqual(['halted symbol BTC/USDT — bad feed']);
    // Resumed while the account is halted: the resume's reason, and the account's state beside it.
    const resumed = change({ id: 'rs:4', previous: 'HALTED', state: 'HALTED', reason: 'DAILY_LOSS: 510 > 500', scopedReason: 'feed back', scopedHalts: [] });
    expect(riskView(resumed, { account: 'paper', state: 'HALTED' }, breach).line).toBe('paper: symbol BTC/USDT resumed at 2024-06-01 12:00 UTC — feed back (account HALTED — DAILY_LOSS: 510 > 500)');
    expect(scopedHaltLines(resumed)).toEqual([]);
    // A scoped halt from an engine that does not send its reason: listed without one.
    expect(scopedHaltLines(change({ scopedHalts: [{ scope: 'strategy', value: 'dir' }] }))).toEqual(['halted strategy dir']);
  });
});
