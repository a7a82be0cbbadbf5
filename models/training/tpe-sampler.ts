import { fromInternal, internalBounds, samplePrior, toInternal } from './search-space.js';
import type { ParamSpec, ParamValue, Params, Sampler, SearchSpace, Trial } from './search-space.js';
import { mulberry32 } from './seeded-rng.js';

export type TpeOptions = Readonly<{
  seed: number;
  /** Trials drawn from the prior before the estimators take over; default 10. */
  startupTrials?: number;
  /** Share of finished trials counted as good; default 0.25 (at least one). */
  gamma?: number;
  /** Draws from the good-trial density per parameter, of which the best ratio wins; default 24. */
  candidates?: number;
}>;

type Numeric = Exclude<ParamSpec, { kind: 'categorical' }>;
/** A truncated Gaussian mixture on [lo, hi]: equal weights, one component per observation plus the prior. */
type Parzen = Readonly<{ mus: number[]; sigmas: number[]; lo: number; hi: number }>;

const SQRT2 = Math.SQRT2;
/** erf, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): plenty for ranking candidates. */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const cdf = (z: number): number => 0.5 * (1 + erf(z / SQRT2));

function parzen(obs: readonly number[], lo: number, hi: number): Parzen {
  const range = hi - lo;
  // Prior component centred on the range, as wide as it (keeps mass everywhere).
  const pts = [...obs, (lo + hi) / 2].map((v, i) => ({ v, prior: i === obs.length }));
  const sorted = [...pts].sort((a, b) => a.v - b.v);
  const minSigma = range / Math.min(100, 1 + pts.length);
  const sigmas = new Map<(typeof pts)[number], number>();
  sorted.forEach((p, k) => {
    if (p.prior) {
      sigmas.set(p, range);
      return;
    }
    const left = k > 0 ? p.v - (sorted[k - 1] as (typeof pts)[number]).v : p.v - lo;
    const right = k < sorted.length - 1 ? (sorted[k + 1] as (typeof pts)[number]).v - p.v : hi - p.v;
    sigmas.set(p, Math.min(range, Math.max(minSigma, left, right)));
  });
  return { mus: pts.map((p) => p.v), sigmas: pts.map((p) => sigmas.get(p) as number), lo, hi };
}

function logDensity(m: Parzen, x: number): number {
  let p = 0;
  for (let k = 0; k < m.mus.length; k++) {
    const mu = m.mus[k] as number;
    const s = m.sigmas[k] as number;
    const mass = Math.max(cdf((m.hi - mu) / s) - cdf((m.lo - mu) / s), 1e-12);
    p += Math.exp(-0.5 * ((x - mu) / s) ** 2) / (s * Math.sqrt(2 * Math.PI) * mass);
  }
  return Math.log(Math.max(p / m.mus.length, 1e-300));
}

function sampleParzen(m: Parzen, rng: () => number): number {
  const k = Math.min(m.mus.length - 1, Math.floor(rng() * m.mus.length));
  const mu = m.mus[k] as number;
  const s = m.sigmas[k] as number;
  for (let tries = 0; tries < 64; tries++) {
    // Box–Muller from the seeded stream.
    const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const x = mu + s * z;
    if (x >= m.lo && x <= m.hi) return x;
  }
  return m.lo + (m.hi - m.lo) * rng();
}

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), univariate as in Optuna's default:
 * the finished trials are split into the best `gamma` share (good) and the rest (bad); per
 * parameter, a density l(x) of the good values and g(x) of the bad ones (truncated Gaussian
 * mixtures with neighbour-distance bandwidths and a broad prior component; for categorical
 * parameters, smoothed frequencies) — and the candidate drawn from l with the largest
 * l(x) / g(x) is proposed. Failed (non-finite) trials count as bad. Seeded: same history, same
 * proposal.
 */
export function tpeSampler(opts: TpeOptions): Sampler {
  const rng = mulberry32(opts.seed);
  const startup = opts.startupTrials ?? 10;
  const gamma = opts.gamma ?? 0.25;
  const nCandidates = opts.candidates ?? 24;
  return {
    name: 'tpe',
    suggest(space: SearchSpace, history: readonly Trial[]): Params {
      if (history.length < Math.max(startup, 2)) return samplePrior(space, rng);
      const ranked = [...history].sort((a, b) => (Number.isFinite(a.loss) ? a.loss : Infinity) - (Number.isFinite(b.loss) ? b.loss : Infinity) || a.index - b.index);
      const nGood = Math.max(1, Math.min(ranked.length - 1, Math.ceil(gamma * ranked.length)));
      const good = ranked.slice(0, nGood);
      const bad = ranked.slice(nGood);
      const out: Record<string, ParamValue> = {};
      for (const [name, p] of Object.entries(space)) {
        out[name] = p.kind === 'categorical' ? suggestCategorical(p.choices, good, bad, name, rng, nCandidates) : suggestNumeric(p, good, bad, name, rng, nCandidates);
      }
      return out;
    },
  };
}

function suggestNumeric(p: Numeric, good: readonly Trial[], bad: readonly Trial[], name: string, rng: () => number, n: number): number {
  const [lo, hi] = internalBounds(p);
  if (hi === lo) return fromInternal(p, lo);
  const values = (ts: readonly Trial[]): number[] => ts.map((t) => t.params[name]).filter((v): v is number => typeof v === 'number').map((v) => toInternal(p, v));
  const l = parzen(values(good), lo, hi);
  const g = parzen(values(bad), lo, hi);
  let best = lo;
  let bestScore = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = sampleParzen(l, rng);
    const score = logDensity(l, x) - logDensity(g, x);
    if (score > bestScore) [best, bestScore] = [x, score];
  }
  return fromInternal(p, best);
}

function suggestCategorical(choices: readonly ParamValue[], good: readonly Trial[], bad: readonly Trial[], name: string, rng: () => number, n: number): ParamValue {
  const weights = (ts: readonly Trial[]): number[] => {
    const w = choices.map(() => 1); // add-one prior: an unseen choice keeps some probability
    for (const t of ts) {
      const k = choices.indexOf(t.params[name] as ParamValue);
      if (k >= 0) w[k] = (w[k] as number) + 1;
    }
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / total);
  };
  const l = weights(good);
  const g = weights(bad);
  let best = 0;
  let bestScore = -Infinity;
  for (let i = 0; i < n; i++) {
    let u = rng();
    let k = 0;
    while (k < l.length - 1 && u >= (l[k] as number)) u -= l[k++] as number;
    const score = Math.log(l[k] as number) - Math.log(g[k] as number);
    if (score > bestScore) [best, bestScore] = [k, score];
  }
  return choices[best] as ParamValue;
}
