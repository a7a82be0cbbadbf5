import { actorRow } from '../actor-view.js';
import type { ActorStatus } from '../topics.js';
import { el, panel, tableOf } from '../dom.js';

/**
 * Every actor the supervisor reports, with its lifecycle state (warming, live, stale, halted,
 * restarting, failed …), how often it was restarted, and under it the error the feed carries for
 * it (why it is restarting or was given up, a refused promotion) until the feed drops it, and what
 * the labeling and retraining actors have done (their counts).
 */
export class ActorsPanel {
  readonly root: HTMLElement;
  private readonly table = tableOf(['actor', 'kind', 'state', 'restarts'], 'actors');
  private readonly actors = new Map<string, ActorStatus>();

  constructor() {
    this.root = panel('actors', 'Actors', this.table.table);
  }

  /** Forgets every actor (a new connection's snapshot replaces them); the next update redraws. */
  reset(): void {
    this.actors.clear();
  }

  /** Forgets every actor and shows none (a new connection's snapshot is empty). */
  clear(): void {
    this.reset();
    this.draw();
  }

  /** The actor as the feed says it now: an error it no longer carries goes from the page. */
  update(a: ActorStatus): void {
    this.actors.set(a.id, a);
    this.draw();
  }

  private draw(): void {
    const rows = [...this.actors.values()]
      .sort((x, y) => x.kind.localeCompare(y.kind) || x.id.localeCompare(y.id))
      .map(actorRow)
      .flatMap((x) => [
        el('tr', { 'data-actor': x.id }, el('td', {}, x.id), el('td', {}, x.kind), el('td', {}, el('span', { class: 'actor-state', 'data-state': x.state }, x.state)), el('td', { class: 'num' }, x.restarts)),
        ...(x.counts === null ? [] : [el('tr', { class: 'actor-counts-row' }, el('td', { colspan: 4, class: 'actor-counts' }, x.counts))]),
        ...(x.error === null ? [] : [el('tr', { class: 'actor-error-row' }, el('td', { colspan: 4, class: 'actor-error', 'data-state': x.state }, x.error))]),
      ]);
    this.table.body.replaceChildren(...rows);
  }
}
