import { el, panel } from '../dom.js';

/**
 * A table of the newest rows first, capped at `cap`, with the total seen in `data-count`. Rows
 * with an id already shown are ignored (a snapshot after reconnecting repeats the latest one).
 */
export class RecentList {
  readonly root: HTMLElement;
  private readonly body = el('tbody');
  private readonly ids: string[] = [];
  private count = 0;

  constructor(
    id: string,
    title: string,
    head: readonly string[],
    private readonly cap = 30,
  ) {
    this.root = panel(id, title, el('div', { class: 'scroll short' }, el('table', { class: 'recent' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), this.body)));
    this.root.dataset['count'] = '0';
  }

  add(id: string, cells: readonly (string | Node)[], cls = ''): void {
    if (this.ids.includes(id)) return;
    this.ids.unshift(id);
    this.count++;
    this.body.prepend(el('tr', { class: cls, 'data-id': id }, ...cells.map((c) => el('td', {}, c))));
    while (this.ids.length > this.cap) {
      this.ids.pop();
      this.body.lastElementChild?.remove();
    }
    this.root.dataset['count'] = String(this.count);
  }
}
