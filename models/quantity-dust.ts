/**
 * Below this share of the quantities traded, what a close leaves is floating-point rounding
 * (0.1 + 0.2 bought, 0.3 sold leaves 5.6e-17), not a position or an open remainder. One figure
 * for the backtest's positions, the risk book, the execution core and the paper venue, so they
 * agree on when something is flat or done.
 */
export const DUST_SHARE = 1e-12;

/** `qty` after trading quantities up to `scale` (the largest involved): 0 when it is dust, else itself. */
export const withoutDust = (qty: number, scale: number): number => (Math.abs(qty) <= DUST_SHARE * scale ? 0 : qty);

/**
 * How far a venue's reported quantity may be from the book's, as a share of the order's quantity:
 * a venue's quantities are decimal and the book's are doubles (0.1 + 0.2 of an order of 0.3). A
 * fill may overrun what its order had left by this much (fill-check.ts), and an expiry's quantities
 * are compared with the book's within it (expiry-check.ts).
 */
export const REPORT_TOLERANCE = 1e-9;
