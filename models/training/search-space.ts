/**
 * Hyper-parameter search spaces. `uniform` and `log-uniform` are continuous (`log-uniform`
 * samples evenly in ln x, for learning rates and penalties), `int` is an integer range (bounds
 * included), `categorical` a list of choices.
 */
export type ParamSpec =
  | Readonly<{ kind: 'uniform'; low: number; high: number }>
  | Readonly<{ kind: 'log-uniform'; low: number; high: number }>
  | Readonly<{ kind: 'int'; low: number; high: number }>
  | Readonly<{ kind: 'categorical'; choices: readonly (string | number)[] }>;

export type SearchSpace = Readonly<Record<string, ParamSpec>>;
export type ParamValue = string | number;
export type Params = Readonly<Record<string, ParamValue>>;

/** One evaluated point: its parameters and the loss to minimise (non-finite = failed trial). */
export type Trial = Readonly<{ index: number; params: Params; loss: number; detail?: Readonly<Record<string, unknown>> }>;

/** Proposes the next point from the trials so far. Seeded: the same history gives the same point. */
export type Sampler = Readonly<{ name: string; suggest(space: SearchSpace, history: readonly Trial[]): Params }>;

/** Checks a space once, up front, so a typo fails before any training runs. */
export function checkSpace(space: SearchSpace): void {
  const names = Object.keys(space);
  if (names.length === 0) throw new RangeError('the search space is empty');
  for (const [name, p] of Object.entries(space)) {
    if (p.kind === 'categorical') {
      if (p.choices.length === 0) throw new RangeError(`${name}: no choices`);
      continue;
    }
    if (!(Number.isFinite(p.low) && Number.isFinite(p.high) && p.low <= p.high)) throw new RangeError(`${name}: need finite low ≤ high, got [${p.low}, ${p.high}]`);
    if (p.kind === 'log-uniform' && p.low <= 0) throw new RangeError(`${name}: log-uniform bounds must be positive`);
    if (p.kind === 'int' && !(Number.isInteger(p.low) && Number.isInteger(p.high))) throw new RangeError(`${name}: int bounds must be integers`);
  }
}

/**
 * The continuous coordinate a numeric parameter is modelled in: ln x for log-uniform, x for
 * uniform, and for int the range widened by ½ on each side so that rounding gives every
 * integer the same share.
 */
export function toInternal(p: Exclude<ParamSpec, { kind: 'categorical' }>, v: number): number {
  return p.kind === 'log-uniform' ? Math.log(v) : v;
}
export function internalBounds(p: Exclude<ParamSpec, { kind: 'categorical' }>): readonly [number, number] {
  if (p.kind === 'log-uniform') return [Math.log(p.low), Math.log(p.high)];
  if (p.kind === 'int') return [p.low - 0.5, p.high + 0.5];
  return [p.low, p.high];
}
export function fromInternal(p: Exclude<ParamSpec, { kind: 'categorical' }>, z: number): number {
  if (p.kind === 'log-uniform') return Math.min(p.high, Math.max(p.low, Math.exp(z)));
  if (p.kind === 'int') return Math.min(p.high, Math.max(p.low, Math.round(z)));
  return Math.min(p.high, Math.max(p.low, z));
}

/** A point drawn from the prior (each parameter independently, evenly in its coordinate). */
export function samplePrior(space: SearchSpace, rng: () => number): Params {
  const out: Record<string, ParamValue> = {};
  for (const [name, p] of Object.entries(space)) {
    if (p.kind === 'categorical') out[name] = p.choices[Math.min(p.choices.length - 1, Math.floor(rng() * p.choices.length))] as ParamValue;
    else {
      const [lo, hi] = internalBounds(p);
      out[name] = fromInternal(p, lo + (hi - lo) * rng());
    }
  }
  return out;
}
