/**
 * The one clock actors, machines and models may read. Live wiring injects the wall clock; replay
 * and backtests inject a simulated clock driven by event time, so the same inputs give the same
 * outputs.
 */
export type TimerHandle = { readonly id: number };

export type Clock = {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
};
