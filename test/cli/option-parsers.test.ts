import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { fraction, isoTime, nonNegative, nonNegativeInt, parseSymbols, parseTime, positive, positiveInt, timeframeArg } from '../../cli/option-parsers.js';

describe('command-line option parsers', () => {
  it('takes a comma-separated list, trimmed', () => {
    expect(parseSymbols('BTC/USDT, ETH/USDT ,SOL/USDT,')).toEqual(['BTC/USDT', 'ETH/USDT', 'SOL/USDT']);
  });

  it('refuses an empty list and a symbol given twice, as commander argument errors', async () => {
    expect(() => parseSymbols(' , ')).toThrow('at least one symbol');
    expect(() => parseSymbols('BTC/USDT,ETH/USDT,BTC/USDT,ETH/USDT')).toThrow('BTC/USDT, ETH/USDT given more than once');
    const cmd = new Command()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined })
      .option('--symbols <list>', 'symbols', parseSymbols)
      .action(() => undefined);
    await expect(cmd.parseAsync(['--symbols', 'BTC/USDT,BTC/USDT'], { from: 'user' })).rejects.toMatchObject({ code: 'commander.invalidArgument' });
  });

  it('reads dates as UTC and numbers within their bounds, and names what was expected otherwise', () => {
    expect(parseTime('2024-01-01')).toBe(Date.UTC(2024, 0, 1));
    expect(parseTime('2024-01-01T12:30:00Z')).toBe(Date.UTC(2024, 0, 1, 12, 30));
    expect(parseTime('1704067200000')).toBe(1704067200000);
    expect(() => parseTime('yesterday')).toThrow('not a date or epoch ms: yesterday');
    expect(isoTime('2024-01-01')).toBe('2024-01-01T00:00:00.000Z'); // `dataset export --created-at`
  });

  it('reads a time the same in every time zone, takes YYYYMMDD as a date and refuses epoch seconds and days the calendar lacks', () => {
    const tz = process.env['TZ'];
    try {
      process.env['TZ'] = 'America/New_York';
      // Date.parse read these in the machine's zone: the window moved five hours on a New York laptop.
      expect(parseTime('2024-01-01 09:30')).toBe(Date.UTC(2024, 0, 1, 9, 30));
      expect(parseTime('2024-01-01T09:30:15.250')).toBe(Date.UTC(2024, 0, 1, 9, 30, 15, 250));
      expect(parseTime('2024-01-01T09:30+02:00')).toBe(Date.UTC(2024, 0, 1, 7, 30));
      expect(() => parseTime('2024/01/01')).toThrow('not a date or epoch ms: 2024/01/01');
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
    // 20240101 was epoch ms: a window of 4 ms on 1970-01-01.
    expect(parseTime('20240101')).toBe(Date.UTC(2024, 0, 1));
    expect(() => parseTime('20241301')).toThrow('20241301: no such day');
    expect(() => parseTime('2024-02-30')).toThrow('2024-02-30: no such day');
    expect(() => parseTime('1704067200')).toThrow('1704067200 looks like epoch seconds (2024-01-01T00:00:00.000Z): give epoch milliseconds (1704067200000) or a date');
    expect(parseTime('0')).toBe(0);
    expect(() => isoTime('last tuesday')).toThrow('not a date or epoch ms: last tuesday');
    expect(positiveInt('3')).toBe(3);
    for (const v of ['0', '1.5', '', 'x']) expect(() => positiveInt(v)).toThrow('a positive integer');
    expect(nonNegativeInt('0')).toBe(0);
    for (const v of ['-1', '', ' ']) expect(() => nonNegativeInt(v)).toThrow('an integer ≥ 0');
    expect(positive('0.5')).toBe(0.5);
    for (const v of ['0', 'Infinity', '']) expect(() => positive(v)).toThrow('a positive number');
    expect(nonNegative('0')).toBe(0);
    for (const v of ['-0.1', 'NaN', '']) expect(() => nonNegative(v)).toThrow('a number ≥ 0');
    expect(fraction('0.7')).toBe(0.7);
    for (const v of ['0', '1', '']) expect(() => fraction(v)).toThrow('a number in (0, 1)');
  });

  it('takes a timeframe the engine knows, and names them otherwise (backtest printed the zod issue list as JSON)', async () => {
    expect(timeframeArg('5m')).toBe('5m');
    for (const v of ['7m', '1H', '', '60']) expect(() => timeframeArg(v)).toThrow('one of 1m, 5m, 15m, 1h, 4h, 1d');
    const cmd = new Command()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined })
      .option('--timeframe <tf>', 'bar timeframe', timeframeArg, '1h')
      .action(() => undefined);
    await expect(cmd.parseAsync(['--timeframe', '7m'], { from: 'user' })).rejects.toMatchObject({ code: 'commander.invalidArgument', message: "error: option '--timeframe <tf>' argument '7m' is invalid. one of 1m, 5m, 15m, 1h, 4h, 1d" });
  });
});
