import type { RiskState, TradingState } from '../../../streams/messages/risk-state.js';
import { fmt } from './number-format.js';

/** The risk actor's current state as its book (the feed's `pnl`) reports it, every second. */
export type BookState = Readonly<{ account: string; state: TradingState }>;
/**
 * `banner`: what the page's header says while the account does not trade freely (HALTED,
 * REDUCING, or ACTIVE with a symbol or strategy halted), null while it does or nothing is known.
 */
export type RiskView = Readonly<{ state: TradingState | 'UNKNOWN'; line: string; banner: string | null }>;

/**
 * Said after the state of a change announced `stored: false` (`sx.risk.state`): in force in the
 * engine, but its store write failed or had not ended; a restart would come back without it. Gone
 * once the engine announces the same change again with `stored: true` (a later write stored it),
 * or the next change arrives; it stays while no write stores it (the decision path's writes stopped).
 */
export const UNSTORED = '(in force, not stored: a restart would not find it)';

/**
 * What the risk panel shows. `risk` messages come only on a change of state, so an engine that
 * never changed state (most runs) sent none: the book's state stands in for them, and wins when
 * the two disagree (it is read from the actor now; the change may be an old one). The badge read
 * `unknown` for a whole run while the actors panel and `ctl status` said ACTIVE.
 *
 * The banner goes in the sticky header: a halt (an operator's, or the engine's own on a loss
 * limit) showed only as the risk panel's badge, out of sight once the page was scrolled, while
 * the header's green `live` said only that the feed was up.
 *
 * A change in force but not stored (`stored: false`) says so in the banner and the line: the page
 * showed a plain HALTED, the same as a stored halt, while a restart would have come back ACTIVE.
 */
export function riskView(change: RiskState | null, book: BookState | null, prior: RiskState | null = null): RiskView {
  if (change !== null && (book === null || (book.account === change.account && book.state === change.state))) {
    const why = change.reason === '' ? '' : ` — ${change.reason}`;
    const unstored = change.stored === false ? ` ${UNSTORED}` : '';
    const scoped = change.scopedHalts.map((h) => `${h.scope} ${h.value} halted${h.reason === undefined || h.reason === '' ? '' : ` (${h.reason})`}`).join(', ');
    const banner = change.state !== 'ACTIVE' ? `${change.account} ${change.state}${unstored} since ${fmt.time(change.ts)} UTC${why}` : scoped !== '' ? `${change.account}: ${scoped}${unstored}` : null;
    // A halt or resume of one symbol or strategy: its own reason (`scopedReason`), not the account's.
    const line =
      change.scopedReason !== undefined
        ? `${change.account}: ${scopedChange(prior, change)}${unstored} at ${fmt.time(change.ts)} UTC — ${change.scopedReason}${change.state === 'ACTIVE' ? '' : ` (account ${change.state}${why})`}`
        : `${change.account}: ${change.previous} → ${change.state}${unstored} at ${fmt.time(change.ts)} UTC${why}`;
    return { state: change.state, line, banner };
  }
  if (book !== null) return { state: book.state, line: `${book.account}: ${book.state} (no change of state seen)`, banner: book.state === 'ACTIVE' ? null : `${book.account} ${book.state}` };
  return { state: 'UNKNOWN', line: '', banner: null };
}

const scopeKey = (h: Readonly<{ scope: string; value: string }>): string => `${h.scope} ${h.value}`;

/**
 * What a change carrying `scopedReason` did, from the change seen before it (`prior`, of the same
 * account): the halt it lifted, or the one it added; "scoped halt or resume" when that is not
 * known (no change seen before it, as after a page load, or a halt given again with a new reason).
 */
function scopedChange(prior: RiskState | null, change: RiskState): string {
  if (prior === null || prior.account !== change.account) return 'scoped halt or resume';
  const now = new Set(change.scopedHalts.map(scopeKey));
  const before = new Set(prior.scopedHalts.map(scopeKey));
  const lifted = [...before].filter((k) => !now.has(k));
  if (lifted.length > 0) return lifted.map((k) => `${k} resumed`).join(', ');
  const added = [...now].filter((k) => !before.has(k));
  return added.length > 0 ? added.map((k) => `${k} halted`).join(', ') : 'scoped halt or resume';
}

/** The risk panel's list of scoped halts in force, each with the reason given for it (when the engine says it). */
export function scopedHaltLines(change: RiskState): string[] {
  return change.scopedHalts.map((h) => `halted ${h.scope} ${h.value}${h.reason === undefined || h.reason === '' ? '' : ` — ${h.reason}`}`);
}
