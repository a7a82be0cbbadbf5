import type { Row } from './row-scanner.js';

/** A time unit a CSV timestamp column is sometimes written in instead of epoch milliseconds. */
export type WrongTimeUnit = Readonly<{ unit: 'seconds' | 'microseconds' | 'nanoseconds'; convert: string }>;

/**
 * Epoch ranges of the other units over the years epoch milliseconds cover ([1e11, 1e14]: 1973 to
 * 5138): seconds are 1,000 times smaller, microseconds 1,000 and nanoseconds 1,000,000 times larger.
 */
const UNITS: readonly (WrongTimeUnit & Readonly<{ min: number; max: number }>)[] = [
  { unit: 'seconds', min: 1e8, max: 1e11, convert: 'multiply it by 1000' },
  { unit: 'microseconds', min: 1e14, max: 1e17, convert: 'divide it by 1000' },
  { unit: 'nanoseconds', min: 1e17, max: 1e20, convert: 'divide it by 1000000' },
];

/**
 * The unit a timestamp field is in when it is plainly not epoch milliseconds but a number of
 * seconds (integer or fractional), microseconds or nanoseconds of the same years; undefined for
 * milliseconds and for anything else (a bad value stays a bad row).
 *
 * @example wrongTimeUnitOf(1_700_000_000) // → { unit: 'seconds', convert: 'multiply it by 1000' }
 */
export function wrongTimeUnitOf(n: number): WrongTimeUnit | undefined {
  if (!Number.isFinite(n)) return undefined;
  const u = UNITS.find((x) => n >= x.min && n < x.max);
  // A fraction is only plausible in seconds (1700000000.123); a fractional microsecond is no unit.
  if (u === undefined || (u.unit !== 'seconds' && !Number.isInteger(n))) return undefined;
  return { unit: u.unit, convert: u.convert };
}

/**
 * Why a file's first data row says the whole file is in another time unit, or undefined: the
 * reader refuses the file once with this reason instead of every row one by one.
 */
export function timeUnitProblem(row: Row, column: number, name: string): string | undefined {
  const text = row.raw(column);
  if (text === undefined || text.trim().length === 0) return undefined;
  const unit = wrongTimeUnitOf(Number(text));
  if (unit === undefined) return undefined;
  return `${name} ${text} is in epoch ${unit.unit}, expected epoch milliseconds: the file is refused whole; convert its ${name} column (${unit.convert}) and read it again`;
}
