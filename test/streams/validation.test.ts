import { describe, expect, it } from 'vitest';
import { barId } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import { DlqEntrySchema, RefusalReason } from '../../streams/messages/dlq-entry.js';
import type { Quote } from '../../streams/messages/quote.js';
import { quoteId } from '../../streams/messages/quote.js';
import type { Trade } from '../../streams/messages/trade.js';
import { tradeId } from '../../streams/messages/trade.js';
import { subjectsFor } from '../../streams/subjects.js';
import { createMarketDataDecoder, decodeMarketData } from '../../streams/validation/decode-market-data.js';
import { toDlqEntry } from '../../streams/validation/dlq.js';
import { createTickGate } from '../../streams/validation/tick-gate.js';

const subjects = subjectsFor('sx');
const opts = { maxPayloadBytes: 1024, subjects, isKnown: (venue: string, symbol: string) => venue === 'binance' && (symbol === 'BTC/USDT' || symbol === 'ETH/USDT') };
const enc = (x: unknown): Uint8Array => new TextEncoder().encode(typeof x === 'string' ? x : JSON.stringify(x));

const trade = (over: Partial<Record<keyof Trade, unknown>> = {}): Record<string, unknown> => ({
  type: 'md.trade', v: 1, id: tradeId('binance', 'BTC/USDT', 1), venue: 'binance', symbol: 'BTC/USDT', price: 42000.5, qty: 0.25, side: 'buy', ts: 1_700_000_000_000, ...over,
});
const quote = (over: Partial<Record<keyof Quote, unknown>> = {}): Record<string, unknown> => ({
  type: 'md.quote', v: 1, id: quoteId('binance', 'BTC/USDT', 1_700_000_000_000), venue: 'binance', symbol: 'BTC/USDT', bid: 42000, bidSize: 1, ask: 42001, askSize: 2, ts: 1_700_000_000_000, ...over,
});
const bar = (over: Partial<Record<keyof Bar, unknown>> = {}): Record<string, unknown> => ({
  type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', '1h', 1_700_000_000_000), venue: 'binance', symbol: 'BTC/USDT', tf: '1h',
  open: 100, high: 110, low: 95, close: 105, volume: 12.5, ts: 1_700_000_000_000, ...over,
});
const T = subjects.trade('binance', 'BTC/USDT');
const Q = subjects.quote('binance', 'BTC/USDT');
const B = subjects.bar('binance', 'BTC/USDT', '1h');

const reasonOf = (subject: string, payload: unknown): string | undefined => {
  const r = decodeMarketData(subject, enc(payload), opts);
  return r.ok ? undefined : r.reason;
};

