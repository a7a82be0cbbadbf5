import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTimeframe, readBars } from '../../gateways/historical/bars-csv.js';
import { MAX_LINE_CHARS } from '../../gateways/historical/csv-lines.js';
import { SourceError } from '../../gateways/historical/source-error.js';
import { barId, BarSchema } from '../../streams/messages/bar.js';
import type { Bar } from '../../streams/messages/bar.js';
import { SubjectError } from '../../streams/subjects.js';
import { BTC_1H, BTC_5M_ORACLE, collect, csvRows, dataPath, scratch, XRPETH_1M } from './data.js';

const btc = { venue: 'binance', symbol: 'BTC/USDT', tf: '1h' } as const;
const tmp = scratch();
afterAll(() => tmp.cleanup());

/** The bar a CSV row should become, built from the text cells. */
const expected = (cells: readonly string[], o: { venue: string; symbol: string; tf: '1h' | '5m' | '1m' }): Bar => ({
  type: 'md.bar',
  v: 1,
  id: barId(o.venue, o.symbol, o.tf, Number(cells[0])),
  venue: o.venue,
  symbol: o.symbol,
  tf: o.tf,
  open: Number(cells[2]),
  high: Number(cells[3]),
  low: Number(cells[4]),
  close: Number(cells[5]),
  volume: Number(cells[6]),
  ts: Number(cells[0]),
});

describe('readBars on the shared OHLCV files', () => {
  it('reads every row of the BTC/USDT 1h file, first and last equal to the CSV text', async () => {
    const path = dataPath(BTC_1H);
    const { rows } = csvRows(path);
    const bars = await collect(readBars(path, btc));
    expect(rows.length).toBe(53_531); // as documented in the data README
    expect(bars).toHaveLength(rows.length);
    expect(bars[0]).toEqual(expected(rows[0]!, btc));
    expect(bars.at(-1)).toEqual(expected(rows.at(-1)!, btc));
    expect(bars[0]).toMatchObject({ ts: 1589155200000, open: 8722.77, high: 8805.14, low: 8696, close: 8770.16, volume: 3812.842913 });
  });

  it('gives every bar the schema shape, a deterministic id and strictly increasing open times', async () => {
    const bars = await collect(readBars(dataPath(BTC_1H), btc));
    const wrong = bars.filter((b, i) => (i % 97 === 0 && !BarSchema.safeParse(b).success) || b.id !== `b:binance:BTC/USDT:1h:${b.ts}` || (i > 0 && b.ts <= bars[i - 1]!.ts));
    expect(wrong).toEqual([]);
    expect(new Set(bars.map((b) => b.id)).size).toBe(bars.length);
  });

  it('reads the leading OHLCV columns of an oracle file and ignores the indicator columns', async () => {
    const path = dataPath(BTC_5M_ORACLE);
    const { header, rows } = csvRows(path);
    expect(header.length).toBeGreaterThan(7);
    const o = { venue: 'binance', symbol: 'BTC/USDT', tf: '5m' } as const;
    const bars = await collect(readBars(path, o));
    expect(bars).toHaveLength(2880);
    expect(bars[0]).toEqual(expected(rows[0]!, o));
    expect(bars.at(-1)).toEqual(expected(rows.at(-1)!, o));
  });

  it('reads a file without the src column (XRP/ETH 1m candles)', async () => {
    const path = dataPath(XRPETH_1M);
    const { rows } = csvRows(path);
    const o = { venue: 'binance', symbol: 'XRP/ETH', tf: '1m' } as const;
    const bars = await collect(readBars(path, o));
    expect(bars).toHaveLength(rows.length);
    expect(bars[1]).toEqual(expected(rows[1]!, o));
  });

  it('selects a window: from inclusive, to exclusive, limit', async () => {
    const path = dataPath(BTC_1H);
    const { rows } = csvRows(path);
    const from = Date.UTC(2022, 0, 1);
    const to = Date.UTC(2023, 0, 1);
    const want = rows.filter((r) => Number(r[0]) >= from && Number(r[0]) < to);
    const bars = await collect(readBars(path, { ...btc, from, to }));
    expect(bars).toHaveLength(want.length);
    expect(bars.length).toBe(8760); // 2022 has 365 × 24 hourly bars, all present
    expect(bars[0]!.ts).toBe(from);
    expect(bars.at(-1)!.ts).toBe(to - 3_600_000);

    const three = await collect(readBars(path, { ...btc, from, limit: 3 }));
    expect(three.map((b) => b.ts)).toEqual([from, from + 3_600_000, from + 7_200_000]);
    expect(await collect(readBars(path, { ...btc, limit: 0 }))).toEqual([]);
    expect(await collect(readBars(path, { ...btc, from: to, to: from }))).toEqual([]);
  });

  it('stops reading early when the consumer breaks', async () => {
    let n = 0;
    for await (const _ of readBars(dataPath(BTC_1H), btc)) if (++n === 5) break;
    expect(n).toBe(5);
  });
});

