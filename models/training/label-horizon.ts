/**
 * Bars ahead the baseline model's labels look (`trainBaseline`'s default `horizon`): the horizon a
 * model a backtest, a walk-forward or a regime suite trains for itself has, known before it is
 * trained (the execution policy's children, and so the orders' time-to-live, are planned over it).
 */
export const DEFAULT_HORIZON_BARS = 4;
