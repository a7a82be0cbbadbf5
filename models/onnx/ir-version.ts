import type { OpsetImport } from './onnx-types.js';

/**
 * The IR version that first shipped with each opset (onnx/docs/Versioning.md), for the default
 * domain and for ai.onnx.ml. A model must declare an IR version new enough for its opsets, and a
 * runtime refuses IR versions newer than it knows, so the exporter writes the oldest one that fits.
 */
const DEFAULT_DOMAIN: readonly (readonly [maxOpset: number, ir: number])[] = [
  [8, 3],
  [9, 4],
  [10, 5],
  [11, 6],
  [14, 7],
  [18, 8],
  [20, 9],
  [22, 10],
  [23, 11],
];
const ML_DOMAIN: readonly (readonly [maxOpset: number, ir: number])[] = [
  [1, 3],
  [2, 7],
  [3, 8],
  [4, 9],
  [5, 10],
];

function lookup(table: readonly (readonly [number, number])[], opset: number): number {
  if (!Number.isInteger(opset) || opset < 1) throw new RangeError(`opset versions are positive integers, got ${opset}`);
  for (const [maxOpset, ir] of table) if (opset <= maxOpset) return ir;
  return 12;
}

/** The lowest IR version that supports every opset in `imports` (unknown custom domains add nothing). */
export function irVersionFor(imports: readonly OpsetImport[]): number {
  let ir = 3;
  for (const { domain, version } of imports) {
    if (domain === '' || domain === 'ai.onnx') ir = Math.max(ir, lookup(DEFAULT_DOMAIN, version));
    else if (domain === 'ai.onnx.ml') ir = Math.max(ir, lookup(ML_DOMAIN, version));
  }
  return ir;
}