describe('readBars refuses bad input', () => {
  const header = 'timestamp,datetime,open,high,low,close,volume,src\n';
  const good = (ts: number): string => `${ts},x,10,12,9,11,100,M\n`;
  const t0 = 1_700_000_000_000;
  const cases: ReadonlyArray<[string, string, RegExp]> = [
    ['a non-numeric price', `${t0},x,abc,12,9,11,100,M\n`, /open "abc" is not a finite number/],
    ['an empty price', `${t0},x,,12,9,11,100,M\n`, /open "" is not a finite number/],
    ['a blank price', `${t0},x, ,12,9,11,100,M\n`, /open " " is not a finite number/],
    ['an infinite volume', `${t0},x,10,12,9,11,Infinity,M\n`, /volume "Infinity" is not a finite number/],
    ['NaN', `${t0},x,10,12,9,NaN,100,M\n`, /close "NaN" is not a finite number/],
    ['a zero price', `${t0},x,0,12,9,11,100,M\n`, /open 0 must be > 0/],
    ['a negative volume', `${t0},x,10,12,9,11,-1,M\n`, /volume -1 must be >= 0/],
    ['high below low', `${t0},x,10,8,9,11,100,M\n`, /high 8 \/ low 9 do not bound/],
    ['a seconds timestamp', `1700000000,x,10,12,9,11,100,M\n`, /not epoch milliseconds/],
    ['a fractional timestamp', `${t0}.5,x,10,12,9,11,100,M\n`, /not epoch milliseconds/],
    ['a missing field', `${t0},x,10,12,9,11,100\n`, /expected 8 fields as in the header, got 7/],
  ];
  it.each(cases)('refuses %s with a SourceError naming the file and line', async (_name, row, reason) => {
    const path = tmp.file('bad.csv', header + good(t0 - 60_000) + row + good(t0 + 60_000));
    const seen: number[] = [];
    const err = await (async () => {
      try {
        for await (const b of readBars(path, btc)) seen.push(b.ts);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SourceError);
    const e = err as SourceError;
    expect(e.retryable).toBe(false);
    expect(e.file).toBe(path);
    expect(e.line).toBe(3);
    expect(e.message).toContain(`${path}:3: `);
    expect(e.message).toMatch(reason);
    expect(seen).toEqual([t0 - 60_000]); // rows before the bad one were delivered first
  });

  it('refuses rows out of time order and repeated bars', async () => {
    const back = tmp.file('back.csv', header + good(t0) + good(t0 - 60_000));
    await expect(collect(readBars(back, btc))).rejects.toThrow(/back\.csv:3: timestamp 1699999940000 is before the previous row's 1700000000000/);
    const dup = tmp.file('dup.csv', header + good(t0) + good(t0));
    await expect(collect(readBars(dup, btc))).rejects.toThrow(/dup\.csv:3: timestamp 1700000000000 repeats the previous row/);
  });

  it('skips and reports bad rows when onBadRow is given', async () => {
    const path = tmp.file('mixed.csv', header + good(t0) + `${t0 + 1},x,abc,12,9,11,100,M\n` + '\n' + good(t0 + 2) + `${t0 + 3},x,10,12,9,11\r\n` + good(t0 + 4).replace('\n', '\r\n'));
    const bad: SourceError[] = [];
    const bars = await collect(readBars(path, { ...btc, onBadRow: (e) => bad.push(e) }));
    expect(bars.map((b) => b.ts)).toEqual([t0, t0 + 2, t0 + 4]);
    expect(bad.map((e) => e.line)).toEqual([3, 6]);
  });

  it('reads a good row at the time of the refused row before it, and names the refused row\'s own fault', async () => {
    // A refused row's time used to move the order check: its corrected repeat was refused as
    // "repeats the previous row", and so was the next bad row at that time instead of its fault.
    const path = tmp.file('corrected.csv', header + good(t0) + `${t0 + 1},x,abc,12,9,11,100,M\n` + good(t0 + 1) + `${t0 + 2},x,10,12,9,11,-5,M\n` + `${t0 + 2},x,10,12,9,11,-6,M\n` + good(t0 + 2));
    const bad: SourceError[] = [];
    const bars = await collect(readBars(path, { ...btc, onBadRow: (e) => bad.push(e) }));
    expect(bars.map((b) => b.ts)).toEqual([t0, t0 + 1, t0 + 2]);
    expect(bad.map((e) => [e.line, e.message.replace(`${path}:${e.line}: `, '')])).toEqual([
      [3, 'open "abc" is not a finite number'],
      [5, 'volume -5 must be >= 0'],
      [6, 'volume -6 must be >= 0'],
    ]);
  });

  it('refuses a row after notAfter without letting its time refuse the real rows after it', async () => {
    const future = Date.UTC(2100, 0, 1);
    const path = tmp.file('future.csv', header + good(t0) + good(future) + good(t0 + 1) + good(t0 + 2));
    const bad: SourceError[] = [];
    const bars = await collect(readBars(path, { ...btc, notAfter: t0 + 10, onBadRow: (e) => bad.push(e) }));
    expect(bars.map((b) => b.ts)).toEqual([t0, t0 + 1, t0 + 2]);
    expect(bad.map((e) => [e.line, e.message.replace(`${path}:${e.line}: `, '')])).toEqual([[3, `timestamp ${future} (2100-01-01T00:00:00.000Z) is in the future (after ${new Date(t0 + 10).toISOString()})`]]);
  });

  it('refuses a file whose lines end in CR alone, which used to read as a header and no rows', async () => {
    const path = tmp.file('cr-only.csv', (header + good(t0) + good(t0 + 1)).replaceAll('\n', '\r'));
    await expect(collect(readBars(path, { ...btc, onBadRow: () => {} }))).rejects.toThrow(/cr-only\.csv:1: the header line holds a carriage return: the file's lines end in CR alone/);
  });

  it('refuses a compressed file as not text, rather than as a layout of its bytes or a CR file', async () => {
    const path = tmp.file('gz.csv', '');
    writeFileSync(path, gzipSync(header + good(t0) + good(t0 + 1)));
    await expect(collect(readBars(path, btc))).rejects.toThrow(/gz\.csv:1: the header line is not text: a compressed or binary file\? \(decompress it first, e\.g\. gunzip\)$/);
  });

  it('refuses a line past a mebibyte after delivering the rows before it, instead of holding it whole', async () => {
    const path = tmp.file('long-line.csv', header + good(t0) + good(t0 + 1) + 'x'.repeat(MAX_LINE_CHARS + 1));
    const seen: number[] = [];
    const err = await (async () => {
      for await (const b of readBars(path, btc)) seen.push(b.ts);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([t0, t0 + 1]);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).message).toMatch(/long-line\.csv:4: line runs past 1048576 characters without a line break/);
  });

  it('reads a last line without a newline and a byte-order mark before the header', async () => {
    const path = tmp.file('bom.csv', `\uFEFF${header}${good(t0)}${good(t0 + 1).trimEnd()}`);
    expect((await collect(readBars(path, btc))).map((b) => b.ts)).toEqual([t0, t0 + 1]);
  });

  it('refuses a file that is not OHLCV at line 1, saying what it looks like', async () => {
    await expect(collect(readBars(dataPath('ticks/binance_BTCUSDT_spot_trades_2021-01-08_46s.csv'), btc))).rejects.toThrow(
      /:1: not a ohlcv file: missing column\(s\) open,high,low,close,volume .*looks like nautilus-trades/,
    );
    const empty = tmp.file('empty.csv', '');
    await expect(collect(readBars(empty, btc))).rejects.toThrow(/empty file: no header line/);
  });

  it('refuses a missing file with a SourceError', async () => {
    const err = await collect(readBars('/nonexistent/BTC_USDT_1h.csv', btc)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).message).toMatch(/^\/nonexistent\/BTC_USDT_1h\.csv: cannot read: ENOENT/);
  });

  it('refuses a bad timeframe, symbol or window at call time', () => {
    expect(() => readBars('x.csv', { ...btc, tf: '7m' })).toThrow(RangeError);
    expect(() => readBars('x.csv', { ...btc, symbol: 'BTC USDT' })).toThrow(SubjectError);
    expect(() => readBars('x.csv', { ...btc, venue: 'bin.ance' })).toThrow(SubjectError);
    expect(() => readBars('x.csv', { ...btc, from: Number.NaN })).toThrow(/from must be a finite/);
    expect(() => readBars('x.csv', { ...btc, limit: -1 })).toThrow(/limit must be a non-negative integer/);
    expect(parseTimeframe('5m')).toBe('5m');
    expect(() => parseTimeframe('2h')).toThrow(/expected one of 1m, 5m, 15m, 1h, 4h, 1d/);
  });
});
