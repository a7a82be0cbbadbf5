import { OnnxExportError } from './onnx-export-error.js';
import type { AttrSpec, GraphData } from './onnx-types.js';
import type { TensorValue } from './tensor-value.js';

/**
 * What `node()` accepts as an attribute value. Plain values are typed by shape, because ONNX
 * attribute types are strict (a Gemm `alpha` given as INT is refused by onnxruntime):
 *
 * - integer `number` or `bigint` → INT; non-integer `number` → FLOAT
 * - `string` → STRING; `readonly string[]` → STRINGS
 * - `readonly number[]` → INTS (every element must be an integer, else use a Float32Array)
 * - `Float32Array` → FLOATS
 * - a tensor (`floatTensor(…)`) → TENSOR
 *
 * For a float-typed attribute whose value happens to be integral (`alpha: 1`, tree thresholds
 * of `[1, 2]`), say so with `attr.float(1)` / `attr.floats([1, 2])`.
 */
export type AttrValue = number | bigint | string | readonly number[] | readonly string[] | Float32Array | TensorValue | AttrSpec;

export type Attrs = Readonly<Record<string, AttrValue>>;

/** Explicitly typed attribute values, for when inference from the JS value would guess wrong. */
export const attr = {
  float: (value: number): AttrSpec => ({ type: 'float', value }),
  int: (value: number | bigint): AttrSpec => ({ type: 'int', value }),
  string: (value: string): AttrSpec => ({ type: 'string', value }),
  tensor: (value: TensorValue): AttrSpec => ({ type: 'tensor', value }),
  graph: (value: GraphData): AttrSpec => ({ type: 'graph', value }),
  floats: (value: ArrayLike<number>): AttrSpec => ({ type: 'floats', value }),
  ints: (value: ArrayLike<number | bigint>): AttrSpec => ({ type: 'ints', value }),
  strings: (value: readonly string[]): AttrSpec => ({ type: 'strings', value }),
  tensors: (value: readonly TensorValue[]): AttrSpec => ({ type: 'tensors', value }),
  graphs: (value: readonly GraphData[]): AttrSpec => ({ type: 'graphs', value }),
} as const;

const isAttrSpec = (v: object): v is AttrSpec => 'type' in v && 'value' in v;
const isTensorValue = (v: object): v is TensorValue => 'elemType' in v && 'dims' in v && 'data' in v;

/** The explicit ONNX attribute type of `value`; throws OnnxExportError when it cannot be told. */
export function toAttrSpec(name: string, value: AttrValue): AttrSpec {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) return { type: 'float', value };
      return Number.isInteger(value) ? { type: 'int', value } : { type: 'float', value };
    case 'bigint':
      return { type: 'int', value };
    case 'string':
      return { type: 'string', value };
    default:
      break;
  }
  if (value instanceof Float32Array) return { type: 'floats', value };
  if (Array.isArray(value)) {
    const list: readonly unknown[] = value;
    if (list.every((x) => typeof x === 'string')) return { type: 'strings', value: list as readonly string[] };
    if (list.every((x) => typeof x === 'number' && Number.isSafeInteger(x))) return { type: 'ints', value: list as readonly number[] };
    throw new OnnxExportError(`attribute '${name}': a number list with non-integers is ambiguous; pass a Float32Array or attr.floats(…)`);
  }
  if (isAttrSpec(value as object)) return value as AttrSpec;
  if (isTensorValue(value as object)) return { type: 'tensor', value: value as TensorValue };
  throw new OnnxExportError(`attribute '${name}': unsupported value`);
}
