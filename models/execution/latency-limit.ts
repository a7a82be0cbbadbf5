/**
 * Upper bound (inclusive) of the paper venue's order latency `latencyMs` (`--latency-ms`, a spec's
 * `costs.latencyMs`, config `paperVenue.latencyMs`), in event time: a day. Venue latencies are
 * milliseconds to seconds, and an order's time-to-live counts from its arrival; a latency of a day
 * or more can only be a typo or a unit mistake (`--latency-ms 1e12`, 31 years, was accepted, and
 * the backtest ran with every order arriving after the data ended).
 */
export const MAX_LATENCY_MS = 86_400_000;