describe('edge decoding of market data', () => {
  it('accepts a trade, a quote and a bar and returns them unchanged', () => {
    for (const [subject, msg] of [[T, trade()], [Q, quote()], [B, bar()]] as const) {
      const r = decodeMarketData(subject, enc(msg), opts);
      expect(r).toEqual({ ok: true, msg });
    }
  });

  it('refuses a payload above the size limit with reason OVERSIZE', () => {
    expect(reasonOf(T, trade({ id: 'x'.repeat(2000) }))).toBe(RefusalReason.OVERSIZE);
  });

  it('refuses broken JSON, invalid UTF-8 and non-objects with reason MALFORMED_JSON', () => {
    expect(reasonOf(T, '{"type":"md.trade",')).toBe(RefusalReason.MALFORMED_JSON);
    expect(decodeMarketData(T, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), opts)).toMatchObject({ ok: false, reason: RefusalReason.MALFORMED_JSON });
    expect(reasonOf(T, '[1,2,3]')).toBe(RefusalReason.MALFORMED_JSON);
    expect(reasonOf(T, 'null')).toBe(RefusalReason.MALFORMED_JSON);
  });

  it('refuses a trade with an infinite price with reason NON_FINITE', () => {
    expect(reasonOf(T, JSON.stringify(trade()).replace('42000.5', '1e999'))).toBe(RefusalReason.NON_FINITE);
  });

  it('refuses a trade with price 0 or a negative quantity with reason NON_POSITIVE', () => {
    expect(reasonOf(T, trade({ price: 0 }))).toBe(RefusalReason.NON_POSITIVE);
    expect(reasonOf(T, trade({ qty: -1 }))).toBe(RefusalReason.NON_POSITIVE);
    expect(reasonOf(Q, quote({ bidSize: -0.5 }))).toBe(RefusalReason.NON_POSITIVE);
  });

  it('refuses missing fields, wrong types, unknown message types and impossible bars with reason SCHEMA', () => {
    const { price: _price, ...noPrice } = trade();
    expect(reasonOf(T, noPrice)).toBe(RefusalReason.SCHEMA);
    expect(reasonOf(T, trade({ price: '42000' }))).toBe(RefusalReason.SCHEMA);
    expect(reasonOf(T, trade({ price: 'NaN' }))).toBe(RefusalReason.SCHEMA);
    expect(reasonOf(T, trade({ type: 'md.order' }))).toBe(RefusalReason.SCHEMA);
    expect(reasonOf(T, trade({ v: 2 }))).toBe(RefusalReason.SCHEMA);
    expect(reasonOf(B, bar({ high: 90 }))).toBe(RefusalReason.SCHEMA);
    expect(reasonOf(B, bar({ tf: '7m' }))).toBe(RefusalReason.SCHEMA);
    const r = decodeMarketData(T, enc(trade({ side: 'long' })), opts);
    expect(r.ok ? '' : r.detail).toContain('side');
  });

  it('refuses an asset that is not configured with reason UNKNOWN_SYMBOL', () => {
    expect(reasonOf(subjects.trade('binance', 'DOGE/USDT'), trade({ symbol: 'DOGE/USDT' }))).toBe(RefusalReason.UNKNOWN_SYMBOL);
    expect(reasonOf(subjects.trade('kraken', 'BTC/USDT'), trade({ venue: 'kraken' }))).toBe(RefusalReason.UNKNOWN_SYMBOL);
  });

  it('refuses a payload that does not belong on its subject with reason SUBJECT_MISMATCH', () => {
    expect(reasonOf(T, trade({ symbol: 'ETH/USDT' }))).toBe(RefusalReason.SUBJECT_MISMATCH);
    expect(reasonOf(Q, trade())).toBe(RefusalReason.SUBJECT_MISMATCH);
    expect(reasonOf(subjects.bar('binance', 'BTC/USDT', '5m'), bar())).toBe(RefusalReason.SUBJECT_MISMATCH);
    expect(reasonOf('sx.md.binance', trade())).toBe(RefusalReason.SUBJECT_MISMATCH);
  });

  it('gives the same verdicts through the cached per-consumer decoder', () => {
    const decode = createMarketDataDecoder(opts);
    for (const [subject, payload] of [[T, trade()], [T, trade({ price: 0 })], [Q, trade()], [B, bar()], [B, bar()]] as const) {
      expect(decode(subject, enc(payload))).toEqual(decodeMarketData(subject, enc(payload), opts));
    }
  });
});

