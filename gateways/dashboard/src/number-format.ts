/** How the dashboard writes numbers and times (no DOM: unit-tested under Node). */
const num = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 });
/** From a million up the integer part is kept whole: 6 significant digits made a PEPE fill of 12,583,892.6 read 12,583,900. */
const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
/** A loss under half a cent reads 0.00, not a red -0.00. */
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'negative' });

export const fmt = {
  num: (n: number | null | undefined): string => (n === null || n === undefined ? '–' : Math.abs(n) >= 1e6 ? whole.format(n) : num.format(n)),
  money: (n: number): string => money.format(n),
  /** The colour class of an amount as `money` writes it: `neg`, `pos`, or '' for one that reads 0.00. */
  tone: (n: number): 'neg' | 'pos' | '' => {
    const s = money.format(n);
    return s.startsWith('-') ? 'neg' : /[1-9]/.test(s) ? 'pos' : '';
  },
  pct: (n: number): string => `${(n * 100).toFixed(1)}%`,
  /** Event time as `YYYY-MM-DD HH:MM` UTC (the engine's clock is event time, not the viewer's); table heads say UTC. */
  time: (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' '),
  /** A wall-clock moment of the connection (NATS lost, back) as `HH:MM:SS UTC`, in the same zone as every other time on the page. */
  clock: (ms: number | null): string => (ms === null ? '?' : `${new Date(ms).toISOString().slice(11, 19)} UTC`),
};
