import { describe, expect, it } from 'vitest';
import { catchUpNote } from '../../cli/commands/ctl.js';

const asOf = Date.UTC(2024, 2, 4, 13, 0);

/** The stderr line `ctl status` adds for an engine far behind its clock. */
describe('ctl status catch-up note', () => {
  it('notes a backlog: orders may be expired for live consumers', () => {
    expect(catchUpNote({ catchUp: { catchingUp: true, behindMs: 95 * 60_000, asOf, replay: false } })).toBe(
      'the engine is catching up on a backlog: deciding data from 95 min ago (up to 2024-03-04T13:00:00.000Z); orders it publishes now may be expired for live consumers',
    );
    // An engine from before `replay` leaves it out: a backlog, as before.
    expect(catchUpNote({ catchUp: { catchingUp: true, behindMs: 95 * 60_000, asOf } })).toContain('catching up on a backlog');
  });

  it("says a replay of a past window (sextant demo) as replaying, not as a backlog whose orders may be expired", () => {
    // It said 'the engine is catching up on a backlog … may be expired for live consumers' for the demo's replay.
    const note = catchUpNote({ catchUp: { catchingUp: true, behindMs: 1000 * 60_000, asOf, replay: true } });
    expect(note).toBe("the engine is replaying a past window on its live clock: deciding data from 1000 min ago (up to 2024-03-04T13:00:00.000Z); its orders are the replay's, not for live consumers");
  });

  it('says nothing when not catching up, or without a watch', () => {
    expect(catchUpNote({ catchUp: { catchingUp: false, behindMs: 30_000, asOf, replay: true } })).toBeUndefined();
    expect(catchUpNote({ catchUp: null })).toBeUndefined();
    expect(catchUpNote({})).toBeUndefined();
  });

  it('throws, naming the field, on a catchUp of another shape instead of reading it as none or "far"', () => {
    // A behindMs sent as text was printed as 'deciding data from far ago'; a catchingUp that is no boolean said nothing.
    expect(() => catchUpNote({ catchUp: { catchingUp: true, behindMs: '5700000', asOf } })).toThrow(/catchUp this client does not understand \(catchUp\.behindMs: /);
    expect(() => catchUpNote({ catchUp: { catchingUp: 1, behindMs: null, asOf: null } })).toThrow(/catchUp\.catchingUp: /);
    expect(() => catchUpNote({ catchUp: { catchingUp: true, behindMs: 60_000, asOf, replay: 'yes' } })).toThrow(/catchUp\.replay: /);
    expect(() => catchUpNote({ catchUp: 'catching up' })).toThrow(/catchUp: /);
    expect(() => catchUpNote('ACTIVE')).toThrow(/result: /);
  });
});
