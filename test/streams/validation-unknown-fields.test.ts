import { describe, expect, it } from 'vitest';
import { encode } from '../../streams/codec.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import type { Fill } from '../../streams/messages/fill.js';
import { subjectsFor } from '../../streams/subjects.js';
import { decodeExpiry } from '../../streams/validation/decode-expiry.js';
import { decodeFill } from '../../streams/validation/decode-fill.js';

const subjects = subjectsFor('sx');
const isKnown = (venue: string, symbol: string): boolean => venue === 'binance' && symbol === 'BTC/USDT';
const fill: Fill = { type: 'exec.fill', v: 1, id: 'x:o:1:0', ts: Date.UTC(2024, 0, 2), orderId: 'o:1', strategy: 'alpha', venue: 'binance', symbol: 'BTC/USDT', side: 'buy', qty: 0.01, price: 42_000, fee: 0.001, liquidity: 'taker', slippageBps: 1, final: true };
const expiry: Expiry = { type: 'exec.expired', v: 1, id: 'e:o:1', ts: Date.UTC(2024, 0, 2), orderId: 'o:1', strategy: 'alpha', venue: 'binance', symbol: 'BTC/USDT', filledQty: 0, remainingQty: 0.01, reason: 'venue' };

describe('a fill or expiry published raw on NATS with a field v1 has not', () => {
  it('refuses a fill with feeCurrency (SCHEMA, naming it) rather than booking its fee as quote currency', () => {
    const r = decodeFill(subjects.fill('binance', 'BTC/USDT'), encode({ ...fill, feeCurrency: 'BNB' }), subjects, isKnown);
    expect(r).toEqual({ ok: false, reason: 'SCHEMA', detail: 'unknown field feeCurrency: not in the v1 fill (a new field is a new schema version), refused rather than dropped' });
  });

  it('names every unknown field of an expiry, and still accepts the v1 ones', () => {
    const r = decodeExpiry(subjects.expired('binance', 'BTC/USDT'), encode({ ...expiry, cancelledAt: 1, venueOrderId: 'B-1' }), subjects, isKnown);
    expect(r).toMatchObject({ ok: false, reason: 'SCHEMA', detail: expect.stringMatching(/^unknown fields cancelledAt, venueOrderId: not in the v1 expiry/) });
    expect(decodeExpiry(subjects.expired('binance', 'BTC/USDT'), encode({ ...expiry, text: 'cancelled by user' }), subjects, isKnown)).toEqual({ ok: true, expiry: { ...expiry, text: 'cancelled by user' } });
    expect(decodeFill(subjects.fill('binance', 'BTC/USDT'), encode(fill), subjects, isKnown)).toEqual({ ok: true, fill });
  });
});
