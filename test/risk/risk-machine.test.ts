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
});
