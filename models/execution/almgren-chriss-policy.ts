import type { ChildPlan, ExecutionPolicy, MarketContext, ParentOrder } from './execution-policy.js';
import { checkParent, evenlyTimed, slicesFromPath, slicesWithinBars } from './execution-policy.js';
import { linearPath } from './twap-policy.js';

export type AlmgrenChrissOptions = Readonly<{
  /** Number of slices (default 5); fewer where the horizon holds fewer whole bars (one child per bar at most). */
  slices?: number;
  /** Risk aversion λ, per unit of the variance of the cost as a return on the parent's notional; 0 gives TWAP. */
  riskAversion: number;
  /**
   * Temporary impact η, per unit of qty/volume: trading at rate v (base units per bar) against a
   * bar volume V costs h(v) = η·v/V as a return (η = 0.1: trading 1 % of each bar's volume pays
   * 10 bps).
   */
  temporaryImpact: number;
  orderType?: 'limit' | 'market';
  limitOffsetBps?: number;
  ttlMs?: number;
}>;

/**
 * κ of the continuous Almgren–Chriss solution, per bar. With costs as returns on the parent's
 * notional and the inventory as its share u = x/X of the parent, the temporary impact h(v) = η·v/V
 * is η·X/V per unit of the normalised rate u' (share of the parent per bar), and the risk term
 * λσ²u², so κ = sqrt(λσ²/(η·X/V)) = sqrt(λσ²V/(ηX)): the larger the parent against the bar's
 * volume, the dearer speed and the flatter the schedule. σ is the 1-bar return volatility, `qty`
 * the parent X and `volume` V, both in base units. Zero when σ or V is unknown: without a price
 * for risk, or for impact against the market's volume, the optimum is TWAP.
 */
export function acKappa(riskAversion: number, sigma: number | null, eta: number, qty: number, volume: number | null): number {
  if (sigma === null || !(sigma > 0) || volume === null || !(volume > 0) || !(qty > 0)) return 0;
  return Math.sqrt((riskAversion * sigma * sigma * volume) / (eta * qty));
}

/** sinh(a)/sinh(b) for 0 ≤ a ≤ b without overflow: e^(a−b)·(1−e^(−2a))/(1−e^(−2b)). */
function sinhRatio(a: number, b: number): number {
  return Math.exp(a - b) * (-Math.expm1(-2 * a) / -Math.expm1(-2 * b));
}

/**
 * Almgren–Chriss (2000) optimal holdings at `n + 1` equally spaced times over `T` bars:
 * `x_j = X·sinh(κ(T − t_j))/sinh(κT)`. For κT → 0 this is the linear (TWAP) path, used below a
 * threshold where the ratio would lose precision.
 */
export function acPath(total: number, n: number, kappa: number, horizonBars: number): number[] {
  const kT = kappa * horizonBars;
  if (!(kT > 1e-9)) return linearPath(total, n);
  const path: number[] = [];
  for (let j = 0; j <= n; j++) path.push(j === n ? 0 : total * sinhRatio(kT * (1 - j / n), kT));
  return path;
}

/**
 * The Almgren–Chriss schedule: risk aversion front-loads the trading (less time exposed to
 * price risk, more impact); λ → 0 is TWAP. σ is the context's `ewma_vol` and V its `volume`
 * (both per bar of `ctx.barMs`), the horizon is converted to bars, so κ is per bar. Over a horizon
 * of fewer whole bars than slices the same optimal path is sampled once per bar (one child a bar).
 */
export function almgrenChrissPolicy(opts: AlmgrenChrissOptions): ExecutionPolicy {
  const n = opts.slices ?? 5;
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`almgrenChrissPolicy: slices must be an integer >= 1, got ${n}`);
  if (!(Number.isFinite(opts.riskAversion) && opts.riskAversion >= 0)) throw new RangeError('almgrenChrissPolicy: riskAversion must be finite and >= 0');
  if (!(Number.isFinite(opts.temporaryImpact) && opts.temporaryImpact > 0)) throw new RangeError('almgrenChrissPolicy: temporaryImpact must be finite and > 0');
  const child = { orderType: opts.orderType ?? 'limit', limitOffsetBps: opts.limitOffsetBps ?? 0, ...(opts.ttlMs === undefined ? {} : { ttlMs: opts.ttlMs }) } as const;
  return {
    name: 'almgren-chriss',
    schedule(parent: ParentOrder, ctx: MarketContext): readonly ChildPlan[] {
      checkParent(parent);
      if (!(ctx.barMs > 0)) throw new RangeError(`almgrenChrissPolicy: barMs must be > 0, got ${ctx.barMs}`);
      const kappa = acKappa(opts.riskAversion, ctx.volatility, opts.temporaryImpact, parent.qty, ctx.volume);
      const path = acPath(parent.qty, slicesWithinBars(n, parent.horizonMs, ctx.barMs), kappa, parent.horizonMs / ctx.barMs);
      return evenlyTimed(parent, slicesFromPath(parent.qty, path), child);
    },
  };
}
