import { InvalidArgumentError, Option } from 'commander';
import { parseTimeframe } from '../gateways/historical/bars-csv.js';
import { TIMEFRAMES } from '../streams/messages/bar.js';
import type { Timeframe } from '../streams/messages/bar.js';

/**
 * Parsers of command-line option values, shared by every command: each returns the value or
 * throws commander's InvalidArgumentError with what was expected, which commander prints as
 * `error: option '--x <v>' argument 'y' is invalid. <what>`.
 */

/**
 * A `--symbols` list: comma-separated, trimmed, at least one, none given twice (a symbol named
 * twice was trained on twice and given two asset actors).
 *
 * @example parseSymbols('BTC/USDT, ETH/USDT') // ['BTC/USDT', 'ETH/USDT']
 */
export function parseSymbols(v: string): string[] {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (list.length === 0) throw new InvalidArgumentError('at least one symbol, e.g. BTC/USDT,ETH/USDT');
  const twice = repeatedIn(list);
  if (twice.length > 0) throw new InvalidArgumentError(`${twice.join(', ')} given more than once`);
  return list;
}

/**
 * A `--symbols <list>` option whose default the help shows as a user types it
 * (`BTC/USDT,ETH/USDT`), not as a JSON array (`["BTC/USDT","ETH/USDT"]`).
 */
export const symbolsOption = (description: string, defaults: readonly string[]): Option =>
  new Option('--symbols <list>', description).argParser(parseSymbols).default([...defaults], defaults.join(','));

/**
 * A time option (`--from <date>`) with a default the help shows as the date it was given as
 * (`2024-01-01`), not as epoch ms (`1704067200000`).
 */
export const timeOption = (flags: string, description: string, date: string): Option => new Option(flags, description).argParser(parseTime).default(parseTime(date), date);

/** A bar timeframe (`--timeframe`): one the engine knows, e.g. `1h`. */
export function timeframeArg(v: string): Timeframe {
  try {
    return parseTimeframe(v);
  } catch {
    throw new InvalidArgumentError(`one of ${TIMEFRAMES.join(', ')}`);
  }
}

/**
 * Why a window cannot be run, or undefined: its start is not before its end (either may be open).
 * `names`: how the caller's user calls the two bounds (`--from`/`--to` on the command line).
 */
export function emptyWindow(from: number | undefined, to: number | undefined, names: readonly [string, string] = ['--from', '--to']): string | undefined {
  if (from === undefined || to === undefined || from < to) return undefined;
  const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));
  return `the window is empty: ${names[0]} ${iso(from)} is not before ${names[1]} ${iso(to)}`;
}

/** The values `list` holds more than once, each once, in the order of their second appearance. */
export function repeatedIn(list: readonly string[]): string[] {
  return [...new Set(list.filter((s, i) => list.indexOf(s) !== i))];
}

const ISO_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A time as the commands and backtest specs take it, in epoch ms, the same on every machine:
 * `2024-01-01` and `20240101` (UTC midnight), an ISO 8601 time (UTC unless it gives an offset),
 * or epoch milliseconds. Undefined for anything else: `Date.parse` read `2024/01/01` or
 * `2024-01-01 09:00` in the machine's time zone, so a window moved with the laptop. Throws a
 * RangeError for a day the calendar lacks (`2024-02-30`, which `Date.parse` rolled into March)
 * and for 9 to 11 digits, which are epoch seconds more often than the first days of 1970 in ms.
 *
 * @example timeFromText('20240101') // 1704067200000
 */
export function timeFromText(value: string): number | undefined {
  const v = value.trim();
  if (/^\d{9,11}$/.test(v)) throw new RangeError(`${value} looks like epoch seconds (${new Date(Number(v) * 1000).toISOString()}): give epoch milliseconds (${v}000) or a date`);
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
  if (compact === null && /^\d+$/.test(v)) return Number(v);
  const iso = compact !== null ? [v, `${compact[1]}-${compact[2]}-${compact[3]}`, undefined, undefined] : ISO_TIME.exec(v);
  if (iso === null) return undefined;
  const [, day, clock, zone] = iso;
  const ms = Date.parse(`${day}T${clock ?? '00:00'}${zone ?? 'Z'}`);
  // A calendar day that does not exist comes back as another one (or NaN).
  if (!Number.isFinite(ms) || new Date(Date.parse(`${day}T00:00Z`)).toISOString().slice(0, 10) !== day) throw new RangeError(`${value}: no such day`);
  return ms;
}

/** `2024-01-01`/`20240101` (UTC midnight), an ISO time (UTC unless it has an offset) or epoch milliseconds → epoch ms ({@link timeFromText}). */
export function parseTime(value: string): number {
  let ms: number | undefined;
  try {
    ms = timeFromText(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  if (ms === undefined) throw new InvalidArgumentError(`not a date or epoch ms: ${value} (give YYYY-MM-DD, YYYYMMDD, an ISO 8601 time or epoch ms)`);
  return ms;
}

/** A time as parseTime reads it, given back as an ISO 8601 string (UTC). */
export const isoTime = (value: string): string => new Date(parseTime(value)).toISOString();

const numberWhere = (ok: (n: number) => boolean, expected: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !ok(n)) throw new InvalidArgumentError(expected);
  return n;
};

/** An integer from `min` to `max`, both included. */
export const intBetween = (min: number, max: number) => numberWhere((n) => Number.isInteger(n) && n >= min && n <= max, `an integer from ${min} to ${max}`);

/** An integer > 0. */
export const positiveInt = numberWhere((n) => Number.isInteger(n) && n > 0, 'a positive integer');
/** An integer ≥ 0. */
export const nonNegativeInt = numberWhere((n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0');
/** A finite number > 0. */
export const positive = numberWhere((n) => Number.isFinite(n) && n > 0, 'a positive number');
/** A finite number ≥ 0. */
export const nonNegative = numberWhere((n) => Number.isFinite(n) && n >= 0, 'a number ≥ 0');
/** A number ≥ 0 and under `max` bps; `why` says what `max` stands for. */
export const bpsUnder = (max: number, why: string) => numberWhere((n) => n >= 0 && n < max, `a number ≥ 0 and under ${max} (${why})`);
/** A number from `min` (included) to under `max`; `why` says where both bounds come from. */
export const numberFromUnder = (min: number, max: number, why: string) => numberWhere((n) => n >= min && n < max, `a number from ${min} to under ${max} (${why})`);
/** A number from `min` to `max`, both included; `why` says where `max` comes from. */
export const numberFromTo = (min: number, max: number, why: string) => numberWhere((n) => n >= min && n <= max, `a number from ${min} to ${max} (${why})`);
/** A number strictly between 0 and 1. */
export const fraction = numberWhere((n) => n > 0 && n < 1, 'a number in (0, 1)');

/** A TCP port, 0 to 65535 (0 picks a free one): `sextant demo --port`. */
export function portArg(v: string): number {
  // Digits only: Number('') and Number(' ') are 0, so `--port ''` (an unset variable) served on
  // a free port as if 0 had been asked for; '0x50' and '8e3' read as ports too.
  const n = /^\s*\d{1,5}\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= 0 && n <= 65_535)) throw new InvalidArgumentError('a port number from 0 to 65535 (0 picks a free one)');
  return n;
}
