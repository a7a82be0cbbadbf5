import { describe, expect, it } from 'vitest';
import { catchUpThresholdMs, createCatchUpWatch } from '../../cli/catch-up-watch.js';
import type { Logger } from '../../state/logger.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 0, 5, 12);

type Line = Readonly<{ level: 'info' | 'warn'; msg: string; fields: Record<string, unknown> }>;

function recording(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const log: Logger = {
    debug: () => {},
    info: (fields, msg) => void lines.push({ level: 'info', msg, fields }),
    warn: (fields, msg) => void lines.push({ level: 'warn', msg, fields }),
    error: () => {},
    child: () => log,
  };
  return { log, lines };
}

/** A watch on a 1h decision timeframe (threshold 3 h), its clock at T0. */
function watched() {
  const clock = createSimulatedClock(T0);
  const { log, lines } = recording();
  const watch = createCatchUpWatch({ clock, thresholdMs: catchUpThresholdMs('1h'), log });
  return { clock, lines, watch };
}

describe('catch-up watch', () => {
  it('is three bars of the decision timeframe', () => {
    expect(catchUpThresholdMs('1h')).toBe(3 * HOUR);
    expect(catchUpThresholdMs('1m')).toBe(3 * MIN);
  });

  it('warns once on entering catch-up and says once when it is over', () => {
    const { clock, lines, watch } = watched();
    watch.observe(T0 - 10 * HOUR); // the stored book's newest mark: the starting point, not a lag
    expect(watch.status()).toEqual({ catchingUp: false, behindMs: null, asOf: T0 - 10 * HOUR });
    expect(lines).toEqual([]);

    // After the restart the backlog is decided: bars of 9 h and 8 h ago.
    watch.observe(T0 - 9 * HOUR);
    expect(watch.status()).toEqual({ catchingUp: true, behindMs: 9 * HOUR, asOf: T0 - 9 * HOUR });
    clock.advanceBy(5_000);
    watch.observe(T0 - 8 * HOUR);
    expect(watch.status()).toMatchObject({ catchingUp: true, behindMs: 8 * HOUR + 5_000 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', fields: { behindMs: 9 * HOUR, asOf: new Date(T0 - 9 * HOUR).toISOString(), thresholdMs: 3 * HOUR } });
    expect(lines[0]?.msg).toBe('deciding data from 540 min ago: catching up on a backlog; orders published now may be expired for live consumers');

    // Caught up: the newest bar closed 30 s ago.
    clock.advanceBy(HOUR);
    watch.observe(clock.now() - 30_000);
    expect(watch.status()).toMatchObject({ catchingUp: false, behindMs: 30_000 });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'info', msg: 'caught up: deciding data from 30 s ago' });
    clock.advanceBy(HOUR);
    watch.observe(clock.now() - 40_000);
    expect(lines).toHaveLength(2);
  });

  it('does not read a quiet market as a lag: nothing changes until the newest mark moves forward', () => {
    const { clock, lines, watch } = watched();
    watch.observe(null); // nothing decided yet
    watch.observe(T0 - 30_000);
    expect(watch.status()).toEqual({ catchingUp: false, behindMs: 30_000, asOf: T0 - 30_000 });
    // No new data for a day: the same mark, over and over, and a null (none yet) changes nothing.
    clock.advanceBy(24 * HOUR);
    watch.observe(T0 - 30_000);
    watch.observe(null);
    expect(watch.status()).toEqual({ catchingUp: false, behindMs: 30_000, asOf: T0 - 30_000 });
    expect(lines).toEqual([]);
    // An older mark (another asset's) is no movement either.
    watch.observe(T0 - HOUR);
    expect(watch.status().asOf).toBe(T0 - 30_000);
    expect(lines).toEqual([]);
  });

  it('stays caught up while deciding the live bars just behind the clock', () => {
    const { clock, lines, watch } = watched();
    watch.observe(null);
    // A bar marks the book at its close: just before the next one the newest mark is an hour old.
    for (let i = 1; i <= 5; i++) {
      clock.advanceTo(T0 + i * HOUR + 59 * MIN);
      watch.observe(T0 + i * HOUR);
    }
    expect(watch.status()).toMatchObject({ catchingUp: false, behindMs: 59 * MIN });
    expect(lines).toEqual([]);
  });

  it('refuses a threshold that is not a positive number', () => {
    const { log } = recording();
    expect(() => createCatchUpWatch({ clock: createSimulatedClock(0), thresholdMs: 0, log })).toThrow(/positive/);
  });
});
