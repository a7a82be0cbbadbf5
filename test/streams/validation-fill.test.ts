import { describe, expect, it } from 'vitest';
import { encode, utf8 } from '../../streams/codec.js';
import type { Fill } from '../../streams/messages/fill.js';
import { subjectsFor } from '../../streams/subjects.js';
import { decodeFill } from '../../streams/validation/decode-fill.js';

const subjects = subjectsFor('sx');
const fill: Fill = { type: 'exec.fill', v: 1, id: 'x:o:1:0', ts: Date.UTC(2024, 0, 2), orderId: 'o:1', strategy: 'alpha', venue: 'binance', symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 42_000, fee: 0.42, liquidity: 'taker', slippageBps: 1, final: true };
const BTC = subjects.fill('binance', 'BTC/USDT');
const known = new Set(['binance|BTC/USDT']);
const isKnown = (venue: string, symbol: string): boolean => known.has(`${venue}|${symbol}`);

describe('decodeFill: a live trading consumer\'s fill at the edge', () => {
  it('accepts a fill on its own subject', () => {
    expect(decodeFill(BTC, encode(fill), subjects, isKnown)).toEqual({ ok: true, fill });
  });

  it('refuses a fill of another symbol or venue than its subject\'s with reason SUBJECT_MISMATCH', () => {
    expect(decodeFill(BTC, encode({ ...fill, symbol: 'ETH/USDT' }), subjects, isKnown)).toEqual({
      ok: false,
      reason: 'SUBJECT_MISMATCH',
      detail: 'fill of binance ETH/USDT does not belong on sx.exec.fill.binance.BTC-USDT (its subject is sx.exec.fill.binance.ETH-USDT)',
    });
    expect(decodeFill(BTC, encode({ ...fill, venue: 'kraken' }), subjects, isKnown)).toMatchObject({ ok: false, reason: 'SUBJECT_MISMATCH' });
    // Another namespace's subject is not this one's either.
    expect(decodeFill(subjectsFor('other').fill('binance', 'BTC/USDT'), encode(fill), subjects, isKnown)).toMatchObject({ ok: false, reason: 'SUBJECT_MISMATCH' });
  });

  it('refuses what is not JSON, not a v1 fill, or names an asset no subject can carry', () => {
    expect(decodeFill(BTC, utf8('{"type":"exec.fill"'), subjects, isKnown)).toMatchObject({ ok: false, reason: 'MALFORMED_JSON' });
    expect(decodeFill(BTC, new Uint8Array([0xff, 0xfe]), subjects, isKnown)).toMatchObject({ ok: false, reason: 'MALFORMED_JSON' });
    expect(decodeFill(BTC, encode({ ...fill, qty: 0 }), subjects, isKnown)).toMatchObject({ ok: false, reason: 'SCHEMA' });
    expect(decodeFill(BTC, encode({ ...fill, venue: 'my_venue' }), subjects, isKnown)).toMatchObject({ ok: false, reason: 'SCHEMA', detail: 'venue "my_venue" is not a subject token' });
  });

  it('refuses a fill of an asset the engine does not trade with reason UNKNOWN_SYMBOL, on its own subject too', () => {
    const eth = { ...fill, symbol: 'ETH/USDT' };
    expect(decodeFill(subjects.fill('binance', 'ETH/USDT'), encode(eth), subjects, isKnown)).toEqual({
      ok: false,
      reason: 'UNKNOWN_SYMBOL',
      detail: 'binance ETH/USDT is not a configured asset: no order of the engine is for it',
    });
    expect(decodeFill(subjects.fill('kraken', 'BTC/USDT'), encode({ ...fill, venue: 'kraken' }), subjects, isKnown)).toMatchObject({ ok: false, reason: 'UNKNOWN_SYMBOL' });
  });
});
