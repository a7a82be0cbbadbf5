import { describe, expect, it } from 'vitest';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';

// Ordering, nesting, clearing and monotonicity are in clocks.test.ts; these are the edges.
describe('simulated clock, edges', () => {
  it('orders by due time across timers scheduled at different moments, then by scheduling', () => {
    const clock = createSimulatedClock(0);
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now()}`);
    clock.setTimeout(at('c'), 30);
    clock.setTimeout(at('a1'), 10);
    clock.advanceTo(5);
    clock.setTimeout(at('a2'), 5);
    clock.setTimeout(at('b'), 15);
    clock.advanceTo(30);
    expect(fired).toEqual(['a1@10', 'a2@10', 'b@20', 'c@30']);
  });

  it('fires a chain of timers each scheduled by the one before, all in one advance', () => {
    const clock = createSimulatedClock(0);
    const fired: number[] = [];
    const tick = (): void => {
      fired.push(clock.now());
      if (fired.length < 5) clock.setTimeout(tick, 7);
    };
    clock.setTimeout(tick, 7);
    clock.advanceTo(1_000);
    expect(fired).toEqual([7, 14, 21, 28, 35]);
    expect(clock.now()).toBe(1_000);
  });

  it('treats a NaN delay as zero, like the platform timers', () => {
    const clock = createSimulatedClock(7);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), Number.NaN);
    expect(clock.nextDue()).toBe(7);
    clock.advanceTo(7);
    expect(fired).toEqual([7]);
  });

  it('refuses to start at or advance to a time that is not finite, and stays where it was', () => {
    expect(() => createSimulatedClock(Number.NaN)).toThrow(RangeError);
    const clock = createSimulatedClock(0);
    expect(() => clock.advanceTo(Number.NaN)).toThrow(RangeError);
    expect(() => clock.advanceTo(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => clock.advanceBy(Number.NaN)).toThrow(RangeError);
    expect(clock.now()).toBe(0);
  });

  it('counts a timer once when it is cleared twice', () => {
    const clock = createSimulatedClock(0);
    const a = clock.setTimeout(() => {}, 10);
    clock.setTimeout(() => {}, 20);
    clock.clearTimeout(a);
    clock.clearTimeout(a);
    expect(clock.pending()).toBe(1);
    expect(clock.nextDue()).toBe(20);
  });

  it('keeps exact order through many cleared and re-armed timers, as machines re-arm on every batch', () => {
    const clock = createSimulatedClock(0);
    const fired: number[] = [];
    // 500 assets; each re-arms its stale timer on 20 batches, then goes quiet.
    const handles = new Map<number, ReturnType<typeof clock.setTimeout>>();
    for (let batch = 0; batch < 20; batch++) {
      for (let asset = 0; asset < 500; asset++) {
        const h = handles.get(asset);
        if (h !== undefined) clock.clearTimeout(h);
        handles.set(asset, clock.setTimeout(() => fired.push(asset), 1_000 + (asset % 7)));
      }
      clock.advanceBy(1);
    }
    expect(clock.pending()).toBe(500);
    clock.advanceBy(10_000);
    const expected = [...Array(500).keys()].sort((a, b) => (a % 7) - (b % 7) || a - b);
    expect(fired).toEqual(expected);
    expect(clock.pending()).toBe(0);
  });
});
