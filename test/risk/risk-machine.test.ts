import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { restoreRiskSnapshot, riskMachine, tradingStateOf } from '../../state/risk-machine.js';

const start = () => createActor(riskMachine).start();

describe('risk machine', () => {
  it('starts ACTIVE and goes ACTIVE → REDUCING → HALTED → ACTIVE on operator events, keeping the reason', () => {
    const a = start();
    expect(a.getSnapshot().value).toBe('ACTIVE');
    a.send({ type: 'REDUCE', reason: 'flatten before close' });
    expect(a.getSnapshot().value).toBe('REDUCING');
    expect(a.getSnapshot().context.reason).toBe('flatten before close');
    a.send({ type: 'HALT', reason: 'venue outage' });
    expect(a.getSnapshot().value).toBe('HALTED');
    expect(a.getSnapshot().context.reason).toBe('venue outage');
    a.send({ type: 'RESUME', reason: 'venue back' });
    expect(a.getSnapshot().value).toBe('ACTIVE');
    expect(a.getSnapshot().context.reason).toBe('venue back');
  });

  it('halts by itself on a limit breach from ACTIVE or REDUCING, with the breached limit as reason', () => {
    const a = start();
    a.send({ type: 'LIMIT_BREACH', kind: 'DAILY_LOSS', detail: 'daily loss 1200 > 1000' });
    expect(a.getSnapshot().value).toBe('HALTED');
    expect(a.getSnapshot().context.reason).toBe('DAILY_LOSS: daily loss 1200 > 1000');
    const b = start();
    b.send({ type: 'REDUCE', reason: 'r' });
    b.send({ type: 'LIMIT_BREACH', kind: 'DRAWDOWN', detail: 'dd' });
    expect(b.getSnapshot().value).toBe('HALTED');
    expect(b.getSnapshot().context.reason).toBe('DRAWDOWN: dd');
  });

  it('ignores RESUME while ACTIVE and a breach while HALTED (the first reason stays)', () => {
    const a = start();
    a.send({ type: 'RESUME', reason: 'noop' });
    expect(a.getSnapshot().value).toBe('ACTIVE');
    expect(a.getSnapshot().context.reason).toBe('start');
    a.send({ type: 'HALT', reason: 'operator' });
    a.send({ type: 'LIMIT_BREACH', kind: 'DRAWDOWN', detail: 'dd' });
    expect(a.getSnapshot().context.reason).toBe('operator');
  });

  it('steps a halted account down to REDUCING', () => {
    const a = start();
    a.send({ type: 'HALT', reason: 'h' });
    a.send({ type: 'REDUCE', reason: 'flatten' });
    expect(a.getSnapshot().value).toBe('REDUCING');
  });

  it('restores a persisted state and reason', () => {
    const a = createActor(riskMachine, { snapshot: restoreRiskSnapshot('HALTED', 'DAILY_LOSS: x') }).start();
    expect(tradingStateOf(a.getSnapshot())).toBe('HALTED');
    expect(a.getSnapshot().context.reason).toBe('DAILY_LOSS: x');
    a.send({ type: 'RESUME', reason: 'ok' });
    expect(tradingStateOf(a.getSnapshot())).toBe('ACTIVE');
  });

  it('flattens before halting when the breach asks to: REDUCING and flattening, breaches ignored meanwhile, FLAT halts', () => {
    const a = start();
    a.send({ type: 'LIMIT_BREACH', kind: 'DRAWDOWN', detail: 'dd 60 > 50', flatten: true });
    expect([a.getSnapshot().value, a.getSnapshot().context]).toEqual(['REDUCING', { reason: 'DRAWDOWN: dd 60 > 50; flattening', flattening: true }]);
    a.send({ type: 'LIMIT_BREACH', kind: 'DAILY_LOSS', detail: 'later', flatten: true });
    a.send({ type: 'LIMIT_BREACH', kind: 'DAILY_LOSS', detail: 'later' });
    expect(a.getSnapshot().context.reason).toBe('DRAWDOWN: dd 60 > 50; flattening');
    a.send({ type: 'FLAT' });
    expect([a.getSnapshot().value, a.getSnapshot().context]).toEqual(['HALTED', { reason: 'DRAWDOWN: dd 60 > 50; flattened', flattening: false }]);
    // FLAT means nothing outside flattening.
    const b = start();
    b.send({ type: 'FLAT' });
    b.send({ type: 'REDUCE', reason: 'r' });
    b.send({ type: 'FLAT' });
    expect(b.getSnapshot().value).toBe('REDUCING');
    // A plain REDUCING account still halts at once on a breach that does not ask to flatten, and
    // flattens on one that does.
    b.send({ type: 'LIMIT_BREACH', kind: 'DRAWDOWN', detail: 'dd', flatten: true });
    expect(b.getSnapshot().context.flattening).toBe(true);
    const c = start();
    c.send({ type: 'REDUCE', reason: 'r' });
    c.send({ type: 'LIMIT_BREACH', kind: 'DRAWDOWN', detail: 'dd' });
    expect(c.getSnapshot().value).toBe('HALTED');
  });

  it('lets an operator flatten from any state, and any later command ends the flattening', () => {
    for (const from of ['ACTIVE', 'REDUCING', 'HALTED'] as const) {
      const a = createActor(riskMachine, { snapshot: restoreRiskSnapshot(from, 'x') }).start();
      a.send({ type: 'REDUCE', reason: 'close all', flatten: true });
      expect([a.getSnapshot().value, a.getSnapshot().context.flattening]).toEqual(['REDUCING', true]);
    }
    const a = start();
    a.send({ type: 'REDUCE', reason: 'close all', flatten: true });
    a.send({ type: 'REDUCE', reason: 'only reduce' });
    expect([a.getSnapshot().value, a.getSnapshot().context.flattening]).toEqual(['REDUCING', false]);
    a.send({ type: 'REDUCE', reason: 'close all', flatten: true });
    a.send({ type: 'RESUME', reason: 'back' });
    expect([a.getSnapshot().value, a.getSnapshot().context.flattening]).toEqual(['ACTIVE', false]);
    // Restored flattening only where it means something (REDUCING).
    expect(createActor(riskMachine, { snapshot: restoreRiskSnapshot('REDUCING', 'r', true) }).start().getSnapshot().context.flattening).toBe(true);
    expect(createActor(riskMachine, { snapshot: restoreRiskSnapshot('HALTED', 'r', true) }).start().getSnapshot().context.flattening).toBe(false);
  });
});
