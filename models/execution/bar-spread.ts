/**
 * Upper bound (exclusive) of a fixed full spread in bps: at 20,000 the half spread is 100 %, and a
 * taker's sell would be priced at or below zero (the fill was refused deep in the run).
 */
export const MAX_SPREAD_BPS = 20_000;

/**
 * Bid-ask spread estimated from OHLC bars, for venues simulated from bars alone (no quotes).
 *
 * - `fixed`: the configured `spreadBps`, always (the paper venue's historical behaviour).
 * - `range-fraction`: S = fraction · (H − L) / C of the last completed bar, averaged over the last
 *   `window` bars. A crude proxy: the intrabar range is mostly volatility, and `fraction` (e.g.
 *   0.05–0.2) says how much of it is taken to be the spread.
 * - `corwin-schultz` (Corwin & Schultz, 2012, "A Simple Way to Estimate Bid-Ask Spreads from
 *   Daily High and Low Prices"): for two consecutive bars t−1, t
 *     β = ln(H₁/L₁)² + ln(H₂/L₂)²,  γ = ln(max(H₁,H₂) / min(L₁,L₂))²,
 *     α = (√(2β) − √β) / (3 − 2√2) − √(γ / (3 − 2√2)),
 *     S = 2(e^α − 1) / (1 + e^α),
 *   negative estimates set to 0 (as the paper does), averaged over the last `window` pairs.
 *
 * S is a relative full spread (0.001 = 10 bps). Every estimate uses completed bars only, so a
 * fill at a bar's open never sees that bar's own high and low. Until `window` estimates exist the
 * estimator returns null and the venue falls back to `spreadBps`.
 */
export type SpreadModel =
  | Readonly<{ kind: 'fixed' }>
  | Readonly<{ kind: 'range-fraction'; fraction: number; window?: number }>
  | Readonly<{ kind: 'corwin-schultz'; window?: number }>;

export type BarRange = Readonly<{ high: number; low: number; close: number }>;

export type BarSpreadEstimator = {
  /** Learns one completed bar. */
  update(bar: BarRange): void;
  /** Relative full spread, or null while warming up (or with `fixed`). */
  value(): number | null;
  /** What it learned, as JSON, to go on from after a restart (`createBarSpreadEstimator`'s `from`); null with `fixed`. */
  state(): BarSpreadState | null;
};

/**
 * An estimator's learned state: the model it was learned under, the ring of the last estimates as
 * it is laid out in memory (`next`: the slot the next estimate goes to; kept as is, so the mean is
 * summed in the same order and a restored estimator gives bit-identical values) and the last bar.
 */
export type BarSpreadState = Readonly<{ model: SpreadModel; ring: number[]; next: number; prev: BarRange | null }>;

const DEFAULT_WINDOW = 20;
const K = 3 - 2 * Math.SQRT2;

/** One Corwin–Schultz estimate from two consecutive bars (may be negative; clip before use). */
export function corwinSchultz(prev: BarRange, cur: BarRange): number {
  const beta = Math.log(prev.high / prev.low) ** 2 + Math.log(cur.high / cur.low) ** 2;
  const gamma = Math.log(Math.max(prev.high, cur.high) / Math.min(prev.low, cur.low)) ** 2;
  const alpha = (Math.sqrt(2 * beta) - Math.sqrt(beta)) / K - Math.sqrt(gamma / K);
  return (2 * (Math.exp(alpha) - 1)) / (1 + Math.exp(alpha));
}

/** Checks a spread model's parameters; throws RangeError naming the bad one. */
export function validateSpreadModel(m: SpreadModel): void {
  if (m.kind === 'fixed') return;
  const w = m.window ?? DEFAULT_WINDOW;
  if (!(Number.isInteger(w) && w >= 1)) throw new RangeError(`spreadModel.window must be an integer >= 1: ${w}`);
  if (m.kind === 'range-fraction' && !(Number.isFinite(m.fraction) && m.fraction >= 0 && m.fraction <= 1)) throw new RangeError(`spreadModel.fraction must be in [0, 1]: ${m.fraction}`);
}

const windowOf = (m: SpreadModel): number | null => (m.kind === 'fixed' ? null : (m.window ?? DEFAULT_WINDOW));
const fractionOf = (m: SpreadModel): number | null => (m.kind === 'range-fraction' ? m.fraction : null);
/** Whether two models estimate the same way (a window left out is the default's). */
const sameModel = (a: SpreadModel, b: SpreadModel): boolean => a.kind === b.kind && windowOf(a) === windowOf(b) && fractionOf(a) === fractionOf(b);

/**
 * `from`: a state taken with `state()`, to go on from (a restart). One learned under another
 * model (the configuration changed meanwhile), or not laid out as this window's ring, is not
 * used: the estimator starts over, as a fresh one would.
 */
export function createBarSpreadEstimator(model: SpreadModel, from?: BarSpreadState | null): BarSpreadEstimator {
  validateSpreadModel(model);
  if (model.kind === 'fixed') return { update: () => {}, value: () => null, state: () => null };
  const window = model.window ?? DEFAULT_WINDOW;
  const usable =
    from != null &&
    sameModel(from.model, model) &&
    from.ring.length <= window &&
    Number.isInteger(from.next) &&
    from.next >= 0 &&
    from.next < window &&
    (from.ring.length === window || from.next === from.ring.length);
  // A ring of the last `window` estimates, averaged when read (rare: once per taker fill).
  const ring: number[] = usable ? [...from.ring] : [];
  let next = usable ? from.next : 0;
  let prev: BarRange | undefined = usable && from.prev !== null ? { high: from.prev.high, low: from.prev.low, close: from.prev.close } : undefined;
  const push = (s: number): void => {
    if (ring.length < window) ring.push(s);
    else ring[next] = s;
    next = (next + 1) % window;
  };
  return {
    update(bar) {
      if (model.kind === 'range-fraction') push((model.fraction * (bar.high - bar.low)) / bar.close);
      else if (prev !== undefined) push(Math.max(0, corwinSchultz(prev, bar)));
      prev = bar;
    },
    value: () => (ring.length < window ? null : ring.reduce((a, b) => a + b, 0) / window),
    state: () => ({ model, ring: [...ring], next, prev: prev === undefined ? null : { high: prev.high, low: prev.low, close: prev.close } }),
  };
}
