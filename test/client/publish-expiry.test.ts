import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { ClientValidationError, ExpirySchema, NoStreamError, publishExpiry, subjectsFor } from 'sextant/client';
import type { ExpiryReport } from 'sextant/client';
import { useSignalsStream } from './signals-stream.js';

// Real NATS JetStream; fails (never skips) when the server is not reachable.
const stream = useSignalsStream('tce', 'client-expiry-test');
const { id, prefix, SIGNALS, stored } = stream;

const report: ExpiryReport = {
  ts: Date.UTC(2024, 0, 2),
  orderId: 'o:s:e:p:alpha:1:0',
  strategy: 'alpha',
  venue: 'binance',
  symbol: 'BTC/USDT:USDT',
  filledQty: 0.004,
  remainingQty: 0.006,
  reason: 'venue',
  text: 'cancelled by the exchange: post-only would cross',
};

const refusal = (r: ExpiryReport, opts?: Parameters<typeof publishExpiry>[2]): Promise<unknown> => publishExpiry(stream.nc, r, { prefix, ...opts }).then(() => undefined, (e: unknown) => e);

describe('publishExpiry', () => {
  it('publishes the expiry on sx.exec.expired.<venue>.<sym> with id and Nats-Msg-Id e:<orderId> filled in, so a retry is a duplicate', async () => {
    const first = await publishExpiry(stream.nc, report, { prefix });
    expect(first).toMatchObject({ stream: SIGNALS, duplicate: false });
    const retry = await publishExpiry(jetstream(stream.nc), { ...report, ts: report.ts + 5_000 }, { prefix });
    expect(retry).toMatchObject({ stream: SIGNALS, seq: first.seq, duplicate: true });
    const msg = await (await jetstreamManager(stream.nc)).streams.getMessage(SIGNALS, { seq: first.seq });
    expect(msg?.subject).toBe(`${prefix}.exec.expired.binance.BTC-USDT_USDT`);
    expect(msg?.subject).toBe(subjectsFor(prefix).expired('binance', 'BTC/USDT:USDT'));
    expect(msg?.header.get('Nats-Msg-Id')).toBe('e:o:s:e:p:alpha:1:0');
    expect(ExpirySchema.parse(msg?.json())).toEqual({ type: 'exec.expired', v: 1, id: 'e:o:s:e:p:alpha:1:0', ...report });
  });

  it('refuses, as ClientValidationError and before sending, a bad field, an id other than e:<orderId>, the venue\'s order id, a strategy or symbol not of the engine', async () => {
    const before = await stored();
    const cases = [
      [{ ...report, remainingQty: 0 }, /^invalid expiry: remainingQty: /],
      [{ ...report, reason: 'cancelled' as unknown as 'venue' }, /^invalid expiry: reason: /],
      [{ ...report, id: 'e:other' }, /^invalid expiry: id: must be "e:o:s:e:p:alpha:1:0" \(e:<orderId>\)/],
      [{ ...report, orderId: 'BRK-8812345' }, /^invalid expiry: orderId: "BRK-8812345" is no order id of the engine/],
      [{ ...report, strategy: 'dir.mlp' }, /^invalid expiry: strategy: "dir.mlp" is no strategy of the engine/],
      [{ ...report, symbol: 'btc/usdt' }, /^invalid expiry: symbol: "btc\/usdt" is no symbol of the engine: .* \(did you mean "BTC\/USDT"\?\)$/],
      [{ ...report, venue: 'my_venue' }, /^invalid expiry: venue "my_venue" is not a subject token$/],
      [{ ...report, cancelledAt: 1 }, /^invalid expiry: unknown field cancelledAt: the engine would refuse it \(fields: type, v, id, ts, orderId, strategy, venue, symbol, filledQty, remainingQty, reason, text\)$/],
    ] as const;
    for (const [bad, message] of cases) {
      const err = await refusal(bad);
      expect(err).toBeInstanceOf(ClientValidationError);
      expect((err as Error).message).toMatch(message);
    }
    expect(await stored()).toBe(before);
  });

  it('refuses, before sending, unusable and unknown options, naming them as publishExpiry\'s', async () => {
    const before = await stored();
    const bad = [
      [{ timeoutMs: 0 }, 'invalid publishExpiry options: timeoutMs: Too small: expected number to be >0 (got 0)'],
      [{ msgID: 'mine' }, "invalid publishExpiry options: unknown option msgID (Nats-Msg-Id is the expiry's id): it would be ignored (options: prefix, timeoutMs)"],
    ] as const;
    for (const [opts, message] of bad) {
      const err = await refusal({ ...report, orderId: 'o:opts' }, opts as unknown as Parameters<typeof publishExpiry>[2]);
      expect(err).toBeInstanceOf(ClientValidationError);
      expect((err as Error).message).toBe(message);
    }
    expect(await stored()).toBe(before);
  });

  it('says which subject no stream stores when the prefix is not the engine\'s', async () => {
    const other = `tcy${id}`;
    const err = await refusal(report, { prefix: other, timeoutMs: 2000 });
    expect(err).toBeInstanceOf(NoStreamError);
    expect((err as Error).message).toMatch(new RegExp(`^no JetStream stream stores ${other}\\.exec\\.expired\\.binance\\.BTC-USDT_USDT: `));
  });
});
