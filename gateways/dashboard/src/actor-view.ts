import type { ActorStatus } from './topics.js';

/** One row of the actors panel: what the feed says of the actor, as the page writes it. */
export type ActorRow = Readonly<{ id: string; kind: string; state: string; restarts: string; error: string | null; counts: string | null }>;

/**
 * What the actors panel shows for one actor: its state, how often the supervisor restarted it
 * (blank when the feed does not say: the decision, risk and labeling actors are not restarted by
 * it) and the error the feed carries for it — why an asset actor is `restarting` or `failed`
 * (given up), or the decision actor's refused promotion. Null once the feed no longer carries one
 * (the actor recovered), so the row never keeps an error the actor is past; and what the actor
 * has done when the feed says it (`counts`, in the feed's order: the labeling actor's pending,
 * labeled and refused, the retraining actor's cycles, promotions …). No DOM: unit-tested under Node.
 *
 * @example actorRow({ id: 'asset:binance:BTC/USDT', kind: 'asset', state: 'restarting', restarts: 2, lastError: 'Error: connect ECONNREFUSED 127.0.0.1:6379' })
 * // { id: 'asset:binance:BTC/USDT', kind: 'asset', state: 'restarting', restarts: '2', error: 'Error: connect ECONNREFUSED 127.0.0.1:6379', counts: null }
 * @example actorRow({ id: 'labeling:momentum', kind: 'labeling', state: 'live', counts: { pending: 3, labeled: 120, refused: 0 } }).counts
 * // 'pending 3 · labeled 120 · refused 0'
 */
export function actorRow(a: ActorStatus): ActorRow {
  const error = a.lastError === undefined || a.lastError.trim() === '' ? null : a.lastError;
  const entries = Object.entries(a.counts ?? {});
  const counts = entries.length === 0 ? null : entries.map(([k, n]) => `${k} ${n}`).join(' · ');
  return { id: a.id, kind: a.kind, state: a.state, restarts: a.restarts === undefined ? '' : String(a.restarts), error, counts };
}
