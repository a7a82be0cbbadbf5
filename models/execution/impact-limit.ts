/**
 * Upper bound (inclusive) of the square-root impact coefficient `impactCoeff` (`--impact-coeff`,
 * a spec's `costs.impactCoeff`, config `paperVenue.impactCoeff`). Impact is
 * `impactCoeff · σ · sqrt(qty / V)` of the price (σ the per-bar volatility, V the bar's volume):
 * measured coefficients of the square-root law are of order one (about 0.3 to 1 in equities,
 * futures and crypto; the shipped config uses 0.5), so at 10 an order taking a whole bar's
 * volume already moves the price ten σ. A larger value can only be a typo (1e9 was accepted and
 * priced every taker fill at the floor of the sell price).
 */
export const MAX_IMPACT_COEFF = 10;
