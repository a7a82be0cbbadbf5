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

/** A watch on a 1h decision timeframe (threshold 3 h), its clock at T0, started from the restored book's mark `from`. */
function watched(from: number | null = null) {
  const clock = createSimulatedClock(T0);
  const { log, lines } = recording();
  const watch = createCatchUpWatch({ clock, thresholdMs: catchUpThresholdMs('1h'), log, from });
  return { clock, lines, watch };
}

describe('catch-up watch', () => {
  it('is three bars of the decision timeframe', () => {
    expect(catchUpThresholdMs('1h')).toBe(3 * HOUR);
    expect(catchUpThresholdMs('1m')).toBe(3 * MIN);
  });

  it('warns once on entering catch-up and says once when it is over', () => {
    // The stored book's newest mark: the starting point, not a lag.
    const { clock, lines, watch } = watched(T0 - 10 * HOUR);
    expect(watch.status()).toEqual({ catchingUp: false, behindMs: null, asOf: T0 - 10 * HOUR, replay: false });
    expect(lines).toEqual([]);

    // After the restart the backlog is decided: bars closing 9 h and 8 h ago.
    watch.decided(T0 - 9 * HOUR);
    expect(watch.status()).toEqual({ catchingUp: true, behindMs: 9 * HOUR, asOf: T0 - 9 * HOUR, replay: false });
    clock.advanceBy(5_000);
    watch.decided(T0 - 8 * HOUR);
    expect(watch.status()).toMatchObject({ catchingUp: true, behindMs: 8 * HOUR + 5_000 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', fields: { behindMs: 9 * HOUR, asOf: new Date(T0 - 9 * HOUR).toISOString(), thresholdMs: 3 * HOUR } });
    expect(lines[0]?.msg).toBe('deciding data from 540 min ago: catching up on a backlog; orders published now may be expired for live consumers');

    // Caught up: the newest bar closed 30 s before it was decided.
    clock.advanceBy(HOUR);
    watch.decided(clock.now() - 30_000);
    expect(watch.status()).toMatchObject({ catchingUp: false, behindMs: 30_000 });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'info', msg: 'caught up: deciding data from 30 s ago' });
    clock.advanceBy(HOUR);
    watch.decided(clock.now() - 40_000);
    expect(lines).toHaveLength(2);
  });

  it('takes the lag when the event is decided, not when someone looks', () => {
    const { clock, watch } = watched();
    watch.decided(T0 - 10_000);
    clock.advanceBy(4_900); // the engine used to read the book only every few seconds
    expect(watch.status()).toEqual({ catchingUp: false, behindMs: 10_000, asOf: T0 - 10_000, replay: false });
  });

  it('does not read a quiet market as a lag: nothing changes until a newer event is decided', () => {
    const { clock, lines, watch } = watched();
    watch.decided(T0 - 30_000);
    expect(watch.status()).toEqual({ catchingUp: false, behindMs: 30_000, asOf: T0 - 30_000, replay: false });
    // No new data for a day.
    clock.advanceBy(24 * HOUR);
    expect(watch.status()).toEqual({ catchingUp: false, behindMs: 30_000, asOf: T0 - 30_000, replay: false });
    // An older event (another asset's) is no movement either, nor one at the same time.
    watch.decided(T0 - HOUR);
    watch.decided(T0 - 30_000);
    expect(watch.status()).toEqual({ catchingUp: false, behindMs: 30_000, asOf: T0 - 30_000, replay: false });
    expect(watch.moves()).toBe(1);
    expect(lines).toEqual([]);
  });

  it('is over when nothing is pending, though the market stays quiet after the backlog', () => {
    const { clock, lines, watch } = watched(T0 - 10 * HOUR);
    watch.decided(T0 - 9 * HOUR);
    watch.decided(T0 - 5 * HOUR); // the backlog's last bar: nothing newer comes for hours
    clock.advanceBy(5_000);
    expect(watch.status().catchingUp).toBe(true);
    // A read that began before the last event was decided says nothing of it.
    watch.drained(watch.moves() - 1);
    expect(watch.status().catchingUp).toBe(true);
    watch.drained(watch.moves());
    expect(watch.status()).toEqual({ catchingUp: false, behindMs: 5 * HOUR, asOf: T0 - 5 * HOUR, replay: false });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'info', fields: { behindMs: 5 * HOUR, asOf: new Date(T0 - 5 * HOUR).toISOString() } });
    expect(lines[1]?.msg).toBe('caught up: nothing pending in the market data; the newest decided (from 300 min before it was decided) is the newest there is');
    // Said once; drained while caught up changes nothing.
    watch.drained(watch.moves());
    expect(lines).toHaveLength(2);
    // A late old bar afterwards is a lag again, said again.
    watch.decided(T0 - 4 * HOUR);
    expect(watch.status().catchingUp).toBe(true);
    expect(lines).toHaveLength(3);
  });

  it('stays caught up while deciding the live bars just behind the clock', () => {
    const { clock, lines, watch } = watched();
    // A bar marks the book at its close: just before the next one the newest mark is an hour old.
    for (let i = 1; i <= 5; i++) {
      clock.advanceTo(T0 + i * HOUR + 59 * MIN);
      watch.decided(T0 + i * HOUR);
    }
    expect(watch.status()).toMatchObject({ catchingUp: false, behindMs: 59 * MIN });
    expect(lines).toEqual([]);
  });

  it('says a replay on the live clock (sextant demo) at info, as a replay, and keeps the same status with replay: true', () => {
    // A demo replays a window from years ago: every event is far behind the clock by design, and
    // its orders are for no live consumer. It was warned of as a backlog whose orders may be expired.
    const clock = createSimulatedClock(T0);
    const { log, lines } = recording();
    const watch = createCatchUpWatch({ clock, thresholdMs: catchUpThresholdMs('1h'), log, from: null, replay: true });
    watch.decided(T0 - 1000 * HOUR);
    watch.decided(T0 - 999 * HOUR);
    expect(watch.status()).toEqual({ catchingUp: true, behindMs: 999 * HOUR, asOf: T0 - 999 * HOUR, replay: true });
    expect(lines).toEqual([{ level: 'info', msg: 'replaying data from 60000 min ago on the live clock: its orders are the replay\'s, not for live consumers', fields: { asOf: new Date(T0 - 1000 * HOUR).toISOString(), behindMs: 1000 * HOUR, thresholdMs: 3 * HOUR } }]);
    watch.drained(watch.moves());
    expect(lines.map((l) => l.level)).toEqual(['info', 'info']);
  });

  it('refuses a threshold that is not a positive number', () => {
    const { log } = recording();
    expect(() => createCatchUpWatch({ clock: createSimulatedClock(0), thresholdMs: 0, log, from: null })).toThrow(/positive/);
  });
});
