import { describe, expect, it } from 'vitest';
import { RecentRows } from '../../../gateways/dashboard/src/panels/recent-rows.js';

describe('dashboard recent rows (orders, predictions)', () => {
  it('puts a row where its event time goes, newest first, the last to arrive on top among equal times', () => {
    const r = new RecentRows(5);
    expect(r.insert('a', 100)).toEqual({ index: 0, evicted: false });
    expect(r.insert('c', 300)).toEqual({ index: 0, evicted: false });
    expect(r.insert('b', 200)).toEqual({ index: 1, evicted: false });
    expect(r.insert('b2', 200)).toEqual({ index: 1, evicted: false });
    expect(r.insert('b', 200)).toBeUndefined();
  });

  it('does not bring back a row that scrolled out (a reconnect snapshot repeats the latest reject however old)', () => {
    const r = new RecentRows(3);
    r.insert('reject-1', 10);
    for (let i = 1; i <= 3; i++) expect(r.insert(`fill-${i}`, 10 + i)).toEqual({ index: 0, evicted: i === 3 });
    expect(r.insert('reject-1', 10)).toBeUndefined();
    // Older than every row of a full list: it would leave at once.
    expect(r.insert('reject-0', 5)).toBeUndefined();
    expect(r.size).toBe(3);
  });

  it('remembers a bounded number of ids that left the list', () => {
    const r = new RecentRows(1, 2);
    for (let i = 0; i < 5; i++) r.insert(`x${i}`, i);
    // x0..x3 left; only x2 and x3 are remembered. x0 at a newer time than the row shown is shown again.
    expect(r.insert('x3', 10)).toBeUndefined();
    expect(r.insert('x0', 10)).toEqual({ index: 0, evicted: true });
  });
});
