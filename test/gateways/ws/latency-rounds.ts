/** Nearest-rank quantile (NaN for no samples). */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
};

/** One measured phase: which condition it ran under and the latencies it collected. */
export type Phase = Readonly<{ treated: boolean; samples: readonly number[] }>;

export type PhaseComparison = Readonly<{
  /** Median over the control phases of each phase's quantile. */
  control: number;
  /** Median over the treated phases of each phase's quantile. */
  treated: number;
  /** treated / control. */
  ratio: number;
  /** Each condition's quantile over all its samples pooled (reported, not judged). */
  pooled: Readonly<{ control: number; treated: number }>;
}>;

/**
 * Compares a quantile (p99) between two conditions measured in alternating phases: each phase's
 * own quantile, then the median of those per condition. On a shared machine a phase now and
 * then meets a burst of someone else's load (a scheduler stall lands on every client of the
 * messages in flight, enough to own a pooled p99 on its own); the median over many phases is not
 * moved by a few such phases, while a cost the treatment really adds lifts every treated phase and
 * so the median too.
 */
export function comparePhases(phases: readonly Phase[], q = 0.99): PhaseComparison {
  const of = (treated: boolean): number[] => phases.filter((p) => p.treated === treated && p.samples.length > 0).map((p) => quantile(p.samples, q));
  const control = median(of(false));
  const treated = median(of(true));
  const pooledOf = (treated: boolean): number => quantile(phases.filter((p) => p.treated === treated).flatMap((p) => p.samples), q);
  return { control, treated, ratio: treated / control, pooled: { control: pooledOf(false), treated: pooledOf(true) } };
}
