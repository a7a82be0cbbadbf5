import { describe, expect, it } from 'vitest';
import { createLiveClock } from '../../state/clocks/live-clock.js';

// Reading the wall clock, firing and clearing are in clocks.test.ts.
describe('live clock, edges', () => {
  it('does not fire at once for a delay beyond the platform timer range (~24.8 days)', async () => {
    const clock = createLiveClock();
    let fired = false;
    const h = clock.setTimeout(() => (fired = true), 30 * 24 * 3_600_000);
    await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 20));
    clock.clearTimeout(h);
    expect(fired).toBe(false);
  });

  it('ignores clearing an unknown or already fired timer', async () => {
    const clock = createLiveClock();
    const h = clock.setTimeout(() => {}, 1);
    await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 10));
    expect(() => clock.clearTimeout(h)).not.toThrow();
    expect(() => clock.clearTimeout({ id: 999_999 })).not.toThrow();
  });
});
