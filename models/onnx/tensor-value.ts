/**
 * Tensor element types by their onnxruntime-js names, mapped to ONNX `TensorProto.DataType`
 * codes (onnx.proto). Names match `ort.Tensor` types so one vocabulary serves export and
 * inference.
 */
export const ElemType = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
} as const;
export type ElemType = keyof typeof ElemType;

/** The typed array each element type is stored in (float16 as its raw uint16 bits, bool as 0/1 bytes). */
export type ElemData = {
  float32: Float32Array;
  uint8: Uint8Array;
  int8: Int8Array;
  uint16: Uint16Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  string: readonly string[];
  bool: Uint8Array;
  float16: Uint16Array;
  float64: Float64Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
};

/** A constant tensor: an initializer, or the value of a `tensor` attribute. Row-major. */
export type TensorValue<T extends ElemType = ElemType> = {
  [K in T]: Readonly<{ elemType: K; dims: readonly number[]; data: ElemData[K] }>;
}[T];

/** A float32 tensor; `dims` defaults to a vector of `data.length`. */
export function floatTensor(data: Float32Array | readonly number[], dims?: readonly number[]): TensorValue<'float32'> {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data);
  return checked({ elemType: 'float32', dims: dims ?? [arr.length], data: arr });
}

/** An int64 tensor (shapes, axes, indices); numbers must be safe integers. */
export function int64Tensor(data: BigInt64Array | readonly number[], dims?: readonly number[]): TensorValue<'int64'> {
  const arr = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (x) => toBigInt(x));
  return checked({ elemType: 'int64', dims: dims ?? [arr.length], data: arr });
}

/** An int32 tensor. */
export function int32Tensor(data: Int32Array | readonly number[], dims?: readonly number[]): TensorValue<'int32'> {
  const arr = data instanceof Int32Array ? data : Int32Array.from(data);
  return checked({ elemType: 'int32', dims: dims ?? [arr.length], data: arr });
}

/** Throws a RangeError unless `dims` describe exactly `data.length` elements. */
export function checked<T extends TensorValue>(t: T): T {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`tensor dims must be non-negative integers, got [${t.dims.join(', ')}]`);
    n *= d;
  }
  if (n !== t.data.length) throw new RangeError(`tensor dims [${t.dims.join(', ')}] hold ${n} elements, data has ${t.data.length}`);
  return t;
}

function toBigInt(x: number): bigint {
  if (!Number.isSafeInteger(x)) throw new RangeError(`int64 values must be safe integers, got ${x}`);
  return BigInt(x);
}
