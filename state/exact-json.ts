import { StoreError } from './errors.js';

/** Stands in for -0 while JSON.stringify runs; written as the JSON string `"\u0000-0"`. */
const NEG_ZERO = '\u0000-0';
const NEG_ZERO_JSON = JSON.stringify(NEG_ZERO);

/**
 * JSON.stringify that keeps -0. JSON.stringify writes -0 as `0`, but JSON.parse reads `-0` back
 * as -0, so only the writing side needs help; a snapshot must restore an actor bit-identically,
 * and -0 is observable (`1 / x`, `Math.sign`, `Object.is`). Costs one replacer call per value.
 *
 * @example
 * JSON.parse(stringifyExact({ x: -0 })).x; // -0 (JSON.stringify gives 0)
 */
export function stringifyExact(value: unknown): string {
  // Most snapshots hold no -0: then the plain JSON.stringify (no replacer call per value, which
  // costs a crossing from native code into JS each) writes the same text.
  if (!holdsNegZero(value, 0)) return JSON.stringify(value);
  let negZeros = 0;
  const json = JSON.stringify(value, (_key, v: unknown) => {
    if (v === 0 && Object.is(v, -0)) {
      negZeros++;
      return NEG_ZERO;
    }
    return v;
  });
  if (negZeros === 0) return json;
  const parts = json.split(NEG_ZERO_JSON);
  // Only a string holding NUL could produce the stand-in's text too: refuse rather than guess.
  if (parts.length - 1 !== negZeros) throw new StoreError('cannot serialise a value holding both -0 and a NUL character', false);
  return parts.join('-0');
}

/** Whether a -0 is anywhere in plain data (arrays and plain objects; deeper than 64 levels counts as yes). */
function holdsNegZero(v: unknown, depth: number): boolean {
  if (typeof v === 'number') return v === 0 && 1 / v < 0;
  if (typeof v !== 'object' || v === null) return false;
  if (depth > 64) return true; // let the replacer path handle (and JSON.stringify refuse) odd shapes
  if (Array.isArray(v)) {
    for (const x of v) if (holdsNegZero(x, depth + 1)) return true;
    return false;
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return true;
  for (const k in v) if (holdsNegZero((v as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
}
