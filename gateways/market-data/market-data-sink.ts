import type { Bus } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import type { RefusalReason } from '../../streams/messages/dlq-entry.js';
import { RefusalReason as Reason } from '../../streams/messages/dlq-entry.js';
import type { MarketData } from '../../streams/messages/market-data.js';
import { quoteId } from '../../streams/messages/quote.js';
import type { Subjects } from '../../streams/subjects.js';
import { aheadOfClock } from '../../streams/validation/ahead-of-clock.js';
import { decodeMarketData } from '../../streams/validation/decode-market-data.js';
import { toDlqEntry } from '../../streams/validation/dlq.js';
import { refuse as refusal } from '../../streams/validation/refusal.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import { createHighWaterMarks } from './high-water-mark.js';
import type { Feed, FeedSink, GatewayStatus, HighWater, Verdict } from './market-data-source.js';
import { feedName } from './market-data-source.js';


/** A quote's content, to tell a repeat of the top of book from a new quote in the same millisecond. */
const quoteKeyOf = (q: Readonly<Record<string, unknown>>): string => `${String(q['bid'])}|${String(q['bidSize'])}|${String(q['ask'])}|${String(q['askSize'])}`;
export type MarketDataSinkOptions = Readonly<{
  bus: Pick<Bus, 'publish' | 'lastMessage'>;
  subjects: Subjects;
  /** The MD stream (`<streamNamePrefix>MD`): where the feeds' high-water marks are read from on start-up. */
  mdStream: string;
  maxPayloadBytes: number;
  /** Receive time (`recvTs`), DLQ entry time, and the clock `maxAheadMs` is measured on. */
  now: () => number;
  /**
   * A message whose event time is further than this ahead of `now()` is refused (SCHEMA): once
   * published it would set the feed's high-water mark, and the asset actor's, in the future, and
   * every real message after it would be refused as out of order until the clock caught up.
   * Undefined: no check (a caller whose clock does not follow the venue's, such as a test's).
   */
  maxAheadMs?: number;
  /** The setting `maxAheadMs` comes from, named in the refusal (`validation.maxAheadMs`). */
  maxAheadSetting?: string;
  log?: Logger;
  onStatus?: (s: GatewayStatus) => void;
}>;

/** The DLQ source of every refusal at this edge: `sx.dlq.gateway`. */
export const GATEWAY_DLQ_SOURCE = 'gateway';

export const feedSubject = (subjects: Subjects, f: Feed): string =>
  f.kind === 'bar' ? subjects.bar(f.venue, f.symbol, f.tf) : f.kind === 'trade' ? subjects.trade(f.venue, f.symbol) : subjects.quote(f.venue, f.symbol);

/** The venue's trade id inside our id `t:<venue>:<symbol>:<tradeId>` (symbols may hold `:`, so cut by prefix). */
const venueTradeId = (f: Feed, id: unknown): string | undefined => {
  const prefix = `t:${f.venue}:${f.symbol}:`;
  return typeof id === 'string' && id.startsWith(prefix) ? id.slice(prefix.length) : undefined;
};

const firstNonFinite = (c: Readonly<Record<string, unknown>>): string | undefined => {
  for (const [k, v] of Object.entries(c)) if (typeof v === 'number' && !Number.isFinite(v)) return k;
  return undefined;
};

/**
 * The publishing half of every market-data provider. Each candidate is checked in order:
 * non-finite numbers (NON_FINITE — JSON would silently turn them into null), then the same
 * decoder the asset actor uses (`decodeMarketData`: zod schemas, positive prices, subject
 * agreement), then the feed's high-water mark. Accepted messages are published on their subject
 * with `Nats-Msg-Id` = their deterministic id, so JetStream's duplicate window drops what the mark
 * cannot know (a second gateway, a restart inside the window). Refusals are logged, reported on
 * the status channel and published to `sx.dlq.gateway` with the reason.
 *
 * High-water marks start from the newest message of each subject in the MD stream (the Bus's
 * `lastMessage`, a JetStream last-by-subject get): the stream itself is the record of what was
 * published, so a restarted gateway resumes exactly where the stream ends, whatever the recorder
 * or the TimeseriesStore has caught up with.
 */
