import { monitorEventLoopDelay } from 'node:perf_hooks';

/** `gapsMs`: every gap of the 1 ms probe longer than 10 ms, in order (lag, as `maxLagMs`). */
export type LagReport = Readonly<{ elapsedMs: number; maxLagMs: number; p99LagMs: number; meanLagMs: number; samples: number; gapsMs: readonly number[] }>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Event-loop lag while `work` runs, two ways: Node's delay histogram (1 ms resolution; it
 * records whole timer intervals, so an idle loop reads ≈ 1 ms and 1 ms is subtracted), and a
 * 1 ms interval probe that records the longest gap between its ticks — the histogram alone can
 * miss a single block that starts right after it is enabled. `maxLagMs` is the larger of the two.
 */
export async function measureLag(work: () => Promise<unknown>): Promise<LagReport> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let last = performance.now();
  let maxGap = 0;
  const gapsMs: number[] = [];
  const probe = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    if (now - last - 1 > 10) gapsMs.push(now - last - 1);
    last = now;
  }, 1);
  await sleep(5); // both timers armed, with a baseline tick
  const t0 = performance.now();
  await work();
  const elapsedMs = performance.now() - t0;
  await sleep(5); // a loop blocked until just now gets to record it
  clearInterval(probe);
  h.disable();
  const ms = (ns: number): number => Math.max(0, ns / 1e6 - 1);
  const samples = h.count;
  return {
    elapsedMs,
    maxLagMs: Math.max(samples > 0 ? ms(h.max) : 0, maxGap - 1),
    p99LagMs: samples > 0 ? ms(h.percentile(99)) : 0,
    meanLagMs: samples > 0 ? ms(h.mean) : 0,
    samples,
    gapsMs,
  };
}