describe('tick gate', () => {
  const t = (id: number, ts: number): Trade => ({ type: 'md.trade', v: 1, id: tradeId('binance', 'BTC/USDT', id), venue: 'binance', symbol: 'BTC/USDT', price: 1, qty: 1, side: 'buy', ts });
  const b = (ts: number, tf: Bar['tf'] = '1h'): Bar => ({ type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', tf, ts), venue: 'binance', symbol: 'BTC/USDT', tf, open: 1, high: 1, low: 1, close: 1, volume: 1, ts });

  it('refuses an id it admitted within the window with reason DUPLICATE, and forgets ids beyond it', () => {
    const gate = createTickGate({ dedupWindow: 3, outOfOrderToleranceMs: 1_000_000 });
    for (const id of [1, 2, 3]) gate.admit(t(id, 1000 + id));
    expect(gate.check(t(1, 2000))?.reason).toBe(RefusalReason.DUPLICATE);
    gate.admit(t(4, 1004));
    expect(gate.check(t(1, 2000))).toBeUndefined();
    expect(gate.check(t(4, 2000))?.reason).toBe(RefusalReason.DUPLICATE);
  });

  it('refuses a tick older than the tolerance with reason OUT_OF_ORDER and accepts one within it', () => {
    const gate = createTickGate({ dedupWindow: 10, outOfOrderToleranceMs: 500 });
    gate.admit(t(1, 10_000));
    expect(gate.check(t(2, 9_600))).toBeUndefined();
    expect(gate.check(t(3, 9_499))?.reason).toBe(RefusalReason.OUT_OF_ORDER);
    expect(gate.check(t(4, 10_000))).toBeUndefined();
  });

  it('wants bars strictly forward, per timeframe', () => {
    const gate = createTickGate({ dedupWindow: 10, outOfOrderToleranceMs: 0 });
    gate.admit(b(3_600_000));
    expect(gate.check({ ...b(3_600_000), id: 'other' })?.reason).toBe(RefusalReason.OUT_OF_ORDER);
    expect(gate.check(b(0))?.reason).toBe(RefusalReason.OUT_OF_ORDER);
    expect(gate.check(b(300_000, '5m'))).toBeUndefined();
    expect(gate.check(b(7_200_000))).toBeUndefined();
  });

  it('says DUPLICATE before OUT_OF_ORDER, and check() changes nothing', () => {
    const gate = createTickGate({ dedupWindow: 10, outOfOrderToleranceMs: 0 });
    gate.admit(b(3_600_000));
    const before = JSON.stringify(gate.toState());
    expect(gate.check(b(3_600_000))?.reason).toBe(RefusalReason.DUPLICATE);
    expect(gate.check(b(7_200_000))).toBeUndefined();
    expect(JSON.stringify(gate.toState())).toBe(before);
  });

  it('restores from its state to the same decisions', () => {
    const gate = createTickGate({ dedupWindow: 4, outOfOrderToleranceMs: 100 });
    for (let i = 1; i <= 6; i++) gate.admit(t(i, 1000 * i));
    const restored = createTickGate({ dedupWindow: 4, outOfOrderToleranceMs: 100 }, JSON.parse(JSON.stringify(gate.toState())));
    for (const probe of [t(1, 7000), t(3, 7000), t(6, 7000), t(7, 5950), t(8, 5850)]) expect(restored.check(probe)).toEqual(gate.check(probe));
    expect(restored.toState()).toEqual(gate.toState());
  });
});

describe('dead-letter entries', () => {
  const refusal = { ok: false, reason: RefusalReason.NON_POSITIVE, detail: 'price: must be > 0' } as const;

  it('have deterministic ids and pass their own schema', () => {
    const a = toDlqEntry({ source: 'asset', subject: T, data: enc(trade({ price: 0 })), refusal, ts: 5 });
    const b = toDlqEntry({ source: 'asset', subject: T, data: enc(trade({ price: 0 })), refusal, ts: 9 });
    const c = toDlqEntry({ source: 'asset', subject: T, data: enc(trade({ price: -1 })), refusal, ts: 5 });
    expect(a.id).toBe(b.id);
    expect(a.id).not.toBe(c.id);
    expect(DlqEntrySchema.parse(a)).toEqual(a);
    expect(a).toMatchObject({ source: 'asset', reason: 'NON_POSITIVE', subject: T, payload: JSON.stringify(trade({ price: 0 })) });
  });

  it('truncate a big payload and say so', () => {
    const e = toDlqEntry({ source: 'asset', subject: T, data: enc('x'.repeat(100_000)), refusal, ts: 1 });
    expect(e.payload.length).toBeLessThan(3000);
    expect(e.payload).toContain('truncated 100000 bytes');
  });
});

describe('hand-written accept path', () => {
  it('accepts exactly what the zod schemas accept, with the same output', async () => {
    const { fastMarketData } = await import('../../streams/validation/fast-market-data.js');
    const { TradeSchema } = await import('../../streams/messages/trade.js');
    const { QuoteSchema } = await import('../../streams/messages/quote.js');
    const { BarSchema } = await import('../../streams/messages/bar.js');
    const schemas = { 'md.trade': TradeSchema, 'md.quote': QuoteSchema, 'md.bar': BarSchema } as const;
    const values: unknown[] = [0, -1, -0, 1e-300, 1.5, 2 ** 53, Infinity, '1', '', 'x'.repeat(201), null, true, 'buy', 'long', '7m', '5m', 1, 2, 'md.bar', undefined];
    let compared = 0;
    for (const base of [trade({ recvTs: 1_700_000_000_005 }), quote(), bar()]) {
      for (const key of [...Object.keys(base), 'extra']) {
        for (const value of values) {
          const msg: Record<string, unknown> = { ...base, [key]: value };
          if (value === undefined) delete msg[key];
          const type = msg['type'];
          const schema = type === 'md.trade' || type === 'md.quote' || type === 'md.bar' ? schemas[type] : undefined;
          const z = schema?.safeParse(msg);
          const fast = fastMarketData(msg);
          if (fast !== undefined) expect(z?.success, `${key}=${String(value)}`).toBe(true);
          if (z?.success === true && fast !== undefined) expect(fast).toEqual(z.data);
          if (z?.success === true && fast === undefined) throw new Error(`fast path refused what zod accepts: ${key}=${String(value)}`);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
  });
});

describe('edge decoding of market data, details', () => {
  const detailOf = (subject: string, payload: unknown): string => {
    const r = decodeMarketData(subject, enc(payload), opts);
    return r.ok ? '' : r.detail;
  };

  it('accepts a payload of exactly the size limit and checks the size before parsing', () => {
    const exact = enc(trade());
    const tight = { ...opts, maxPayloadBytes: exact.byteLength };
    expect(decodeMarketData(T, exact, tight).ok).toBe(true);
    const over = enc(trade({ id: `${String(trade()['id'])}x` }));
    expect(decodeMarketData(T, over, tight)).toEqual({ ok: false, reason: RefusalReason.OVERSIZE, detail: `${exact.byteLength + 1} bytes > ${exact.byteLength}` });
    expect(reasonOf(T, '{'.repeat(opts.maxPayloadBytes + 1))).toBe(RefusalReason.OVERSIZE);
  });

  it('refuses an empty payload and a JSON string with reason MALFORMED_JSON', () => {
    expect(decodeMarketData(T, new Uint8Array(), opts)).toMatchObject({ ok: false, reason: RefusalReason.MALFORMED_JSON });
    expect(reasonOf(T, '"md.trade"')).toBe(RefusalReason.MALFORMED_JSON);
    expect(reasonOf(T, '42')).toBe(RefusalReason.MALFORMED_JSON);
  });

  it('refuses negative infinity in a quote and infinity in a bar volume or timestamp with reason NON_FINITE, naming the field', () => {
    expect(reasonOf(Q, JSON.stringify(quote()).replace('"bid":42000', '"bid":-1e999'))).toBe(RefusalReason.NON_FINITE);
    expect(detailOf(Q, JSON.stringify(quote()).replace('"bid":42000', '"bid":-1e999'))).toContain('bid');
    expect(reasonOf(B, JSON.stringify(bar()).replace('12.5', '1e999'))).toBe(RefusalReason.NON_FINITE);
    expect(reasonOf(T, JSON.stringify(trade()).replace('1700000000000', '1e999'))).toBe(RefusalReason.NON_FINITE);
  });

  it('refuses a bar with a zero low with reason NON_POSITIVE naming the field, and accepts zero volume and zero quote sizes', () => {
    expect(reasonOf(B, bar({ low: 0 }))).toBe(RefusalReason.NON_POSITIVE);
    expect(detailOf(B, bar({ low: 0 }))).toMatch(/^low: /);
    expect(detailOf(T, trade({ price: 0 }))).toMatch(/^price: /);
    expect(decodeMarketData(B, enc(bar({ volume: 0 })), opts).ok).toBe(true);
    expect(decodeMarketData(Q, enc(quote({ bidSize: 0, askSize: 0 })), opts).ok).toBe(true);
  });

  it('refuses an object without a type, a negative or fractional timestamp and a bar whose close is above its high with reason SCHEMA', () => {
    expect(reasonOf(T, {})).toBe(RefusalReason.SCHEMA);
    expect(detailOf(T, {})).toMatch(/^type: /);
    expect(reasonOf(T, trade({ ts: -1 }))).toBe(RefusalReason.SCHEMA);
    expect(reasonOf(T, trade({ ts: 1.5 }))).toBe(RefusalReason.SCHEMA);
    expect(reasonOf(B, bar({ close: 111 }))).toBe(RefusalReason.SCHEMA);
    expect(reasonOf(B, bar({ high: 94, low: 95, open: 94.5, close: 94.5 }))).toBe(RefusalReason.SCHEMA);
    expect(detailOf(B, bar({ close: 111 }))).toContain('high/low must bound open and close');
  });

  it('refuses an unknown asset with reason UNKNOWN_SYMBOL even on a subject it does not match', () => {
    expect(reasonOf(T, trade({ symbol: 'DOGE/USDT' }))).toBe(RefusalReason.UNKNOWN_SYMBOL);
  });

  it('refuses a payload whose venue differs from the subject, or on a subject it cannot parse, with reason SUBJECT_MISMATCH', () => {
    const twoVenues = { ...opts, isKnown: (_venue: string, symbol: string) => symbol === 'BTC/USDT' };
    const r = decodeMarketData(subjects.trade('kraken', 'BTC/USDT'), enc(trade()), twoVenues);
    expect(r).toMatchObject({ ok: false, reason: RefusalReason.SUBJECT_MISMATCH });
    expect(r.ok ? '' : r.detail).toContain('sx.md.kraken.BTC-USDT.trade');
    expect(reasonOf('sx.md.binance.BTC USDT.trade', trade())).toBe(RefusalReason.SUBJECT_MISMATCH);
    expect(reasonOf('other.md.binance.BTC-USDT.trade', trade())).toBe(RefusalReason.SUBJECT_MISMATCH);
    expect(reasonOf(subjects.trade('binance', 'BTC/USDT:USDT'), trade())).toBe(RefusalReason.SUBJECT_MISMATCH);
  });

  it('round-trips a perpetual-swap trade with a receive time through its subject', () => {
    const perpOpts = { ...opts, isKnown: () => true };
    const msg = trade({ id: tradeId('binance', 'BTC/USDT:USDT', 'abc'), symbol: 'BTC/USDT:USDT', recvTs: 1_700_000_000_005, side: 'unknown' });
    expect(decodeMarketData(subjects.trade('binance', 'BTC/USDT:USDT'), enc(msg), perpOpts)).toEqual({ ok: true, msg });
  });

  it('round-trips bars of every timeframe on their own subject', () => {
    for (const tf of ['1m', '5m', '15m', '1h', '4h', '1d'] as const) {
      const msg = bar({ tf, id: barId('binance', 'BTC/USDT', tf, 1_700_000_000_000) });
      expect(decodeMarketData(subjects.bar('binance', 'BTC/USDT', tf), enc(msg), opts)).toEqual({ ok: true, msg });
    }
  });
});

describe('tick gate, details', () => {
  const opt = { dedupWindow: 100, outOfOrderToleranceMs: 0 };
  const t = (id: number, ts: number): Trade => ({ type: 'md.trade', v: 1, id: tradeId('binance', 'BTC/USDT', id), venue: 'binance', symbol: 'BTC/USDT', price: 1, qty: 1, side: 'buy', ts });
  const q = (ts: number, seq = 0): Quote => ({ type: 'md.quote', v: 1, id: quoteId('binance', 'BTC/USDT', ts, seq), venue: 'binance', symbol: 'BTC/USDT', bid: 1, bidSize: 1, ask: 2, askSize: 1, ts });
  const b = (ts: number, tf: Bar['tf'] = '1h'): Bar => ({ type: 'md.bar', v: 1, id: barId('binance', 'BTC/USDT', tf, ts), venue: 'binance', symbol: 'BTC/USDT', tf, open: 1, high: 1, low: 1, close: 1, volume: 1, ts });

  it('accepts a trade at the same time as the newest with zero tolerance and refuses one a millisecond earlier with reason OUT_OF_ORDER', () => {
    const gate = createTickGate(opt);
    gate.admit(t(1, 5000));
    expect(gate.check(t(2, 5000))).toBeUndefined();
    const r = gate.check(t(3, 4999));
    expect(r?.reason).toBe(RefusalReason.OUT_OF_ORDER);
    expect(r?.detail).toContain('1 ms');
  });

  it('orders trades and quotes independently of each other', () => {
    const gate = createTickGate(opt);
    gate.admit(t(1, 10_000));
    expect(gate.check(q(1_000))).toBeUndefined();
    gate.admit(q(20_000));
    expect(gate.check(t(2, 10_000))).toBeUndefined();
    expect(gate.check(q(19_999, 1))?.reason).toBe(RefusalReason.OUT_OF_ORDER);
  });

  it('refuses a quote older than the tolerance and accepts one at its edge', () => {
    const gate = createTickGate({ dedupWindow: 10, outOfOrderToleranceMs: 250 });
    gate.admit(q(1_000));
    expect(gate.check(q(750))).toBeUndefined();
    expect(gate.check(q(749))?.reason).toBe(RefusalReason.OUT_OF_ORDER);
  });

  it('does not move the newest time back when admitting a late tick within tolerance', () => {
    const gate = createTickGate({ dedupWindow: 10, outOfOrderToleranceMs: 500 });
    gate.admit(t(1, 10_000));
    gate.admit(t(2, 9_700));
    expect(gate.toState().last).toEqual({ trade: 10_000 });
    expect(gate.check(t(3, 9_400))?.reason).toBe(RefusalReason.OUT_OF_ORDER);
  });

  it('keeps a separate newest bar per timeframe', () => {
    const gate = createTickGate(opt);
    gate.admit(b(7_200_000, '1h'));
    gate.admit(b(600_000, '5m'));
    expect(gate.check(b(900_000, '5m'))).toBeUndefined();
    expect(gate.check(b(3_600_000, '1h'))?.reason).toBe(RefusalReason.OUT_OF_ORDER);
    expect(gate.check(b(300_000, '5m'))?.reason).toBe(RefusalReason.OUT_OF_ORDER);
    expect(gate.check(b(0, '1d'))).toBeUndefined();
    expect(gate.toState().last).toEqual({ 'bar.1h': 7_200_000, 'bar.5m': 600_000 });
  });

  it('remembers only what it admitted: a checked or refused message is not a duplicate later', () => {
    const gate = createTickGate(opt);
    expect(gate.check(t(1, 1000))).toBeUndefined();
    expect(gate.check(t(1, 1000))).toBeUndefined();
    expect(gate.toState()).toEqual({ ids: [], last: {} });
  });

  it('calls a message with a seen id DUPLICATE even when it is also out of order', () => {
    const gate = createTickGate({ dedupWindow: 10, outOfOrderToleranceMs: 0 });
    gate.admit(t(1, 1000));
    gate.admit(t(2, 5000));
    expect(gate.check(t(1, 1000))?.reason).toBe(RefusalReason.DUPLICATE);
  });

  it('lists its ids oldest first and evicts the oldest once the window is full', () => {
    const gate = createTickGate({ dedupWindow: 3, outOfOrderToleranceMs: 0 });
    for (let i = 1; i <= 5; i++) gate.admit(t(i, i));
    expect(gate.toState().ids).toEqual([3, 4, 5].map((i) => tradeId('binance', 'BTC/USDT', i)));
    expect(gate.check(t(2, 10))).toBeUndefined();
    expect(gate.check(t(3, 10))?.reason).toBe(RefusalReason.DUPLICATE);
  });

  it('evicts after a restore exactly as the original does', () => {
    const a = createTickGate({ dedupWindow: 3, outOfOrderToleranceMs: 1000 });
    for (let i = 1; i <= 4; i++) a.admit(t(i, 100 * i));
    const restored = createTickGate({ dedupWindow: 3, outOfOrderToleranceMs: 1000 }, JSON.parse(JSON.stringify(a.toState())) as ReturnType<typeof a.toState>);
    for (const g of [a, restored]) for (let i = 5; i <= 6; i++) g.admit(t(i, 100 * i));
    expect(restored.toState()).toEqual(a.toState());
    for (let i = 1; i <= 7; i++) expect(restored.check(t(i, 0))).toEqual(a.check(t(i, 0)));
  });

  it('keeps the newest ids when restored into a smaller window', () => {
    const big = createTickGate({ dedupWindow: 10, outOfOrderToleranceMs: 0 });
    for (let i = 1; i <= 6; i++) big.admit(t(i, i));
    const small = createTickGate({ dedupWindow: 2, outOfOrderToleranceMs: 0 }, big.toState());
    expect(small.toState().ids).toEqual([5, 6].map((i) => tradeId('binance', 'BTC/USDT', i)));
    expect(small.check(t(4, 10))).toBeUndefined();
    expect(small.check(t(6, 10))?.reason).toBe(RefusalReason.DUPLICATE);
  });
});

describe('dead-letter entries, details', () => {
  const refusal = { ok: false, reason: RefusalReason.SCHEMA, detail: 'side: invalid' } as const;
  const data = enc(trade({ side: 'long' }));

  it('derive a different id for a different reason, subject or source, and the same id whatever the time', () => {
    const base = toDlqEntry({ source: 'asset', subject: T, data, refusal, ts: 1 });
    expect(toDlqEntry({ source: 'asset', subject: T, data, refusal, ts: 2 }).id).toBe(base.id);
    expect(toDlqEntry({ source: 'asset', subject: T, data, refusal: { ...refusal, detail: 'other words' }, ts: 1 }).id).toBe(base.id);
    expect(toDlqEntry({ source: 'asset', subject: T, data, refusal: { ...refusal, reason: RefusalReason.DUPLICATE }, ts: 1 }).id).not.toBe(base.id);
    expect(toDlqEntry({ source: 'asset', subject: Q, data, refusal, ts: 1 }).id).not.toBe(base.id);
    expect(toDlqEntry({ source: 'gateway', subject: T, data, refusal, ts: 1 }).id).not.toBe(base.id);
    expect(base.id).toMatch(/^dlq:asset:[0-9a-f]{40}$/);
  });

  it('keep a payload of 2048 characters whole and truncate one of 2049', () => {
    expect(toDlqEntry({ source: 'asset', subject: T, data: enc('y'.repeat(2048)), refusal, ts: 1 }).payload).toBe('y'.repeat(2048));
    const cut = toDlqEntry({ source: 'asset', subject: T, data: enc('y'.repeat(2049)), refusal, ts: 1 }).payload;
    expect(cut).toBe(`${'y'.repeat(2048)}…[truncated 2049 bytes]`);
  });

  it('stay schema-valid for invalid UTF-8, multi-byte text cut mid-character and an empty payload', () => {
    for (const bytes of [new Uint8Array([0xff, 0xfe, 0x7b]), enc('é'.repeat(10_000)), new Uint8Array()]) {
      const e = toDlqEntry({ source: 'asset', subject: T, data: bytes, refusal, ts: 0 });
      expect(DlqEntrySchema.safeParse(e).success).toBe(true);
      expect(e.payload.length).toBeLessThanOrEqual(2048 + 40);
    }
  });
});
