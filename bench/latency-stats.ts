/** Latency percentiles as the benches print them (nearest rank on the sorted samples, ms). */
export type Summary = Readonly<{ n: number; p50: number; p90: number; p99: number; max: number }>;

export function summarise(samples: readonly number[]): Summary {
  const s = Float64Array.from(samples).sort();
  const at = (p: number): number => (s.length === 0 ? Number.NaN : (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number));
  return { n: s.length, p50: at(50), p90: at(90), p99: at(99), max: s.length === 0 ? Number.NaN : (s[s.length - 1] as number) };
}

/**
 * The market-data message an order traces back to. Ids are derived from their inputs:
 * order `o:<suggestion>`, suggestion `s:<parent>:<child>`, parent `e:<prediction>`, prediction
 * `p:<strategy>:<feature vector>`, feature vector `f:<bar id>`. Undefined for anything else.
 *
 * @example barIdOfOrder('s:e:p:dirmlp:f:b:binance:BTC/USDT:1h:1704067200000:0') // 'b:binance:BTC/USDT:1h:1704067200000'
 */
export function barIdOfOrder(suggestionId: string): string | undefined {
  const m = /^s:e:p:[A-Za-z0-9_-]+:f:(b:.+):\d+$/.exec(suggestionId);
  return m?.[1];
}

/** The `q`-th percentile (nearest rank, as {@link summarise}) of the samples of the `blocks` picked by `pick`. */
function pooledPercentile(blocks: readonly (readonly number[])[], pick: Int32Array, q: number, scratch: Float64Array): number {
  let n = 0;
  for (const b of pick) for (const x of blocks[b] as readonly number[]) scratch[n++] = x;
  if (n === 0) return Number.NaN;
  const s = scratch.subarray(0, n).sort();
  return s[Math.min(n - 1, Math.ceil((q / 100) * n) - 1)] as number;
}

/**
 * A block bootstrap of the ratio of two pooled percentiles: `a` and `b` are each condition's
 * samples in blocks (the phases a bench alternated), and each round draws as many blocks as
 * each condition has, with replacement, and takes the ratio of the pooled `q`-th percentiles
 * (b over a). Blocks keep the stalls' runs of slow samples together, so the interval reflects how
 * few of them decide a tail percentile. `rng` gives uniform numbers in [0, 1) (seeded, so a run's
 * interval can be reproduced). Returns the 5th, 50th and 95th percentiles of the rounds' ratios.
 */
export function bootstrapRatio(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
  q: number,
  rounds: number,
  rng: () => number,
): Readonly<{ lo: number; mid: number; hi: number }> {
  if (a.length === 0 || b.length === 0) return { lo: Number.NaN, mid: Number.NaN, hi: Number.NaN };
  const size = (xs: readonly (readonly number[])[]): number => xs.reduce((m, x) => Math.max(m, x.length), 0) * xs.length;
  const scratch = new Float64Array(Math.max(size(a), size(b)));
  const draw = (k: number): Int32Array => Int32Array.from({ length: k }, () => Math.floor(rng() * k));
  const ratios = new Float64Array(rounds);
  for (let r = 0; r < rounds; r++) ratios[r] = pooledPercentile(b, draw(b.length), q, scratch) / pooledPercentile(a, draw(a.length), q, scratch);
  ratios.sort();
  const at = (p: number): number => ratios[Math.min(rounds - 1, Math.max(0, Math.ceil(p * rounds) - 1))] as number;
  return { lo: at(0.05), mid: at(0.5), hi: at(0.95) };
}

/** The engine's main thread this busy or more: it was saturated, and its latency is queueing behind a backlog. */
export const SATURATED_BUSY = 0.9;
/** The raw baseline's p99 before and after the engine run differing by more than this factor: the host's load changed. */
export const RAW_DRIFT = 3;

/**
 * The verdict of the decision bench against its target (engine p99 ≤ `target` × raw p99), or
 * `inconclusive` with the reasons when the run cannot tell: the engine saturated (the ratio is then
 * set by how far behind it fell), or the raw baseline moved so much between its two runs that the
 * host's load, not the engine, sets the ratio (a slow raw run can make a saturated engine look
 * "within 2×").
 */
export function latencyVerdict(o: Readonly<{ ratio: number; target: number; mainThreadBusy: number; rawBeforeP99: number; rawAfterP99: number }>): Readonly<{ verdict: 'met' | 'not met' | 'inconclusive'; reasons: readonly string[] }> {
  const reasons: string[] = [];
  if (o.mainThreadBusy >= SATURATED_BUSY) reasons.push(`the engine's main thread was ${(100 * o.mainThreadBusy).toFixed(1)} % busy (saturated at ≥ ${100 * SATURATED_BUSY} %)`);
  const drift = Math.max(o.rawBeforeP99, o.rawAfterP99) / Math.min(o.rawBeforeP99, o.rawAfterP99);
  if (!(drift <= RAW_DRIFT)) reasons.push(`the raw p99 moved ${drift.toFixed(1)}× between the runs before and after (more than ${RAW_DRIFT}×)`);
  if (reasons.length > 0) return { verdict: 'inconclusive', reasons };
  return { verdict: o.ratio <= o.target ? 'met' : 'not met', reasons };
}
