import { describe, expect, it } from 'vitest';
import { StoreError } from '../../state/errors.js';
import { stringifyExact } from '../../state/exact-json.js';

describe('stringifyExact (snapshot JSON that keeps -0)', () => {
  it('writes exactly what JSON.stringify writes when there is no -0', () => {
    const v = { a: 1, b: [0, 0.1, -1.5e-300, null, 'x'], c: { d: true, e: [[2, 3], { f: 'y' }] }, g: undefined, h: Number.NaN };
    expect(stringifyExact(v)).toBe(JSON.stringify(v));
  });

  it('keeps -0 anywhere: top level, nested arrays, objects and typed arrays', () => {
    const v = { x: -0, deep: { list: [1, [2, -0]], t: Float64Array.from([0, -0]) } };
    const back = JSON.parse(stringifyExact(v)) as { x: number; deep: { list: [number, [number, number]]; t: Record<string, number> } };
    expect(Object.is(back.x, -0)).toBe(true);
    expect(Object.is(back.deep.list[1][1], -0)).toBe(true);
    expect(Object.is(back.deep.t['1'], -0)).toBe(true);
    expect(Object.is(back.deep.t['0'], 0)).toBe(true);
    expect(Object.is(JSON.parse(stringifyExact(-0)), -0)).toBe(true);
  });

  it('refuses a value holding both -0 and a NUL character rather than guess', () => {
    expect(() => stringifyExact({ a: -0, b: '\u0000-0' })).toThrow(StoreError);
  });
});
