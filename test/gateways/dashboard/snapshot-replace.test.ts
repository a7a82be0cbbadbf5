import { describe, expect, it } from 'vitest';
import { SnapshotReplace } from '../../../gateways/dashboard/src/snapshot-replace.js';
import type { ReplacedPanel } from '../../../gateways/dashboard/src/snapshot-replace.js';

/** A panel that records `reset` (no redraw) and `clear` (redrawn empty) calls as `topic` / `topic cleared`. */
const recorder = (log: string[], topic: string): ReplacedPanel => ({ reset: () => log.push(topic), clear: () => log.push(`${topic} cleared`) });

describe('dashboard snapshot replace (actors, pnl, models, features on a new connection)', () => {
  it('resets a topic at its first update after each open, not on disconnect nor on later updates', () => {
    const resets: string[] = [];
    const r = new SnapshotReplace({ actors: recorder(resets, 'actors'), pnl: recorder(resets, 'pnl') });
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

  it('clears a topic at once when its new snapshot is empty (subscribed with snapshot 0), and only then', () => {
    const log: string[] = [];
    const r = new SnapshotReplace({ actors: recorder(log, 'actors'), pnl: recorder(log, 'pnl'), features: recorder(log, 'features') });
    r.status('open');
    r.update('actors');
    r.update('pnl');
    r.update('features');
    log.length = 0;

    r.status('reconnecting');
    r.status('open');
    // actors: empty snapshot, cleared at once and not again by a later update; pnl: a snapshot of
    // two frames, reset at its first; features: an older server that does not count, as before.
    r.subscribed('actors', 0);
    r.subscribed('pnl', 2);
    r.subscribed('features', undefined);
    r.subscribed('orders', 0); // not a replaced panel
    expect(log).toEqual(['actors cleared']);
    r.update('actors');
    r.update('pnl');
    r.update('pnl');
    r.update('features');
    expect(log).toEqual(['actors cleared', 'pnl', 'features']);

    // A later empty subscribed of a topic already replaced on this connection clears nothing.
    r.subscribed('pnl', 0);
    r.subscribed('actors', 0);
    expect(log).toEqual(['actors cleared', 'pnl', 'features']);

    // An empty snapshot after the connection drops again clears again; nothing while reconnecting.
    r.status('reconnecting');
    r.subscribed('actors', 0);
    expect(log).toHaveLength(3);
    r.status('open');
    r.subscribed('actors', 0);
    expect(log).toEqual(['actors cleared', 'pnl', 'features', 'actors cleared']);
  });
});
