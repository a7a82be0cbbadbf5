import { describe, expect, it } from 'vitest';
import { createLiveClock } from '../../state/clocks/live-clock.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';

describe('simulated clock', () => {
  it('fires due timers in due order, then scheduling order, each at its due time', () => {
    const clock = createSimulatedClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 900);
    clock.advanceTo(1500);
    expect(fired).toEqual(['a@1100', 'b@1200', 'c@1200']);
    expect(clock.now()).toBe(1500);
    expect(clock.pending()).toBe(1);
    expect(clock.nextDue()).toBe(1900);
  });

  it('fires timers scheduled by a firing timer within the same advance', () => {
    const clock = createSimulatedClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 10);
    }, 10);
    clock.advanceTo(100);
    expect(fired).toEqual([10, 20]);
  });

  it('cancels timers and never goes back in time', () => {
    const clock = createSimulatedClock(50);
    let fired = false;
    const h = clock.setTimeout(() => (fired = true), 10);
    clock.clearTimeout(h);
    clock.advanceBy(100);
    expect(fired).toBe(false);
    clock.advanceTo(10);
    expect(clock.now()).toBe(150);
  });
});

describe('live clock', () => {
  it('reads the wall clock and fires timers', async () => {
    const clock = createLiveClock();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1000);
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 5));
    let fired = false;
    clock.clearTimeout(clock.setTimeout(() => (fired = true), 1));
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toBe(false);
  });
});

describe('simulated clock, details', () => {
  it('fires timers with the same due time in the order they were scheduled, even when scheduled at different times', () => {
    const clock = createSimulatedClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('first'), 100);
    clock.advanceTo(40);
    clock.setTimeout(() => fired.push('second'), 60);
    clock.setTimeout(() => fired.push('early'), 10);
    clock.setTimeout(() => fired.push('third'), 60);
    clock.advanceTo(100);
    expect(fired).toEqual(['early', 'first', 'second', 'third']);
  });

  it('shows each timer its own due time as now(), and the target once done', () => {
    const clock = createSimulatedClock(1_000);
    const seen: number[] = [];
    for (const ms of [5, 50, 500]) clock.setTimeout(() => seen.push(clock.now()), ms);
    clock.advanceBy(10_000);
    expect(seen).toEqual([1_005, 1_050, 1_500]);
    expect(clock.now()).toBe(11_000);
  });

  it('fires a zero-delay timer scheduled inside a timer in the same advance, after timers already due at that time', () => {
    const clock = createSimulatedClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push(`a@${clock.now()}`);
      clock.setTimeout(() => fired.push(`nested@${clock.now()}`), 0);
    }, 10);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 10);
    clock.advanceTo(10);
    expect(fired).toEqual(['a@10', 'b@10', 'nested@10']);
    expect(clock.pending()).toBe(0);
  });

  it('does not fire a nested timer due after the advance target', () => {
    const clock = createSimulatedClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 100), 10);
    clock.advanceTo(50);
    expect(fired).toEqual([]);
    expect(clock.nextDue()).toBe(110);
    clock.advanceTo(110);
    expect(fired).toEqual([110]);
  });

  it('lets a firing timer cancel another one due in the same advance', () => {
    const clock = createSimulatedClock(0);
    const fired: string[] = [];
    const later = clock.setTimeout(() => fired.push('later'), 20);
    clock.setTimeout(() => {
      fired.push('canceller');
      clock.clearTimeout(later);
    }, 10);
    clock.advanceTo(100);
    expect(fired).toEqual(['canceller']);
  });

  it('treats a negative delay as zero and ignores clearing a timer that already fired', () => {
    const clock = createSimulatedClock(100);
    let n = 0;
    const h = clock.setTimeout(() => n++, -50);
    expect(clock.nextDue()).toBe(100);
    clock.advanceBy(0);
    expect(n).toBe(1);
    clock.clearTimeout(h);
    clock.clearTimeout({ id: 12345 });
    expect(clock.pending()).toBe(0);
  });

  it('never goes back: advanceTo an earlier time and advanceBy a negative amount change nothing', () => {
    const clock = createSimulatedClock(500);
    let fired = false;
    clock.setTimeout(() => (fired = true), 10);
    clock.advanceTo(400);
    clock.advanceBy(-100);
    expect(clock.now()).toBe(500);
    expect(fired).toBe(false);
    expect(clock.pending()).toBe(1);
  });
});

describe('live clock, details', () => {
  it('fires timers in due order on the event loop', async () => {
    const clock = createLiveClock();
    const fired: string[] = [];
    await new Promise<void>((resolve) => {
      clock.setTimeout(() => {
        fired.push('late');
        resolve();
      }, 20);
      clock.setTimeout(() => fired.push('early'), 1);
    });
    expect(fired).toEqual(['early', 'late']);
  });
});
