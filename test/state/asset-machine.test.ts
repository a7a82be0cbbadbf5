import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { assetMachine } from '../../state/asset-machine.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';

const start = () => {
  const clock = createSimulatedClock(0);
  const actor = createActor(assetMachine, { clock, input: { venue: 'binance', symbol: 'BTC/USDT', staleAfterMs: 1000 } });
  actor.start();
  return { clock, actor, value: () => actor.getSnapshot().value, ctx: () => actor.getSnapshot().context };
};

describe('asset lifecycle machine', () => {
  it('stays warming until the features are warm, then goes live', () => {
    const m = start();
    expect(m.value()).toBe('warming');
    m.actor.send({ type: 'DATA', ts: 100, warm: false });
    expect(m.value()).toBe('warming');
    m.actor.send({ type: 'DATA', ts: 200, warm: true });
    expect(m.value()).toBe('live');
    expect(m.ctx()).toMatchObject({ lastDataTs: 200, warm: true, stale: false });
  });

  it('turns stale after staleAfterMs without data, and each batch restarts that timer', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 0, warm: true });
    m.clock.advanceTo(900);
    m.actor.send({ type: 'DATA', ts: 900, warm: true });
    m.clock.advanceTo(1800);
    expect(m.value()).toBe('live');
    m.clock.advanceTo(1900);
    expect(m.value()).toBe('stale');
    m.actor.send({ type: 'DATA', ts: 2000, warm: true });
    expect(m.value()).toBe('live');
  });

  it('halts from any state and resumes to where the data says', () => {
    const m = start();
    m.actor.send({ type: 'HALT', reason: 'operator' });
    expect(m.value()).toBe('halted');
    expect(m.ctx().haltReason).toBe('operator');
    m.actor.send({ type: 'RESUME' });
    expect(m.value()).toBe('warming');

    m.actor.send({ type: 'DATA', ts: 10, warm: true });
    m.actor.send({ type: 'HALT', reason: 'risk' });
    m.actor.send({ type: 'DATA', ts: 20, warm: true });
    expect(m.value()).toBe('halted');
    m.actor.send({ type: 'RESUME' });
    expect(m.value()).toBe('live');
    expect(m.ctx().haltReason).toBeNull();

    m.actor.send({ type: 'HALT', reason: 'risk' });
    m.clock.advanceBy(5000);
    m.actor.send({ type: 'RESUME' });
    expect(m.value()).toBe('stale');
  });
});

