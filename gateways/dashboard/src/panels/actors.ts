import type { ActorStatus } from '../topics.js';
import { el, panel, tableOf } from '../dom.js';

/** Every actor the supervisor reports, with its lifecycle state (warming, live, stale, halted …). */
export class ActorsPanel {
  readonly root: HTMLElement;
  private readonly table = tableOf(['actor', 'kind', 'state'], 'actors');
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

  update(a: ActorStatus): void {
    this.actors.set(a.id, a);
    this.draw();
  }

  private draw(): void {
    const rows = [...this.actors.values()]
      .sort((x, y) => x.kind.localeCompare(y.kind) || x.id.localeCompare(y.id))
      .map((x) => el('tr', {}, el('td', {}, x.id), el('td', {}, x.kind), el('td', {}, el('span', { class: 'actor-state', 'data-state': x.state }, x.state))));
    this.table.body.replaceChildren(...rows);
  }
}
