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
 * a venue's quantities are decimal and the book's are doubles (0.1 + 0.2 of an order of 0.3), and
 * a venue works an order in its lot steps, which the engine does not know (its orders are sized in
 * doubles: 0.0833333333333 BTC is 0.08333333 at a step of 1e-8), so a live trading consumer's
 * fills and `filledQty`/`remainingQty`, from the venue's own quantities, are off the order's by up
 * to a step. A fill may overrun what its order had left by this much (fill-check.ts), an expiry's
 * quantities are compared with the book's within it (expiry-check.ts), and what an expiry leaves
 * awaited below it is a rounding residue, not a fill to come. 1e-6 covers steps of 1e-8 on orders
 * of 0.01 and more (a satoshi on 0.01 BTC); before, 1e-9 refused a valid expiry of 0.0833333333333
 * BTC reported as 0.05 + 0.03333333 to the dead letters as ORDER_MISMATCH. A venue's coarser step
 * on a small order (1e-5 BTC on 0.01) is still beyond it.
 */
export const REPORT_TOLERANCE = 1e-6;
