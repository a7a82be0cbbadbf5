/**
 * In-process counters for summaries and the metrics endpoint: messages in, features out,
 * refusals by reason, rows written. Plain numbers; the hot path only does `+=`.
 */
export type EngineCounters = {
  messagesIn: number;
  accepted: number;
  featuresOut: number;
  refused: Record<string, number>;
  rowsWritten: { trades: number; quotes: number; bars: number; features: number };
  /** Asset actors restarted by the supervisor after a failure. */
  restarts: number;
  /**
   * Asset actor starts that found their snapshot behind the acknowledged stream (Redis lost it or
   * its last writes) and replayed the stream from the snapshot to rebuild the state.
   */
  rebuilds: number;
  /**
   * Versions the served alias moved to that the engine refused to swap to (they do not fit it, or
   * did not load), each counted once; it kept serving the model it had.
   */
  modelsRefused: number;
};

export function createCounters(): EngineCounters {
  return { messagesIn: 0, accepted: 0, featuresOut: 0, refused: {}, rowsWritten: { trades: 0, quotes: 0, bars: 0, features: 0 }, restarts: 0, rebuilds: 0, modelsRefused: 0 };
}

export function countRefusal(c: EngineCounters, reason: string): void {
  c.refused[reason] = (c.refused[reason] ?? 0) + 1;
}
