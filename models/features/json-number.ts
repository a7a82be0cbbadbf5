/**
 * Indicators keep "no value yet" as NaN in plain double fields: a field that only ever holds
 * doubles stays unboxed in V8, whereas mixing in `null` makes every write allocate. JSON has no
 * NaN, so snapshots carry `null` instead; these two helpers are the only place that converts.
 * Finite numbers round-trip through JSON exactly, which is what makes restores bit-identical.
 */

/** NaN (and any other non-finite number) → null, for snapshots and published values. */
export const toJsonNumber = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** null → NaN, the inverse of {@link toJsonNumber} for finite numbers. */
export const fromJsonNumber = (x: number | null): number => (x === null ? Number.NaN : x);

/** The public `value` of an indicator: null while warming (NaN inside). */
export const orNull = (x: number): number | null => (x === x ? x : null);
