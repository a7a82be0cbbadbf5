/** Tiny DOM helpers: the page is plain DOM, and text always goes in as text (never as HTML). */

type Attrs = Readonly<Record<string, string | number | boolean | undefined>>;
type Child = Node | string | number | null | undefined;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') node.className = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A titled panel: `<section class="panel" id=…><h2>title</h2>…</section>`. */
export function panel(id: string, title: string, ...children: Child[]): HTMLElement {
  return el('section', { class: 'panel', id }, el('h2', {}, title), ...children);
}

export function tableOf(head: readonly string[], cls = ''): Readonly<{ table: HTMLTableElement; body: HTMLTableSectionElement }> {
  const body = el('tbody');
  const table = el('table', { class: cls }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), body);
  return { table, body };
}

export { fmt } from './number-format.js';
