import type { ActorStatus } from './topics.js';

/** One row of the actors panel: what the feed says of the actor, as the page writes it. */
export type ActorRow = Readonly<{ id: string; kind: string; state: string; restarts: string; error: string | null }>;

/**
 * What the actors panel shows for one actor: its state, how often the supervisor restarted it
 * (blank when the feed does not say: the decision, risk and labeling actors are not restarted by
 * it) and the error the feed carries for it — why an asset actor is `restarting` or `failed`
 * (given up), or the decision actor's refused promotion. Null once the feed no longer carries one
 * (the actor recovered), so the row never keeps an error the actor is past. No DOM: unit-tested
 * under Node.
 *
 * @example actorRow({ id: 'asset:binance:BTC/USDT', kind: 'asset', state: 'restarting', restarts: 2, lastError: 'Error: connect ECONNREFUSED 127.0.0.1:6379' })
 * // { id: 'asset:binance:BTC/USDT', kind: 'asset', state: 'restarting', restarts: '2', error: 'Error: connect ECONNREFUSED 127.0.0.1:6379' }
 */
export function actorRow(a: ActorStatus): ActorRow {
  const error = a.lastError === undefined || a.lastError.trim() === '' ? null : a.lastError;
  return { id: a.id, kind: a.kind, state: a.state, restarts: a.restarts === undefined ? '' : String(a.restarts), error };
}
