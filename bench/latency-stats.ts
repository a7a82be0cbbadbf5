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