describe('asset lifecycle machine, transition by transition', () => {
  it('starts warming with the input in context and nothing seen yet', () => {
    const m = start();
    expect(m.value()).toBe('warming');
    expect(m.ctx()).toEqual({ venue: 'binance', symbol: 'BTC/USDT', staleAfterMs: 1000, lastDataTs: null, warm: false, stale: false, haltReason: null });
  });

  it('does not turn stale while warming, however long no data arrives', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 0, warm: false });
    m.clock.advanceBy(10_000);
    expect(m.value()).toBe('warming');
  });

  it('turns stale exactly staleAfterMs after the last DATA in live, and marks the context stale', () => {
    const m = start();
    m.clock.advanceTo(500);
    m.actor.send({ type: 'DATA', ts: 500, warm: true });
    m.clock.advanceTo(1499);
    expect(m.value()).toBe('live');
    m.clock.advanceTo(1500);
    expect(m.value()).toBe('stale');
    expect(m.ctx()).toMatchObject({ stale: true, lastDataTs: 500, warm: true });
  });

  it('goes back to live on warm DATA in stale, clears the flag and restarts the timer', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 0, warm: true });
    m.clock.advanceTo(1000);
    expect(m.value()).toBe('stale');
    m.clock.advanceTo(3000);
    m.actor.send({ type: 'DATA', ts: 3000, warm: true });
    expect(m.value()).toBe('live');
    expect(m.ctx().stale).toBe(false);
    m.clock.advanceTo(3999);
    expect(m.value()).toBe('live');
    m.clock.advanceTo(4000);
    expect(m.value()).toBe('stale');
  });

  it('falls back to warming on DATA that is no longer warm, from live and from stale', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 0, warm: true });
    m.actor.send({ type: 'DATA', ts: 10, warm: false });
    expect(m.value()).toBe('warming');
    expect(m.ctx().warm).toBe(false);
    m.actor.send({ type: 'DATA', ts: 20, warm: true });
    m.clock.advanceBy(1000);
    expect(m.value()).toBe('stale');
    m.actor.send({ type: 'DATA', ts: 30, warm: false });
    expect(m.value()).toBe('warming');
  });

  it('keeps the newest event time when a batch reports an older one', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 500, warm: true });
    m.actor.send({ type: 'DATA', ts: 400, warm: true });
    expect(m.ctx().lastDataTs).toBe(500);
  });

  it('halts from warming, live and stale with the reason, and a second HALT replaces the reason', () => {
    for (const prepare of [
      (_m: ReturnType<typeof start>) => {},
      (m: ReturnType<typeof start>) => m.actor.send({ type: 'DATA', ts: 0, warm: true }),
      (m: ReturnType<typeof start>) => {
        m.actor.send({ type: 'DATA', ts: 0, warm: true });
        m.clock.advanceBy(1000);
      },
    ]) {
      const m = start();
      prepare(m);
      const from = m.value();
      m.actor.send({ type: 'HALT', reason: `from ${String(from)}` });
      expect(m.value()).toBe('halted');
      expect(m.ctx().haltReason).toBe(`from ${String(from)}`);
      m.actor.send({ type: 'HALT', reason: 'again' });
      expect(m.value()).toBe('halted');
      expect(m.ctx().haltReason).toBe('again');
    }
  });

  it('keeps the context current on DATA while halted and resumes to live when that data is fresh', () => {
    const m = start();
    m.actor.send({ type: 'HALT', reason: 'operator' });
    m.actor.send({ type: 'DATA', ts: 100, warm: false });
    m.actor.send({ type: 'DATA', ts: 200, warm: true });
    expect(m.value()).toBe('halted');
    expect(m.ctx()).toMatchObject({ lastDataTs: 200, warm: true, stale: false });
    m.clock.advanceBy(999);
    m.actor.send({ type: 'RESUME' });
    expect(m.value()).toBe('live');
    expect(m.ctx().haltReason).toBeNull();
    m.clock.advanceBy(1);
    expect(m.value()).toBe('stale');
  });

  it('counts the time without data before a halt towards staleness: resumes to stale', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 0, warm: true });
    m.clock.advanceTo(900);
    m.actor.send({ type: 'HALT', reason: 'operator' });
    m.clock.advanceTo(1000);
    expect(m.ctx().stale).toBe(true);
    m.actor.send({ type: 'RESUME' });
    expect(m.value()).toBe('stale');
  });

  it('resumes to live with the remaining time to staleness, not a fresh period', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 0, warm: true });
    m.clock.advanceTo(600);
    m.actor.send({ type: 'HALT', reason: 'operator' });
    m.clock.advanceTo(700);
    m.actor.send({ type: 'RESUME' });
    expect(m.value()).toBe('live');
    m.clock.advanceTo(1000);
    expect(m.value()).toBe('stale');
  });

  it('resumes to stale when the data went stale while halted, and to warming when never warm', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 0, warm: true });
    m.actor.send({ type: 'HALT', reason: 'operator' });
    m.clock.advanceBy(1000);
    expect(m.value()).toBe('halted');
    m.actor.send({ type: 'RESUME' });
    expect(m.value()).toBe('stale');
    expect(m.ctx()).toMatchObject({ stale: true, haltReason: null });

    const w = start();
    w.actor.send({ type: 'DATA', ts: 0, warm: false });
    w.actor.send({ type: 'HALT', reason: 'operator' });
    w.actor.send({ type: 'RESUME' });
    expect(w.value()).toBe('warming');
  });

  it('ignores RESUME when not halted', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 0, warm: true });
    m.actor.send({ type: 'RESUME' });
    expect(m.value()).toBe('live');
  });

  it('leaves no timer behind once stopped', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 0, warm: true });
    expect(m.clock.pending()).toBe(1);
    m.actor.stop();
    expect(m.clock.pending()).toBe(0);
  });
});
