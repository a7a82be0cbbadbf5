import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { ClientValidationError, FillSchema, fillId, NoStreamError, publishFill, subjectsFor } from 'sextant/client';
import type { Fill } from 'sextant/client';
import { useSignalsStream } from './signals-stream.js';

// Real NATS JetStream; fails (never skips) when the server is not reachable.
const stream = useSignalsStream('tcf', 'client-fill-test');
const { id, prefix, SIGNALS, stored } = stream;

const fill: Fill = {
  type: 'exec.fill',
  v: 1,
  id: fillId('o:s:e:p:alpha:1:0', 0),
  ts: Date.UTC(2024, 0, 2),
  orderId: 'o:s:e:p:alpha:1:0',
  strategy: 'alpha',
  venue: 'binance',
  symbol: 'BTC/USDT:USDT',
  side: 'buy',
  qty: 0.01,
  price: 42_000,
  fee: 0.42,
  liquidity: 'taker',
  slippageBps: 1.5,
  final: true,
};

describe('publishFill', () => {
  it('publishes a valid fill on sx.exec.fill.<venue>.<sym> with Nats-Msg-Id = id, so a retry is a duplicate', async () => {
    const first = await publishFill(stream.nc, fill, { prefix });
    expect(first).toMatchObject({ stream: SIGNALS, duplicate: false });
    const retry = await publishFill(jetstream(stream.nc), fill, { prefix });
    expect(retry).toMatchObject({ stream: SIGNALS, seq: first.seq, duplicate: true });
    const jsm = await jetstreamManager(stream.nc);
    const msg = await jsm.streams.getMessage(SIGNALS, { seq: first.seq });
    expect(msg?.subject).toBe(`${prefix}.exec.fill.binance.BTC-USDT_USDT`);
    expect(msg?.subject).toBe(subjectsFor(prefix).fill('binance', 'BTC/USDT:USDT'));
    expect(msg?.header.get('Nats-Msg-Id')).toBe(fill.id);
    expect(FillSchema.parse(msg?.json())).toEqual(fill);
  });

  it('publishes a maker rebate (a negative fee) and refuses, before sending, one over 1 % of the notional, naming the fee', async () => {
    const rebate = { ...fill, id: 'x:rebate:0', fee: -0.5, liquidity: 'maker' as const };
    const sent = await publishFill(stream.nc, rebate, { prefix });
    expect(sent).toMatchObject({ stream: SIGNALS, duplicate: false });
    const jsm = await jetstreamManager(stream.nc);
    expect(FillSchema.parse((await jsm.streams.getMessage(SIGNALS, { seq: sent.seq }))?.json())).toEqual(rebate);
    const before = await stored();
    const err = await publishFill(stream.nc, { ...rebate, id: 'x:rebate:1', fee: -42 }, { prefix }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClientValidationError);
    expect((err as Error).message).toBe("invalid fill: fee: a rebate of 42 is over 1 % of the fill's notional (qty × price = 420): at most 4.2");
    expect(await stored()).toBe(before);
  });

  it('refuses an invalid fill before sending, naming the field', async () => {
    const before = await stored();
    const bad = { ...fill, id: 'x:bad:0', price: Number.NaN };
    const err = await publishFill(stream.nc, bad, { prefix }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClientValidationError);
    expect((err as Error).message).toMatch(/price/);
    expect(await stored()).toBe(before);
  });

  it('refuses, before sending, a field the fill schema does not have (a JavaScript caller\'s feeCurrency would be dropped and its fee booked in the quote currency), naming it', async () => {
    const before = await stored();
    const bad = { ...fill, id: 'x:extra:0', fee: 0.001, feeCurrency: 'BNB', venueOrderId: 'BRK-1' } as Fill;
    const err = await publishFill(stream.nc, bad, { prefix }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClientValidationError);
    expect((err as Error).message).toBe('invalid fill: unknown fields feeCurrency, venueOrderId: the engine would refuse them (fields: type, v, id, ts, orderId, strategy, venue, symbol, side, qty, price, fee, liquidity, slippageBps, final)');
    expect(await stored()).toBe(before);
  });

  it('refuses, as ClientValidationError and before sending, a symbol not in the engine\'s form (btc/usdt) and a venue no subject can carry (my_venue)', async () => {
    const before = await stored();
    const refusal = (bad: typeof fill): Promise<unknown> => publishFill(stream.nc, bad, { prefix }).then(() => undefined, (e: unknown) => e);
    const lower = await refusal({ ...fill, id: 'x:lower:0', symbol: 'btc/usdt' });
    expect(lower).toBeInstanceOf(ClientValidationError);
    expect((lower as Error).message).toBe('invalid fill: symbol: "btc/usdt" is no symbol of the engine: ccxt unified, upper case BASE/QUOTE[:SETTLE] like "BTC/USDT" (did you mean "BTC/USDT"?)');
    const venue = await refusal({ ...fill, id: 'x:venue:0', venue: 'my_venue' });
    expect(venue).toBeInstanceOf(ClientValidationError);
    expect((venue as Error).message).toBe('invalid fill: venue "my_venue" is not a subject token');
    expect(await stored()).toBe(before);
  });

  it('refuses, as ClientValidationError and before sending, a fill that can be of no order of the engine: the venue\'s order id as orderId, a strategy that is not one token', async () => {
    const before = await stored();
    const refusal = (bad: typeof fill): Promise<unknown> => publishFill(stream.nc, bad, { prefix }).then(() => undefined, (e: unknown) => e);
    const broker = await refusal({ ...fill, id: 'x:broker:0', orderId: 'BRK-8812345' });
    expect(broker).toBeInstanceOf(ClientValidationError);
    expect((broker as Error).message).toBe('invalid fill: orderId: "BRK-8812345" is no order id of the engine: give the `id` of the order it fills (o:…), not the venue\'s order id');
    const strategy = await refusal({ ...fill, id: 'x:strategy:0', strategy: 'dir.mlp' });
    expect(strategy).toBeInstanceOf(ClientValidationError);
    expect((strategy as Error).message).toBe('invalid fill: strategy: "dir.mlp" is no strategy of the engine: give the `strategy` of the order it fills (1-64 letters, digits, _ and -)');
    expect(await stored()).toBe(before);
  });

  it('refuses, before sending, a timeoutMs of 0, negative, NaN, Infinity, fractional or past the longest timer, and a prefix of two tokens, naming the option and the value', async () => {
    const before = await stored();
    const bad = [
      [{ timeoutMs: 0 }, 'invalid publishFill options: timeoutMs: Too small: expected number to be >0 (got 0)'],
      [{ timeoutMs: -1 }, 'invalid publishFill options: timeoutMs: Too small: expected number to be >0 (got -1)'],
      [{ timeoutMs: Number.NaN }, 'invalid publishFill options: timeoutMs: Invalid input: expected number, received NaN (got NaN)'],
      [{ timeoutMs: Number.POSITIVE_INFINITY }, 'invalid publishFill options: timeoutMs: Invalid input: expected number, received Infinity (got Infinity)'],
      [{ timeoutMs: 2.5 }, 'invalid publishFill options: timeoutMs: Invalid input: expected int, received number (got 2.5)'],
      [{ timeoutMs: 3_000_000_000 }, 'invalid publishFill options: timeoutMs: Too big: expected number to be <=2147483647 (got 3000000000)'],
      [{ timeoutMs: '500' }, 'invalid publishFill options: timeoutMs: Invalid input: expected number, received string (got "500")'],
      [{ prefix: 'sx.demo' }, 'invalid publishFill options: prefix: the engine\'s config prefix: one lowercase subject token (got "sx.demo")'],
    ] as const;
    for (const [opts, message] of bad) {
      // As a JavaScript caller passes them: the types would refuse some at compile time.
      const given = { prefix, ...opts } as unknown as Parameters<typeof publishFill>[2];
      const err = await publishFill(stream.nc, { ...fill, id: 'x:opts:0' }, given).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ClientValidationError);
      expect((err as Error).message).toBe(message);
    }
    expect(await stored()).toBe(before);
    await expect(publishFill(stream.nc, { ...fill, id: 'x:opts:ok' }, { prefix, timeoutMs: 2_000 })).resolves.toMatchObject({ stream: SIGNALS, duplicate: false });
  });

  it('refuses, before sending, an option it does not know (a JavaScript caller\'s timeout: 1000 waited the default 5 s), naming it and what was meant', async () => {
    const before = await stored();
    const bad = [
      [{ timeout: 1000 }, 'invalid publishFill options: unknown option timeout (did you mean timeoutMs?): it would be ignored (options: prefix, timeoutMs)'],
      [{ subjectPrefix: 'demo' }, 'invalid publishFill options: unknown option subjectPrefix (did you mean prefix?): it would be ignored (options: prefix, timeoutMs)'],
      [{ msgID: 'mine', retries: 2 }, "invalid publishFill options: unknown option msgID (Nats-Msg-Id is the fill's id), retries: it would be ignored (options: prefix, timeoutMs)"],
    ] as const;
    for (const [opts, message] of bad) {
      const given = { prefix, ...opts } as unknown as Parameters<typeof publishFill>[2];
      const err = await publishFill(stream.nc, { ...fill, id: 'x:opts:unknown' }, given).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ClientValidationError);
      expect((err as Error).message).toBe(message);
    }
    expect(await stored()).toBe(before);
  });

  it('says which subject no stream stores when the prefix is not the engine\'s, instead of nats.js\'s "jetstream is not enabled"', async () => {
    const other = `tcx${id}`;
    const err = await publishFill(stream.nc, fill, { prefix: other, timeoutMs: 2000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NoStreamError);
    expect((err as Error).message).toMatch(new RegExp(`^no JetStream stream stores ${other}\\.exec\\.fill\\.binance\\.BTC-USDT_USDT: is prefix "${other}" the engine's config prefix`));
  });
});

