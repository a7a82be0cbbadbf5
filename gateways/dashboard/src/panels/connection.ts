import type { ConnectionStatus, FeedStats } from '../feed-client.js';
import { el, fmt } from '../dom.js';
import { lagText } from '../event-lag.js';
import type { Behind } from '../event-lag.js';
import { catchUpText } from '../catch-up-view.js';
import type { CatchUp } from '../catch-up-view.js';

const LABEL: Readonly<Record<ConnectionStatus['state'], string>> = {
  connecting: 'connecting…',
  open: 'live',
  reconnecting: 'reconnecting',
  'locked-out': 'locked out for failed logins: check the viewer token; next try',
  closed: 'disconnected',
  refused: 'viewer token refused: enter another and Connect',
};

/** Payloads the page refused (a topic's schema said no: a field null, missing, of another type), and the last reason. */
export type Refused = Readonly<{ count: number; last: string | null }>;

/**
 * The connection indicator in the header: a coloured dot, the state, and what the feed delivered.
 * A payload the page refuses leaves its panel as it was: the detail says how many and why, since
 * a PnL whose equity came as null would otherwise just stop moving. Times are UTC, as everywhere
 * on the page.
 * An open socket whose gateway lost NATS shows `feed stale` (state `stale`): nothing on the page
 * updates until it is back, and then the detail says updates during the outage may be missing.
 * An address the gateway locked out for failed logins (429) says so, with the next try's countdown
 * (at least the gateway's Retry-After) and that the viewer token is what to check (state `locked-out`).
 * One whose market data is far behind the engine's event time says so (state `behind`).
 * While the engine itself catches up on a backlog (its `pnl` says `catchUp.catchingUp`), an amber
 * note beside it says so, whatever the connection's state: orders it publishes may be expired. An
 * engine replaying a past window (`catchUp.replay`: `sextant demo`) gets a neutral `replaying …` there.
 */
export class ConnectionPanel {
  readonly root: HTMLElement;
  private readonly dot = el('span', { class: 'dot' });
  private readonly label = el('span', { class: 'conn-label' }, 'not connected');
  private readonly detail = el('span', { class: 'conn-detail' });
  private readonly catchUpNote = el('span', { class: 'conn-catchup', id: 'catch-up' });
  private behind: Behind | null = null;

  constructor() {
    this.root = el('div', { class: 'connection', id: 'connection', 'data-state': 'idle', role: 'status', 'aria-live': 'polite' }, this.dot, this.label, this.detail, this.catchUpNote);
    this.catchUpNote.hidden = true;
  }

  /**
   * The engine's catch-up state (the feed's `pnl.catchUp`): shown at once, hidden when it is not
   * catching up; amber (`conn-catchup`) for a backlog, neutral (`conn-replay`) for a replay.
   */
  catchUp(c: CatchUp | null | undefined): void {
    const t = catchUpText(c);
    this.catchUpNote.hidden = t === null;
    this.catchUpNote.className = t?.replay === true ? 'conn-replay' : 'conn-catchup';
    this.catchUpNote.textContent = t?.label ?? '';
    this.catchUpNote.title = t?.detail ?? '';
  }

  /**
   * How far the page is behind the engine in event time (`event-lag.ts`), null when it is not: an
   * open feed then says `live, but behind the engine by …` (state `behind`) at the next {@link show}.
   */
  lag(b: Behind | null): void {
    this.behind = b;
  }

  show(s: ConnectionStatus, stats: FeedStats, now: number, refused: Refused = { count: 0, last: null }): void {
    const stale = s.state === 'open' && s.upstream === 'down';
    const lag = s.state === 'open' && !stale ? lagText(this.behind) : null;
    this.root.dataset['state'] = stale ? 'stale' : lag !== null ? 'behind' : s.state;
    let text = stale ? `feed stale: gateway lost NATS at ${fmt.clock(s.upstreamSince)}` : (lag?.label ?? LABEL[s.state]);
    if ((s.state === 'reconnecting' || s.state === 'locked-out') && s.retryAt !== null) text += ` in ${Math.max(0, Math.ceil((s.retryAt - now) / 1000))} s (attempt ${s.attempt})`;
    this.label.textContent = text;
    const parts = lag === null ? [] : [lag.detail];
    parts.push(`${stats.applied} updates`);
    if (stats.stale > 0) parts.push(`${stats.stale} stale dropped`);
    if (stats.invalid > 0) parts.push(`${stats.invalid} invalid`);
    if (refused.count > 0) parts.push(`${refused.count} refused (last: ${refused.last ?? '?'})`);
    if (stats.reconnects > 0) parts.push(`${stats.reconnects} reconnects`);
    if (s.lastError !== null && s.state !== 'refused') parts.push(s.lastError);
    if (!stale && s.gapAt !== null) parts.push(`NATS back at ${fmt.clock(s.gapAt)} after an outage: updates in between may be missing`);
    this.detail.textContent = parts.join(' · ');
    this.root.title = s.lastMessageAt === null ? '' : `last message ${Math.round((now - s.lastMessageAt) / 1000)} s ago`;
  }

  idle(message: string): void {
    this.root.dataset['state'] = 'idle';
    this.label.textContent = message;
    this.detail.textContent = '';
  }
}
