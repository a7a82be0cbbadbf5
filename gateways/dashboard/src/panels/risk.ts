import type { RiskState } from '../../../../streams/messages/risk-state.js';
import { el, panel } from '../dom.js';
import { riskView, scopedHaltLines } from '../risk-view.js';
import type { BookState } from '../risk-view.js';

export type ControlVerb = 'halt' | 'resume' | 'reduce';
/** What the panel's buttons do: a verb, or `flatten` (`reduce` with `flatten: true`). */
export type ControlAction = ControlVerb | 'flatten';
/** Sends a control command; resolves to a line for the operator (the reply or the failure). */
export type SendControl = (action: ControlAction, operatorToken: string, symbol: string | null, reason: string) => Promise<string>;

const TOKEN_KEY = 'sextant.operatorToken';

/**
 * The risk actor's trading state (ACTIVE / REDUCING / HALTED), the kill switch, reduce-only
 * (the whole account; only orders that shrink a position pass until Resume) and flatten
 * (reduce-only while execution closes every position; HALTED once flat). The operator
 * token is typed in and kept in sessionStorage (gone when the tab closes); the state shown is
 * the one the feed reports, so a halt shows as HALTED once the risk actor has acted on it.
 */
export class RiskPanel {
  readonly root: HTMLElement;
  private readonly badge = el('span', { class: 'state-badge', id: 'risk-state', 'data-state': 'UNKNOWN' }, 'unknown');
  /** For the page's sticky header: says a halt, reduce-only or scoped halts wherever the page is scrolled (hidden while trading freely). */
  readonly banner = el('span', { class: 'trading-banner', id: 'trading-banner', role: 'alert', hidden: true });
  private readonly reason = el('p', { class: 'muted' });
  private readonly scoped = el('ul', { class: 'scoped' });
  private readonly token: HTMLInputElement;
  private readonly symbol: HTMLInputElement;
  private readonly why: HTMLInputElement;
  private readonly reply = el('p', { class: 'ctl-reply', id: 'ctl-reply', role: 'status' });
  private readonly halt: HTMLButtonElement;
  private readonly resume: HTMLButtonElement;
  private readonly reduce: HTMLButtonElement;
  private readonly flatten: HTMLButtonElement;
  private change: RiskState | null = null;
  /** The change seen before `change`: what a scoped halt or resume added or lifted is told from it. */
  private prior: RiskState | null = null;
  private book: BookState | null = null;

  constructor(private readonly send: SendControl) {
    this.token = el('input', { type: 'password', id: 'operator-token', placeholder: 'operator token', autocomplete: 'off' });
    this.token.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
    this.token.addEventListener('change', () => sessionStorage.setItem(TOKEN_KEY, this.token.value));
    this.symbol = el('input', { type: 'text', id: 'ctl-symbol', placeholder: 'symbol (all when empty)', autocomplete: 'off' });
    this.why = el('input', { type: 'text', id: 'ctl-reason', placeholder: 'reason (for the audit trail)', autocomplete: 'off' });
    this.halt = el('button', { type: 'button', id: 'halt', class: 'danger' }, 'Halt');
    this.resume = el('button', { type: 'button', id: 'resume' }, 'Resume');
    this.reduce = el('button', { type: 'button', id: 'reduce' }, 'Reduce only');
    this.flatten = el('button', { type: 'button', id: 'flatten' }, 'Flatten');
    this.halt.addEventListener('click', () => this.act('halt'));
    this.resume.addEventListener('click', () => this.act('resume'));
    this.reduce.addEventListener('click', () => this.act('reduce'));
    this.flatten.addEventListener('click', () => this.act('flatten'));
    this.root = panel(
      'risk',
      'Risk',
      el('div', { class: 'risk-head' }, this.badge),
      this.reason,
      this.scoped,
      el('div', { class: 'controls' }, el('label', {}, 'Operator token', this.token), el('label', {}, 'Symbol', this.symbol), el('label', {}, 'Reason', this.why), el('div', { class: 'buttons' }, this.halt, this.reduce, this.flatten, this.resume)),
      this.reply,
    );
  }

  update(s: RiskState): void {
    // The same change again (a reconnect's snapshot, or re-announced once stored) keeps the one before it.
    if (this.change?.id !== s.id) this.prior = this.change;
    this.change = s;
    this.scoped.replaceChildren(...scopedHaltLines(s).map((line) => el('li', {}, line)));
    this.draw();
  }

  /** The state the risk actor's book reports (the feed's `pnl`), which stands in until a change is seen. */
  current(b: BookState): void {
    if (this.book?.state === b.state && this.book.account === b.account) return;
    this.book = b;
    this.draw();
  }

  private draw(): void {
    const v = riskView(this.change, this.book, this.prior);
    this.badge.dataset['state'] = v.state;
    this.badge.textContent = v.state === 'UNKNOWN' ? 'unknown' : v.state;
    this.reason.textContent = v.line;
    this.banner.hidden = v.banner === null;
    this.banner.dataset['state'] = v.state;
    this.banner.textContent = v.banner ?? '';
  }

  private act(verb: ControlAction): void {
    const token = this.token.value.trim();
    if (token === '') {
      this.reply.dataset['ok'] = 'false';
      this.reply.textContent = 'Type the operator token first.';
      this.token.focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    const symbol = this.symbol.value.trim();
    this.halt.disabled = true;
    this.resume.disabled = true;
    this.reduce.disabled = true;
    this.flatten.disabled = true;
    // In flight: neither accepted nor refused (a refusal before must not keep it red).
    delete this.reply.dataset['ok'];
    this.reply.textContent = `${verb}…`;
    void this.send(verb, token, symbol === '' ? null : symbol, this.why.value.trim())
      .then((line) => {
        this.reply.dataset['ok'] = 'true';
        this.reply.textContent = line;
      })
      .catch((e: unknown) => {
        this.reply.dataset['ok'] = 'false';
        this.reply.textContent = e instanceof Error ? e.message : String(e);
      })
      .finally(() => {
        this.halt.disabled = false;
        this.resume.disabled = false;
        this.reduce.disabled = false;
        this.flatten.disabled = false;
      });
  }
}
