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
 * labeled and refused, the retraining actor's cycles, promotions …). The labeling actor's refused
 * are said with their split where the feed gives it (`unlabeled`: predictions and orders that got
 * no label; `refusedInputs`: other input messages, such as bad bars, no label lost): 'refused 5'
 * alone read as if five predictions had gone unlabeled. No DOM: unit-tested under Node.
 *
 * @example actorRow({ id: 'asset:binance:BTC/USDT', kind: 'asset', state: 'restarting', restarts: 2, lastError: 'Error: connect ECONNREFUSED 127.0.0.1:6379' })
 * // { id: 'asset:binance:BTC/USDT', kind: 'asset', state: 'restarting', restarts: '2', error: 'Error: connect ECONNREFUSED 127.0.0.1:6379', counts: null }
 * @example actorRow({ id: 'labeling:momentum', kind: 'labeling', state: 'live', counts: { pending: 3, labeled: 120, refused: 0 } }).counts
 * // 'pending 3 · labeled 120 · refused 0'
 * @example actorRow({ id: 'labeling:momentum', kind: 'labeling', state: 'live', counts: { pending: 3, labeled: 120, refused: 5, unlabeled: 0, refusedInputs: 5 } }).counts
 * // 'pending 3 · labeled 120 · refused 5 (0 unlabeled, 5 bad inputs)'
 */
export function actorRow(a: ActorStatus): ActorRow {
  const error = a.lastError === undefined || a.lastError.trim() === '' ? null : a.lastError;
  const c = a.counts ?? {};
  const [unlabeled, inputs] = [c['unlabeled'], c['refusedInputs']];
  const split = c['refused'] !== undefined && unlabeled !== undefined && inputs !== undefined;
  const entries = Object.entries(c).filter(([k]) => !split || (k !== 'unlabeled' && k !== 'refusedInputs'));
  const countText = (k: string, n: number): string => (split && k === 'refused' && n > 0 ? `refused ${n} (${unlabeled} unlabeled, ${inputs} bad inputs)` : `${k} ${n}`);
  const counts = entries.length === 0 ? null : entries.map(([k, n]) => countText(k, n)).join(' · ');
  return { id: a.id, kind: a.kind, state: a.state, restarts: a.restarts === undefined ? '' : String(a.restarts), error, counts };
}
