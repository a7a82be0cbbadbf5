import type { Reject } from '../streams/messages/reject.js';
import { RiskReason } from '../streams/messages/risk-reason.js';

/**
 * What is known of the market-data feeds of an asset that are not live (`sextant gateway`'s status
 * on `sx.mdstatus.…`, cli/feed-status-watch.ts), as text; undefined when none is known down.
 */
export type FeedNote = (venue: string, symbol: string) => string | undefined;

/**
 * The reject as published: a STALE_MARKET_DATA or NO_MARKET_DATA refusal of an asset whose feed is
 * known down says why in its `detail` (`…; feed bar 1m retrying NETWORK: …`). Only the text: the
 * reasons, the id and the decision are the risk core's, made before and without it.
 */
export function withFeedNote(r: Reject, note: FeedNote | undefined): Reject {
  if (note === undefined || !r.reasons.some((x) => x === RiskReason.STALE_MARKET_DATA || x === RiskReason.NO_MARKET_DATA)) return r;
  const text = note(r.venue, r.symbol);
  return text === undefined ? r : { ...r, detail: `${r.detail}; ${text}` };
}
