/**
 * Upper bound (exclusive) of a taker or maker fee in bps: at 10,000 a fill pays 100 % of its
 * notional in fees, which no venue charges; such a value can only be a typo (a fee of 1e6 bps was
 * accepted and drove every account through zero).
 */
export const MAX_FEE_BPS = 10_000;
