import { afterAll, describe, expect, it } from 'vitest';
import { readQuotes } from '../../gateways/historical/quotes-csv.js';
import { quoteId, QuoteSchema } from '../../streams/messages/quote.js';
import { BTC_QUOTES, collect, csvRows, dataPath, scratch } from './data.js';

const o = { venue: 'binance', symbol: 'BTC/USDT' } as const;
const tmp = scratch();
afterAll(() => tmp.cleanup());

describe('readQuotes (bookTicker timestamp,symbol,ask_size,ask,bid_size,bid)', () => {
  it('reads every quote with bid/ask and sizes from the right columns', async () => {
    const path = dataPath(BTC_QUOTES);
    const { rows } = csvRows(path);
    const quotes = await collect(readQuotes(path, o));
    expect(quotes).toHaveLength(451);
    expect(quotes[0]).toEqual({
      type: 'md.quote',
      v: 1,
      id: quoteId('binance', 'BTC/USDT', 1610064001076, 0),
      venue: 'binance',
      symbol: 'BTC/USDT',
      ask: 39433.62,
      askSize: 0.066851,
      bid: 39432.99,
      bidSize: 0.0031,
      ts: 1610064001076,
    });
    const last = rows.at(-1)!;
    expect(quotes.at(-1)).toMatchObject({ ts: Number(last[0]), askSize: Number(last[2]), ask: Number(last[3]), bidSize: Number(last[4]), bid: Number(last[5]) });
    expect(quotes.every((q) => QuoteSchema.safeParse(q).success)).toBe(true);
  });

  it('gives quotes in the same millisecond distinct ids, numbered in file order', async () => {
    const path = dataPath(BTC_QUOTES);
    const { rows } = csvRows(path);
    const quotes = await collect(readQuotes(path, o));
    expect(new Set(quotes.map((q) => q.id)).size).toBe(quotes.length);
    const seqs = new Map<number, number>();
    const want = rows.map((r) => {
      const ts = Number(r[0]);
      const seq = seqs.get(ts) ?? 0;
      seqs.set(ts, seq + 1);
      return `q:binance:BTC/USDT:${ts}:${seq}`;
    });
    expect(quotes.map((q) => q.id)).toEqual(want);
    expect([...seqs.values()].some((n) => n > 1)).toBe(true); // the file does have shared milliseconds
  });

  it('gives the same ids when read through a window', async () => {
    const path = dataPath(BTC_QUOTES);
    const all = await collect(readQuotes(path, o));
    const shared = all.find((q) => q.id.endsWith(':1'))!.ts; // a millisecond holding 2+ quotes
    const part = await collect(readQuotes(path, { ...o, from: shared, limit: 5 }));
    expect(part.map((q) => q.id)).toEqual(all.filter((q) => q.ts >= shared).slice(0, 5).map((q) => q.id));
    expect(part[0]!.id).toBe(`q:binance:BTC/USDT:${shared}:0`);
  });

  it('refuses a row for another symbol', async () => {
    await expect(collect(readQuotes(dataPath(BTC_QUOTES), { venue: 'binance', symbol: 'ETH/USDT' }))).rejects.toThrow(/:2: symbol "BTC\/USDT" is not ETH\/USDT/);
    const bare = tmp.file('q.csv', 'timestamp,symbol,ask_size,ask,bid_size,bid\n1700000000000,BTCUSDT,1,2,3,1.5\n');
    expect(await collect(readQuotes(bare, o))).toHaveLength(1); // BTCUSDT names BTC/USDT
    expect(await collect(readQuotes(bare, { venue: 'binance', symbol: 'BTC/USDT:USDT' }))).toHaveLength(1); // and the perpetual
  });
});
