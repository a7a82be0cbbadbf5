import { afterAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../gateways/historical/source-error.js';
import { readTrades } from '../../gateways/historical/trades-csv.js';
import { tradeId, TradeSchema } from '../../streams/messages/trade.js';
import { BTC_TRADES, collect, csvRows, dataPath, ORDERFLOW_TRADES, scratch, XRPETH_TRADES } from './data.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());

describe('readTrades, freqtrade layout (timestamp,id,side,price,amount,cost)', () => {
  const o = { venue: 'binance', symbol: 'XRP/ETH' } as const;

  it('reads every XRP/ETH trade with the taker side as written and the venue trade id in the id', async () => {
    const path = dataPath(XRPETH_TRADES);
    const { header, rows } = csvRows(path);
    expect(header).toEqual(['timestamp', 'id', 'side', 'price', 'amount', 'cost']);
    const trades = await collect(readTrades(path, o));
    expect(trades).toHaveLength(12_477);
    expect(trades).toHaveLength(rows.length);
    const first = rows[0]!;
    expect(trades[0]).toEqual({
      type: 'md.trade',
      v: 1,
      id: tradeId('binance', 'XRP/ETH', first[1]!),
      venue: 'binance',
      symbol: 'XRP/ETH',
      price: Number(first[3]),
      qty: Number(first[4]),
      side: first[2],
      ts: Number(first[0]),
    });
    expect(trades[0]!.id).toBe('t:binance:XRP/ETH:13519807');
    const sides = trades.map((t) => t.side);
    expect(sides).toEqual(rows.map((r) => r[2]));
    expect(sides.filter((s) => s === 'buy').length).toBe(rows.filter((r) => r[2] === 'buy').length);
    expect(new Set(trades.map((t) => t.id)).size).toBe(trades.length);
    expect(trades.every((t, i) => i % 50 !== 0 || TradeSchema.safeParse(t).success)).toBe(true);
  });

  it('reads the orderflow file and selects a window that splits a millisecond cleanly', async () => {
    const path = dataPath(ORDERFLOW_TRADES);
    const { rows } = csvRows(path);
    const all = await collect(readTrades(path, { venue: 'binance', symbol: 'ETH/USDT' }));
    expect(all).toHaveLength(1000);
    const from = Number(rows[100]![0]);
    const to = Number(rows[200]![0]);
    const part = await collect(readTrades(path, { venue: 'binance', symbol: 'ETH/USDT', from, to }));
    expect(part.map((t) => t.id)).toEqual(all.filter((t) => t.ts >= from && t.ts < to).map((t) => t.id));
    expect(part[0]!.ts).toBe(from);
  });

  it('maps an empty side to unknown and refuses any other side', async () => {
    const head = 'timestamp,id,side,price,amount,cost\n';
    const ok = tmp.file('ft.csv', `${head}1700000000000,1,,1.5,2,3\n1700000000001,2,SELL,1.5,2,3\n`);
    expect((await collect(readTrades(ok, o))).map((t) => t.side)).toEqual(['unknown', 'sell']);
    const bad = tmp.file('ft-bad.csv', `${head}1700000000000,1,long,1.5,2,3\n`);
    await expect(collect(readTrades(bad, o))).rejects.toThrow(/ft-bad\.csv:2: side "long" is not buy, sell or empty/);
    const noId = tmp.file('ft-noid.csv', `${head}1700000000000,,buy,1.5,2,3\n`);
    await expect(collect(readTrades(noId, o))).rejects.toThrow(/ft-noid\.csv:2: id is empty/);
    const zero = tmp.file('ft-zero.csv', `${head}1700000000000,1,buy,1.5,0,0\n`);
    await expect(collect(readTrades(zero, o))).rejects.toThrow(/amount 0 must be > 0/);
  });
});

describe('readTrades, nautilus layout (timestamp,trade_id,price,quantity,buyer_maker)', () => {
  const o = { venue: 'binance', symbol: 'BTC/USDT' } as const;

  it('maps buyer_maker=True to a taker SELL and False to a taker BUY', async () => {
    const path = dataPath(BTC_TRADES);
    const { header, rows } = csvRows(path);
    expect(header).toEqual(['timestamp', 'trade_id', 'price', 'quantity', 'buyer_maker']);
    const trades = await collect(readTrades(path, o));
    expect(trades).toHaveLength(rows.length);
    expect(trades.map((t) => t.side)).toEqual(rows.map((r) => (r[4] === 'True' ? 'sell' : 'buy')));
    expect(trades.filter((t) => t.side === 'sell')).toHaveLength(rows.filter((r) => r[4] === 'True').length);
    expect(trades[0]).toMatchObject({ id: 't:binance:BTC/USDT:553287559', ts: 1610064000278, price: 39432.48, qty: 0.000263, side: 'sell' });
    expect(trades[1]).toMatchObject({ id: 't:binance:BTC/USDT:553287560', price: 39439.44, qty: 0.004376, side: 'buy' });
    expect(new Set(trades.map((t) => t.id)).size).toBe(trades.length);
  });

  it('refuses a buyer_maker that is not a boolean', async () => {
    const bad = tmp.file('n-bad.csv', 'timestamp,trade_id,price,quantity,buyer_maker\n1700000000000,1,1.5,2,maybe\n');
    const err = await collect(readTrades(bad, o)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).line).toBe(2);
    expect((err as SourceError).message).toMatch(/buyer_maker "maybe" is not True or False/);
  });

  it('refuses a file that is neither trades layout', async () => {
    await expect(collect(readTrades(dataPath('ohlcv/binance_spot_1h/BTC_USDT_1h.csv'), o))).rejects.toThrow(/:1: not a trades file/);
  });

  it('refuses a trade whose id would be longer than a message id may be, and reads the rows around it', async () => {
    // It used to be published, for every asset actor to refuse as SCHEMA, far from its file and line.
    const long = tmp.file('n-long-id.csv', `timestamp,trade_id,price,quantity,buyer_maker\n1700000000000,1,1.5,2,True\n1700000000001,${'9'.repeat(300)},1.5,2,True\n1700000000002,3,1.5,2,True\n`);
    const bad: SourceError[] = [];
    const trades = await collect(readTrades(long, { ...o, onBadRow: (e) => bad.push(e) }));
    expect(trades.map((t) => t.id)).toEqual([tradeId('binance', 'BTC/USDT', 1), tradeId('binance', 'BTC/USDT', 3)]);
    expect(trades.every((t) => TradeSchema.safeParse(t).success)).toBe(true);
    expect(bad.map((e) => [e.line, e.message.replace(`${long}:3: `, '')])).toEqual([[3, 'trade id of 300 characters makes a message id of 319, over the 200 a market-data id may hold']]);
  });
});
