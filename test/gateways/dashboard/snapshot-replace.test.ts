import { describe, expect, it } from 'vitest';
import { SnapshotReplace } from '../../../gateways/dashboard/src/snapshot-replace.js';

describe('dashboard snapshot replace (actors, pnl, models, features on a new connection)', () => {
  it('resets a topic at its first update after each open, not on disconnect nor on later updates', () => {
    const resets: string[] = [];
    const r = new SnapshotReplace({ actors: () => resets.push('actors'), pnl: () => resets.push('pnl') });
    r.status('connecting');
    r.status('open');
    r.update('actors');
    r.update('actors');
    r.update('orders');
    expect(resets).toEqual(['actors']);
    // Status reports while open (each message) do not re-arm; a drop resets nothing by itself.
    r.status('open');
    r.update('actors');
    r.status('reconnecting');
    expect(resets).toEqual(['actors']);
    // The new connection: each topic once, at its first update (pnl still armed from before, once).
    r.status('open');
    r.update('pnl');
    r.update('pnl');
    r.update('actors');
    expect(resets).toEqual(['actors', 'pnl', 'actors']);
  });
});
