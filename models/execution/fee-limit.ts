import { MAX_REBATE_SHARE } from '../../streams/messages/fill.js';

/**
 * Upper bound (exclusive) of a taker or maker fee in bps: at 10,000 a fill pays 100 % of its
 * notional in fees, which no venue charges; such a value can only be a typo (a fee of 1e6 bps was
 * accepted and drove every account through zero).
 */
export const MAX_FEE_BPS = 10_000;

/**
 * Largest maker rebate in bps (a maker fee of down to −MAX_REBATE_BPS): a fill's rebate is at most
 * `MAX_REBATE_SHARE` (1 %) of its notional, which the fill schema enforces. Taker fees stay ≥ 0.
 */
export const MAX_REBATE_BPS = MAX_REBATE_SHARE * 1e4;
