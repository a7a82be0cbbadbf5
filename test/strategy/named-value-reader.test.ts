import { describe, expect, it } from 'vitest';
import { compileNamedValueReader, compilePositiveValueReader } from '../../models/inference/named-value-reader.js';

describe('compiled named-value readers', () => {
  it('copies the named values in name order and counts all of them when all are present', () => {
    const read = compileNamedValueReader(['b', 'a', 'c']);
    const out = new Float64Array(3);
    expect(read({ a: 1.5, b: -2, c: 5e-324, d: 9 }, out)).toBe(3);
    expect(Array.from(out)).toEqual([-2, 1.5, 5e-324]);
  });

  it('stops at the first absent or null value and returns its index', () => {
    const read = compileNamedValueReader(['a', 'b', 'c']);
    const out = new Float64Array(3).fill(7);
    expect(read({ a: 1, b: null, c: 3 }, out)).toBe(1);
    expect(out[0]).toBe(1);
    expect(out[2]).toBe(7);
    expect(read({ b: 2, c: 3 }, out)).toBe(0);
    expect(read({ a: 0, b: 0 }, out)).toBe(2);
  });

  it('treats a name as a key only, whatever characters it holds', () => {
    const hostile = ['a"]; throw new Error("injected"); //', "b'\\\n\u2028", '__proto__x', '${x}'];
    const read = compileNamedValueReader(hostile);
    const out = new Float64Array(hostile.length);
    const values = Object.fromEntries(hostile.map((k, j) => [k, j + 0.5]));
    expect(read(values, out)).toBe(hostile.length);
    expect(Array.from(out)).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(read({}, out)).toBe(0);
  });

  it('reads values of dictionary-mode and literal-shaped objects alike', () => {
    const names = Array.from({ length: 40 }, (_, j) => `f${j}`);
    const read = compileNamedValueReader(names);
    const keyed: Record<string, number> = {};
    for (const [j, n] of names.entries()) keyed[n] = j; // key by key: V8 turns this into a dictionary
    const literal = JSON.parse(JSON.stringify(keyed)) as Record<string, number>;
    const a = new Float64Array(40);
    const b = new Float64Array(40);
    expect(read(keyed, a)).toBe(40);
    expect(read(literal, b)).toBe(40);
    expect(Array.from(a)).toEqual(names.map((_, j) => j));
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('returns the first positive finite value among the keys, in key order', () => {
    const price = compilePositiveValueReader(['close', 'mid']);
    expect(price({ close: 101, mid: 100 })).toBe(101);
    expect(price({ close: null, mid: 100 })).toBe(100);
    expect(price({ close: 0, mid: 100 })).toBe(100);
    expect(price({ close: -1, mid: Number.POSITIVE_INFINITY })).toBeUndefined();
    expect(price({ mid: Number.NaN })).toBeUndefined();
    expect(price({})).toBeUndefined();
  });
});
