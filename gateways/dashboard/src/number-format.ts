/** How the dashboard writes numbers and times (no DOM: unit-tested under Node). */
const num = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 });
/** From a million up the integer part is kept whole: 6 significant digits made a PEPE fill of 12,583,892.6 read 12,583,900. */
const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const fmt = {
  num: (n: number | null | undefined): string => (n === null || n === undefined ? '–' : Math.abs(n) >= 1e6 ? whole.format(n) : num.format(n)),
  money: (n: number): string => money.format(n),
  pct: (n: number): string => `${(n * 100).toFixed(1)}%`,
  /** Event time as `YYYY-MM-DD HH:MM` UTC (the engine's clock is event time, not the viewer's). */
  time: (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' '),
};
