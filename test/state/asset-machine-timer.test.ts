import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { AssetStatus, assetMachine, assetStatus } from '../../state/asset-machine.js';
import type { AssetMachineEvent } from '../../state/asset-machine.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';

const input = { venue: 'binance', symbol: 'BTC/USDT', staleAfterMs: 1_000 } as const;
const start = () => {
  const clock = createSimulatedClock(0);
  const actor = createActor(assetMachine, { clock, input }).start();
  return { clock, actor, status: () => assetStatus(actor.getSnapshot()) };
};

describe('asset machine staleness timer', () => {
  it('keeps exactly one timer pending however many batches arrive', () => {
    const m = start();
    expect(m.clock.pending()).toBe(0);
    for (let ts = 0; ts < 5_000; ts += 50) {
      m.clock.advanceTo(ts);
      m.actor.send({ type: 'DATA', ts, warm: ts > 100 });
      expect(m.clock.pending()).toBe(1);
    }
    expect(m.clock.nextDue()).toBe(4_950 + 1_000);
  });

  it('restarts on DATA received while halted, so fresh data resumes live', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 0, warm: true });
    m.actor.send({ type: 'HALT', reason: 'operator' });
    m.clock.advanceTo(800);
    m.actor.send({ type: 'DATA', ts: 800, warm: true });
    m.clock.advanceTo(1_700);
    expect(m.actor.getSnapshot().context.stale).toBe(false);
    m.actor.send({ type: 'RESUME' });
    expect(m.status()).toBe(AssetStatus.live);
    m.clock.advanceTo(1_800);
    expect(m.status()).toBe(AssetStatus.stale);
  });

  it('takes staleAfterMs from the input', () => {
    const clock = createSimulatedClock(0);
    const actor = createActor(assetMachine, { clock, input: { ...input, staleAfterMs: 60_000 } }).start();
    actor.send({ type: 'DATA', ts: 0, warm: true });
    expect(clock.nextDue()).toBe(60_000);
    clock.advanceTo(59_999);
    expect(actor.getSnapshot().value).toBe('live');
    clock.advanceTo(60_000);
    expect(actor.getSnapshot().value).toBe('stale');
  });

  it('leaves no timer behind when the actor stops', () => {
    const m = start();
    m.actor.send({ type: 'DATA', ts: 0, warm: true });
    expect(m.clock.pending()).toBe(1);
    m.actor.stop();
    expect(m.clock.pending()).toBe(0);
  });

  it('goes through the same states for the same events and event times, run after run', () => {
    const events: [number, AssetMachineEvent][] = [
      [0, { type: 'DATA', ts: 0, warm: false }],
      [500, { type: 'DATA', ts: 500, warm: true }],
      [2_000, { type: 'DATA', ts: 2_000, warm: true }],
      [2_100, { type: 'HALT', reason: 'risk' }],
      [4_000, { type: 'RESUME' }],
      [4_200, { type: 'DATA', ts: 4_200, warm: true }],
      [9_000, { type: 'DATA', ts: 9_000, warm: false }],
    ];
    const replay = (): string[] => {
      const m = start();
      const seen: string[] = [];
      m.actor.subscribe((s) => seen.push(`${m.clock.now()}:${assetStatus(s)}:${s.context.stale}`));
      for (const [at, e] of events) {
        m.clock.advanceTo(at); // due timers fire before the event, as in a replay
        m.actor.send(e);
      }
      m.clock.advanceBy(10_000);
      return seen;
    };
    const first = replay();
    expect(replay()).toEqual(first);
    expect(first).toContain('1500:stale:true');
    expect(first).toContain('4000:stale:true'); // resumed into stale: nothing since 2,000
    expect(first.at(-1)).toBe('10000:warming:true');
  });
});

describe('assetStatus', () => {
  it('names the lifecycle state of a snapshot', () => {
    const m = start();
    expect(m.status()).toBe('warming');
    m.actor.send({ type: 'DATA', ts: 0, warm: true });
    expect(m.status()).toBe('live');
    m.actor.send({ type: 'HALT', reason: 'x' });
    expect(m.status()).toBe('halted');
    expect(Object.values(AssetStatus)).toEqual(['warming', 'live', 'stale', 'halted']);
  });
});
