/**
 * The benches' view of the process's event loop: every stall (a 1 ms timer that came more than
 * 5 ms late) with the CPU time the process used meanwhile, and every main-thread GC pause.
 */
import { PerformanceObserver } from 'node:perf_hooks';

export type Stall = Readonly<{ at: number; ms: number }>;
/** A stall with the CPU time the process used meanwhile (all threads): far less than its length means the process was not running. */
export type TimedStall = Stall & Readonly<{ cpuMs: number }>;

export type LoopWatch = Readonly<{
  /** Stops watching; what was seen stays readable. */
  stop(): void;
  stalls: readonly TimedStall[];
  gcs: readonly Stall[];
  /** Milliseconds of GC inside a stall. */
  gcIn(x: Stall): number;
}>;

export function watchLoop(): LoopWatch {
  const stalls: TimedStall[] = [];
  const gcs: Stall[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ at: e.startTime, ms: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    if (now - last > 6) stalls.push({ at: last, ms: now - last - 1, cpuMs: (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000 });
    last = now;
    lastCpu = cpu;
  }, 1);
  return {
    stop: () => {
      clearInterval(timer);
      observer.disconnect();
    },
    stalls,
    gcs,
    gcIn: (x) => gcs.reduce((a, g) => a + Math.max(0, Math.min(x.at + x.ms + 1, g.at + g.ms) - Math.max(x.at, g.at)), 0),
  };
}
