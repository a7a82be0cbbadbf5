import type { MarketData } from '../../streams/messages/market-data.js';

/**
 * Per-subject high-water mark of what a gateway published: repeated or out-of-order venue
 * messages are recognised here before they reach the stream. Bars are ordered by open time;
 * trades by time, then by the venue's trade id (numerically when both ids are numbers, as
 * Binance's are; otherwise by the set of ids seen at the newest time); quotes by time, with a
 * sequence number for distinct quotes in the same millisecond.
 */
export type Position = 'ahead' | 'behind' | 'same';

type Mark = { ts: number; ids: Set<string>; quoteKey?: string; quoteSeq: number };

const NUMERIC = /^\d{1,15}$/;

export type HighWaterMarks = {
  /** Sets the mark from the newest stored message (on start-up). */
  seed(subject: string, ts: number, tradeId?: string, quoteSeq?: number, quoteKey?: string): void;
  has(subject: string): boolean;
  ts(subject: string): number | undefined;
  tradeId(subject: string): string | undefined;
  /** Where `m` stands against the mark of its subject; `key` is a trade's venue id or a quote's content key. */
  position(subject: string, m: MarketData, key?: string): Position;
  /** The sequence number a quote at `ts` gets: 0, or one more than the last distinct quote in the same millisecond. */
  quoteSeq(subject: string, ts: number, key: string): number;
  advance(subject: string, m: MarketData, tradeVenueId?: string, quoteKey?: string, quoteSeq?: number): void;
};

export function createHighWaterMarks(): HighWaterMarks {
  const marks = new Map<string, Mark>();
  return {
    seed(subject, ts, tradeId, quoteSeq, quoteKey) {
      const mark: Mark = { ts, ids: new Set(tradeId === undefined ? [] : [tradeId]), quoteSeq: quoteSeq ?? 0 };
      if (quoteKey !== undefined) mark.quoteKey = quoteKey;
      marks.set(subject, mark);
    },
    has: (subject) => marks.has(subject),
    ts: (subject) => marks.get(subject)?.ts,
    tradeId(subject) {
      const ids = marks.get(subject)?.ids;
      if (ids === undefined || ids.size === 0) return undefined;
      return [...ids].at(-1);
    },
    position(subject, m, key) {
      const mark = marks.get(subject);
      if (mark === undefined || m.ts > mark.ts) return 'ahead';
      if (m.ts < mark.ts) return 'behind';
      if (m.type === 'md.bar') return 'same';
      // A different quote in the same millisecond is new (it gets the next sequence number).
      if (m.type === 'md.quote') return mark.quoteKey === key ? 'same' : 'ahead';
      const id = key ?? '';
      if (mark.ids.has(id)) return 'same';
      if (NUMERIC.test(id)) {
        for (const seen of mark.ids) if (NUMERIC.test(seen) && Number(seen) > Number(id)) return 'behind';
      }
      return 'ahead';
    },
    quoteSeq(subject, ts, key) {
      const mark = marks.get(subject);
      if (mark === undefined || mark.ts !== ts) return 0;
      return mark.quoteKey === key ? mark.quoteSeq : mark.quoteSeq + 1;
    },
    advance(subject, m, tradeVenueId, quoteKey, quoteSeq) {
      const mark = marks.get(subject);
      if (mark !== undefined && mark.ts === m.ts) {
        if (tradeVenueId !== undefined) mark.ids.add(tradeVenueId);
        if (quoteKey !== undefined) {
          mark.quoteKey = quoteKey;
          mark.quoteSeq = quoteSeq ?? mark.quoteSeq;
        }
        return;
      }
      const next: Mark = { ts: m.ts, ids: new Set(tradeVenueId === undefined ? [] : [tradeVenueId]), quoteSeq: quoteSeq ?? 0 };
      if (quoteKey !== undefined) next.quoteKey = quoteKey;
      marks.set(subject, next);
    },
  };
}
