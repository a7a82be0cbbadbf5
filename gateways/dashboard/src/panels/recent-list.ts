import { el, panel } from '../dom.js';
import { RecentRows } from './recent-rows.js';

/**
 * A table of the newest rows first by event time, capped at `cap`, with the rows shown so far in
 * `data-count`. Rows with an id shown lately are ignored (a snapshot after reconnecting repeats the
 * latest ones), and so are rows older than every row of a full table (`recent-rows.ts`).
 */
export class RecentList {
  readonly root: HTMLElement;
  private readonly body = el('tbody');
  private readonly rows: RecentRows;
  private count = 0;

  /**
   * `wrap`: the columns whose cells may break at their spaces where the panel is narrow (the last
   * one always may: a reason, a detail); the others stay on one line.
   */
  constructor(
    id: string,
    title: string,
    head: readonly string[],
    private readonly wrap: ReadonlySet<number> = new Set(),
    cap = 30,
  ) {
    this.rows = new RecentRows(cap);
    this.root = panel(id, title, el('div', { class: 'scroll short' }, el('table', { class: 'recent' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), this.body)));
    this.root.dataset['count'] = '0';
  }

  /** `ts`: the row's event time, which orders the table. */
  add(id: string, ts: number, cells: readonly (string | Node)[], cls = ''): void {
    const at = this.rows.insert(id, ts);
    if (at === undefined) return;
    this.count++;
    this.body.insertBefore(el('tr', { class: cls, 'data-id': id }, ...cells.map((c, i) => el('td', this.wrap.has(i) ? { class: 'wrap' } : {}, c))), this.body.children[at.index] ?? null);
    if (at.evicted) this.body.lastElementChild?.remove();
    this.root.dataset['count'] = String(this.count);
  }
}
