import { describe, expect, it } from 'vitest';
import { watchIdle } from '../../cli/idle-watch.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';

describe('idle watch (decision.idleFlushMs)', () => {
  it('marks an asset idle between idleFlushMs and 1.2 × idleFlushMs after its last delivery, and never one that keeps delivering', () => {
    const clock = createSimulatedClock(0);
    const marked: [string, number][] = [];
    const w = watchIdle(clock, 2_000, ['a', 'b'], (k) => marked.push([k, clock.now()]));
    for (let t = 100; t <= 6_000; t += 100) {
      clock.advanceTo(t);
      if (t <= 1_000) w.pushed('a'); // a goes quiet after 1,000
      w.pushed('b'); // b delivers all along
    }
    const firstA = marked.find(([k]) => k === 'a')?.[1];
    expect(firstA).toBeGreaterThanOrEqual(1_000 + 2_000);
    expect(firstA).toBeLessThanOrEqual(1_000 + 2_400);
    expect(marked.some(([k]) => k === 'b')).toBe(false);
    w.stop();
    const n = marked.length;
    clock.advanceTo(20_000);
    expect(marked.length).toBe(n); // stopped: no more checks
  });
});
