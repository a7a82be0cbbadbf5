import type { BarInput } from '../../models/features/inputs.js';
import { mulberry32 } from '../../models/training/seeded-rng.js';

/**
 * A seeded random-walk bar series (hourly from 2024-01-01), for split and dataset tests where
 * what matters is the bookkeeping, not the market. `skip` leaves bar indices out (gaps).
 */
export function randomWalkBars(n: number, seed: number, opts: Readonly<{ start?: number; barMs?: number; price?: number; skip?: ReadonlySet<number> }> = {}): BarInput[] {
  const rng = mulberry32(seed);
  const barMs = opts.barMs ?? 3_600_000;
  const start = opts.start ?? Date.UTC(2024, 0, 1);
  let close = opts.price ?? 100;
  const out: BarInput[] = [];
  for (let i = 0; i < n; i++) {
    const open = close;
    close = open * Math.exp(0.01 * (rng() + rng() + rng() - 1.5));
    const high = Math.max(open, close) * (1 + 0.003 * rng());
    const low = Math.min(open, close) * (1 - 0.003 * rng());
    if (opts.skip?.has(i) === true) continue;
    out.push({ ts: start + i * barMs, open, high, low, close, volume: 10 + 5 * rng() });
  }
  return out;
}