export function createMarketDataSink(opts: MarketDataSinkOptions): FeedSink {
  const { bus, subjects, maxAheadMs } = opts;
  const log = opts.log ?? silentLogger;
  const marks = createHighWaterMarks();
  const loaded = new Map<string, Promise<void>>();

  const status = (s: GatewayStatus): void => opts.onStatus?.(s);

  const load = (f: Feed, subject: string): Promise<void> => {
    let p = loaded.get(subject);
    if (p === undefined) {
      p = (async () => {
        const last = await bus.lastMessage(opts.mdStream, subject);
        if (last === undefined) return;
        // The stream's newest message is validated as any input: one that is not market data of
        // this subject (published there by someone else) sets no high-water mark, and says so.
        const r = decodeMarketData(subject, last.data, { maxPayloadBytes: opts.maxPayloadBytes, subjects, isKnown: () => true });
        if (!r.ok) {
          log.warn({ feed: feedName(f), subject, reason: r.reason, detail: r.detail }, 'newest message on the stream is not market data: no high-water mark from it');
          return;
        }
        const m: MarketData = r.msg;
        const seq = m.type === 'md.quote' ? Number(m.id.slice(m.id.lastIndexOf(':') + 1)) : undefined;
        // A quote's content too: after a restart, the same top of book in the same millisecond is
        // the stored one again, not a new quote with the next sequence number (and another id).
        const key = m.type === 'md.quote' ? quoteKeyOf(m) : undefined;
        marks.seed(subject, m.ts, venueTradeId(f, m.id), seq !== undefined && Number.isInteger(seq) ? seq : undefined, key);
      })();
      p.catch(() => loaded.delete(subject)); // read again next time
      loaded.set(subject, p);
    }
    return p;
  };

  const toDlq = async (f: Feed, subject: string, data: Uint8Array, reason: RefusalReason, detail: string): Promise<void> => {
    const entry = toDlqEntry({ source: GATEWAY_DLQ_SOURCE, subject, data, refusal: refusal(reason, detail), ts: opts.now() });
    log.warn({ feed: feedName(f), reason, detail }, 'market data refused');
    status({ type: 'refused', feed: feedName(f), reason, detail });
    await bus.publish(subjects.dlq(GATEWAY_DLQ_SOURCE), encode(entry), { msgId: entry.id });
  };

  return {
    async highWater(f): Promise<HighWater | undefined> {
      const subject = feedSubject(subjects, f);
      await load(f, subject);
      const ts = marks.ts(subject);
      if (ts === undefined) return undefined;
      const tradeId = marks.tradeId(subject);
      return tradeId === undefined ? { ts } : { ts, tradeId };
    },

    async offer(f, candidate, origin): Promise<Verdict> {
      const subject = feedSubject(subjects, f);
      await load(f, subject);
      const bad = firstNonFinite(candidate);
      if (bad !== undefined) {
        const detail = `${bad}: must be a finite number, got ${String(candidate[bad])}`;
        await toDlq(f, subject, encode(candidate), Reason.NON_FINITE, detail);
        return { type: 'refused', reason: Reason.NON_FINITE, detail };
      }
      let c = candidate;
      let quoteKey: string | undefined;
      let seq: number | undefined;
      if (f.kind === 'quote' && typeof c['ts'] === 'number') {
        quoteKey = quoteKeyOf(c);
        seq = marks.quoteSeq(subject, c['ts'], quoteKey);
        c = { ...c, id: quoteId(f.venue, f.symbol, c['ts'], seq) };
      }
      const data = encode(c);
      const decoded = decodeMarketData(subject, data, { maxPayloadBytes: opts.maxPayloadBytes, subjects, isKnown: () => true });
      if (!decoded.ok) {
        await toDlq(f, subject, data, decoded.reason, decoded.detail);
        return { type: 'refused', reason: decoded.reason, detail: decoded.detail };
      }
      const m = decoded.msg;
      const ahead = maxAheadMs === undefined ? undefined : aheadOfClock(m.ts, opts.now(), { maxAheadMs, clock: "the gateway's clock", ...(opts.maxAheadSetting !== undefined ? { setting: opts.maxAheadSetting } : {}) });
      if (ahead !== undefined) {
        await toDlq(f, subject, data, ahead.reason, ahead.detail);
        return { type: 'refused', reason: ahead.reason, detail: ahead.detail };
      }
      const tradeVenue = m.type === 'md.trade' ? venueTradeId(f, m.id) : undefined;
      const pos = marks.position(subject, m, tradeVenue ?? quoteKey);
      if (pos !== 'ahead') {
        if (origin !== 'live') return { type: 'skipped' };
        const reason = pos === 'same' ? Reason.DUPLICATE : Reason.OUT_OF_ORDER;
        const detail = `${m.id} is ${pos === 'same' ? 'a repeat of' : 'behind'} the newest published ${f.kind} (ts ${marks.ts(subject)})`;
        await toDlq(f, subject, data, reason, detail);
        return { type: 'refused', reason, detail };
      }
      const ack = await bus.publish(subject, data, { msgId: m.id });
      marks.advance(subject, m, tradeVenue, quoteKey, seq);
      return { type: 'published', duplicate: ack.duplicate };
    },

    async refuse(f, candidate, reason, detail) {
      await toDlq(f, feedSubject(subjects, f), encode(candidate), reason, detail);
    },

    status,
  };
}
