import type { RiskState, TradingState } from '../../../streams/messages/risk-state.js';
import { fmt } from './number-format.js';

/** The risk actor's current state as its book (the feed's `pnl`) reports it, every second. */
export type BookState = Readonly<{ account: string; state: TradingState }>;
export type RiskView = Readonly<{ state: TradingState | 'UNKNOWN'; line: string }>;


/**
 * What the risk panel shows. `risk` messages come only on a change of state, so an engine that
 * never changed state (most runs) sent none: the book's state stands in for them, and wins when
 * the two disagree (it is read from the actor now; the change may be an old one). The badge read
 * `unknown` for a whole run while the actors panel and `ctl status` said ACTIVE.
 */
export function riskView(change: RiskState | null, book: BookState | null): RiskView {
  if (change !== null && (book === null || (book.account === change.account && book.state === change.state))) {
    return { state: change.state, line: `${change.account}: ${change.previous} → ${change.state} at ${fmt.time(change.ts)} UTC${change.reason === '' ? '' : ` — ${change.reason}`}` };
  }
  if (book !== null) return { state: book.state, line: `${book.account}: ${book.state} (no change of state seen)` };
  return { state: 'UNKNOWN', line: '' };
}
