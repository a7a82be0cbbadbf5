import type { RiskLimits } from './risk-limits.js';

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** JSON with object keys and lists (the allowlist: a set) sorted, so the same limits in another order compare equal. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => {
    if (Array.isArray(x)) return x.map((i) => JSON.stringify(i)).sort(byText);
    if (typeof x === 'object' && x !== null) return Object.fromEntries(Object.entries(x).sort(([a], [b]) => byText(a, b)));
    return x;
  });

/** One limit whose stored value is not the configuration's. */
export type LimitDrift = Readonly<{ key: string; stored: unknown; config: unknown }>;

/**
 * The limits where the stored ones (in force: an operator's `ctl limits set`, or an earlier
 * configuration) differ from the configuration's, by top-level key in declaration order.
 */
export function limitsDrift(stored: RiskLimits, config: RiskLimits): LimitDrift[] {
  const out: LimitDrift[] = [];
  for (const key of Object.keys(config) as (keyof RiskLimits)[]) {
    if (canonical(stored[key]) !== canonical(config[key])) out.push({ key, stored: stored[key], config: config[key] });
  }
  return out;
}
