import type { Logger } from '../state/logger.js';
import type { AssetEvent } from './event-sequencer.js';

/**
 * How far the decision path had decided an asset's market data when a risk write took the book:
 * `[asset actor key, highest stream sequence decided, newest event time decided]`. Stored with the
 * book, in the same row (`decided`, cli/risk-persist.ts).
 */
export type DecidedMark = readonly [asset: string, streamSeq: number, ts: number];

export type DecidedMarks = Readonly<{
  /**
   * Whether `e` was decided before the restart: at or below its asset's restored mark. The book,
   * the paper venue and execution's orders restored from the same row already hold its effects,
   * and everything it published was stored before that row was written, so it is not decided
   * again. A redelivered event at or below the mark but newer than every event decided up to it
   * is of a stream that was rebuilt (its sequences started again): that asset's mark is dropped,
   * with a warning, and its events are decided from there.
   */
  before(e: AssetEvent): boolean;
  /** `e` was decided now: the asset's mark moves to it. */
  decided(e: AssetEvent): void;
  /** The marks as they are now (taken with the book for a risk write). */
  snapshot(): DecidedMark[];
}>;

type Mark = { seq: number; ts: number };

/**
 * The decided marks of one decision path, starting from those restored with the risk book (none on
 * a first start, in a backtest, or from a book stored before they were: every event is decided,
 * as before). The mark's time is the newest event time decided up to it, not the time of the event
 * at its sequence: a stream holds events out of time order (a bar published at its close after the
 * ticks inside it, ticks within the out-of-order tolerance), and only a time past all of them
 * says that the stream behind a sequence changed. `onRebuilt`: told of an asset whose mark is dropped
 * so, before its event is decided (an operator's change stored at a point of that stream is put in
 * force then: actors/operator-changes.ts).
 */
export function createDecidedMarks(restored: readonly DecidedMark[], log: Logger, onRebuilt?: (asset: string) => void): DecidedMarks {
  const marks = new Map<string, Mark>();
  /** Restored marks not yet passed: the only ones an event is checked against (none once every asset went past its own). */
  const pending = new Map<string, Mark>();
  for (const [asset, seq, ts] of restored) {
    marks.set(asset, { seq, ts });
    pending.set(asset, { seq, ts });
  }
  return {
    before: (e) => {
      if (pending.size === 0) return false;
      const m = pending.get(e.asset);
      if (m === undefined) return false;
      if (e.streamSeq > m.seq) {
        pending.delete(e.asset);
        return false;
      }
      if (e.md.ts <= m.ts) return true;
      pending.delete(e.asset);
      marks.delete(e.asset);
      log.warn(
        { asset: e.asset, streamSeq: e.streamSeq, ts: e.md.ts, markSeq: m.seq, markTs: m.ts },
        `the market data of ${e.asset} at stream sequence ${e.streamSeq} is newer than everything decided up to sequence ${m.seq} before the restart: its stream was rebuilt (sequences started again), so its decided mark is dropped and its events are decided from here`,
      );
      onRebuilt?.(e.asset);
      return false;
    },
    decided: (e) => {
      const m = marks.get(e.asset);
      if (m === undefined) marks.set(e.asset, { seq: e.streamSeq, ts: e.md.ts });
      else {
        m.seq = e.streamSeq;
        if (e.md.ts > m.ts) m.ts = e.md.ts;
      }
    },
    snapshot: () => {
      const out: DecidedMark[] = [];
      for (const [asset, m] of marks) out.push([asset, m.seq, m.ts]);
      return out;
    },
  };
}
