/** Values of a feature vector by name (`FeatureVector['values']`). */
export type NamedValues = Readonly<Record<string, number | null>>;

/**
 * Copies `names` out of a values object into `out` (in `names` order) and returns how many
 * leading names were present: `names.length` when all were, else the index of the first one
 * absent or null (`out` holds the values before it).
 */
export type NamedValueReader = (values: NamedValues, out: Float64Array) => number;

/** The first value under `keys` that is a positive finite number, or undefined. */
export type PositiveValueReader = (values: NamedValues) => number | undefined;

/** A name as a JavaScript string literal (JSON's string syntax is a subset of it). */
const literal = (name: string): string => JSON.stringify(name);

/**
 * A reader with each name compiled in as a constant property key. A loop of `values[names[j]]`
 * is one property-load site seeing every name, which V8 serves through its megamorphic cache;
 * a constant key per site gets its own inline cache, monomorphic for vectors built alike (the
 * feature engine's object literal, or one JSON shape). Measured by `bench/strategy.bench.ts`.
 * The generated code holds nothing but these literals, so no name can inject code.
 */
export function compileNamedValueReader(names: readonly string[]): NamedValueReader {
  const lines = names.map((n, j) => `x = values[${literal(n)}]; if (x === undefined || x === null) return ${j}; out[${j}] = x;`);
  return new Function('values', 'out', `"use strict"; let x;\n${lines.join('\n')}\nreturn ${names.length};`) as NamedValueReader;
}

/** Like {@link compileNamedValueReader}, for the first positive finite value among `keys` (a price). */
export function compilePositiveValueReader(keys: readonly string[]): PositiveValueReader {
  const lines = keys.map((k) => `x = values[${literal(k)}]; if (typeof x === "number" && Number.isFinite(x) && x > 0) return x;`);
  return new Function('values', `"use strict"; let x;\n${lines.join('\n')}\nreturn undefined;`) as PositiveValueReader;
}
