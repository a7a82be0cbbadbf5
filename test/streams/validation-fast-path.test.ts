import { describe, expect, it } from 'vitest';
import { BarSchema, barId } from '../../streams/messages/bar.js';
import { RefusalReason } from '../../streams/messages/dlq-entry.js';
import { QuoteSchema, quoteId } from '../../streams/messages/quote.js';
import { TradeSchema, tradeId } from '../../streams/messages/trade.js';
import { subjectsFor } from '../../streams/subjects.js';
import { createMarketDataDecoder, decodeMarketData } from '../../streams/validation/decode-market-data.js';

const subjects = subjectsFor('sx');
const opts = { maxPayloadBytes: 4096, subjects, isKnown: () => true };
const enc = (x: unknown): Uint8Array => new TextEncoder().encode(typeof x === 'string' ? x : JSON.stringify(x));
const T = subjects.trade('binance', 'BTC/USDT');
const Q = subjects.quote('binance', 'BTC/USDT');
const B = subjects.bar('binance', 'BTC/USDT', '1h');
const trade = { type: 'md.trade', v: 1, id: tradeId('binance', 'BTC/USDT', 1), venue: 'binance', symbol: 'BTC/USDT', price: 42000.5, qty: 0.25, side: 'sell', ts: 1_700_000_000_000, recvTs: 1_700_000_000_003 };
const quote = { type: 'md.quote', v: 1, id: quoteId('binance', 'BTC/USDT', 1_700_000_000_000), venue: 'binance', symbol: 'BTC/USDT', bid: 42000, bidSize: 0, ask: 42001, askSize: 2, ts: 1_700_000_000_000 };
const bar = { type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', '1h', 1_700_000_000_000), venue: 'binance', symbol: 'BTC/USDT', tf: '1h', open: 100, high: 110, low: 95, close: 105, volume: 0, ts: 1_700_000_000_000 };
const cases = [
  [T, trade, TradeSchema],
  [Q, quote, QuoteSchema],
  [B, bar, BarSchema],
] as const;

describe('decoded messages are what zod would return', () => {
  it('frozen, with the schema fields in schema order whatever order they arrived in', () => {
    for (const [subject, msg, schema] of cases) {
      const shuffled = Object.fromEntries(Object.entries(msg).reverse());
      const r = decodeMarketData(subject, enc(shuffled), opts);
      if (!r.ok) throw new Error(r.detail);
      const z = schema.parse(shuffled);
      expect(Object.isFrozen(r.msg)).toBe(true);
      expect(Object.keys(r.msg)).toEqual(Object.keys(z));
      expect(r.msg).toEqual(z);
    }
  });

  it('drops unknown fields, even one holding 1e999, as the schema does', () => {
    const withExtras = JSON.stringify({ ...trade, venueSeq: 77 }).replace('}', ',"junk":1e999}');
    const r = decodeMarketData(T, enc(withExtras), opts);
    expect(r).toEqual({ ok: true, msg: trade });
  });

  it('tells NON_POSITIVE from SCHEMA by the field, not by the wording of the message', () => {
    expect(decodeMarketData(B, enc({ ...bar, open: -5 }), opts)).toMatchObject({ ok: false, reason: RefusalReason.NON_POSITIVE, detail: expect.stringMatching(/^open: /) });
    expect(decodeMarketData(Q, enc({ ...quote, askSize: -1 }), opts)).toMatchObject({ ok: false, reason: RefusalReason.NON_POSITIVE, detail: expect.stringMatching(/^askSize: /) });
    // The bar rule on high/low is a refinement too, but of the whole bar: SCHEMA.
    expect(decodeMarketData(B, enc({ ...bar, high: 96 }), opts)).toMatchObject({ ok: false, reason: RefusalReason.SCHEMA });
  });

  it('says NON_FINITE before NON_POSITIVE and SCHEMA when a message has all three faults', () => {
    const text = JSON.stringify({ ...trade, price: 0, side: 'long' }).replace('"qty":0.25', '"qty":-1e999');
    expect(decodeMarketData(T, enc(text), opts)).toMatchObject({ ok: false, reason: RefusalReason.NON_FINITE, detail: expect.stringContaining('qty') });
    expect(decodeMarketData(T, enc({ ...trade, price: 0, side: 'long' }), opts)).toMatchObject({ ok: false, reason: RefusalReason.NON_POSITIVE });
  });

  it('agrees with zod on thousands of random mutations of valid messages', () => {
    // A small seeded generator: the same cases on every run.
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const values: readonly unknown[] = [0, -0, -1, 1, 0.5, 1e-320, 2 ** 53, 2 ** 53 - 1, 1.5, -1e-9, '', 'a', 'x'.repeat(65), 'x'.repeat(201), null, true, [], {}, 'buy', 'unknown', '1d', '2h', 'md.quote', 'md.bar', 2];
    const decode = createMarketDataDecoder(opts);
    let accepted = 0;
    const disagreements: string[] = [];
    for (let n = 0; n < 3_000; n++) {
      const [subject, base, schema] = pick(cases);
      const msg: Record<string, unknown> = { ...base };
      for (let k = Math.floor(rnd() * 3); k >= 0; k--) {
        const key = pick([...Object.keys(base), 'recvTs', 'extra']);
        if (rnd() < 0.1) delete msg[key];
        else msg[key] = pick(values);
      }
      const z = schema.safeParse(JSON.parse(JSON.stringify(msg))); // what the wire carries: -0 arrives as 0
      const r = decode(subject, enc(msg));
      // Accepted by zod: the same message, unless the mutation moved it to another subject
      // (type, tf), which is not a schema question. Refused by zod: refused for a schema reason.
      const agrees = z.success
        ? r.ok
          ? JSON.stringify(r.msg) === JSON.stringify(z.data) && Object.isFrozen(r.msg)
          : r.reason === RefusalReason.SUBJECT_MISMATCH
        : !r.ok && (r.reason === RefusalReason.SCHEMA || r.reason === RefusalReason.NON_POSITIVE);
      if (!agrees) disagreements.push(`${JSON.stringify(msg)} → ${JSON.stringify(r)}`);
      if (r.ok) accepted++;
    }
    expect(disagreements).toEqual([]);
    expect(accepted).toBeGreaterThan(100);
  });

  it('gives the same verdict through a consumer decoder and the shared one, for good and bad subjects', () => {
    const decode = createMarketDataDecoder(opts);
    for (const subject of [T, Q, B, 'sx.md.binance.BTC USDT.trade', 'sx.md.binance', 'sx.md.binance.BTC-USDT.bar']) {
      for (const msg of [trade, quote, bar]) {
        expect(decode(subject, enc(msg))).toEqual(decodeMarketData(subject, enc(msg), opts));
        expect(decode(subject, enc(msg))).toEqual(decodeMarketData(subject, enc(msg), opts)); // cached the second time
      }
    }
  });
});
