/**
 * The protobuf wire format, write side only: just what ONNX's ModelProto needs. Hand-written so
 * exporting a model needs no schema compiler and no dependency. Everything appends into one
 * growing buffer per message.
 *
 * Wire types (protobuf encoding spec): 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit.
 */
export const WireType = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

export type ProtoWriter = {
  /**
   * An integer as a varint (int32, int64, enum and bool fields). Negative values take ten bytes
   * (64-bit two's complement), as protobuf's int64 and int32 both do.
   */
  varint(field: number, value: number | bigint): void;
  float(field: number, value: number): void;
  double(field: number, value: number): void;
  string(field: number, value: string): void;
  bytes(field: number, value: Uint8Array): void;
  /** An embedded message, already encoded. */
  message(field: number, encoded: Uint8Array): void;
  /** Repeated float, packed: one length-delimited run of little-endian fixed32. */
  packedFloats(field: number, values: ArrayLike<number>): void;
  /** Repeated double, packed. */
  packedDoubles(field: number, values: ArrayLike<number>): void;
  /** Repeated int32/int64, packed. */
  packedVarints(field: number, values: ArrayLike<number | bigint>): void;
  finish(): Uint8Array;
};

type ByteSink = {
  varint(value: number | bigint): void;
  float32(value: number): void;
  float64(value: number): void;
  raw(bytes: Uint8Array): void;
  length(): number;
  finish(): Uint8Array;
};

const utf8 = new TextEncoder();
const TWO_POW_32 = 2 ** 32;

function createByteSink(initialCapacity: number): ByteSink {
  let buf = new Uint8Array(Math.max(16, initialCapacity));
  let view = new DataView(buf.buffer);
  let pos = 0;

  const ensure = (extra: number): void => {
    if (pos + extra <= buf.length) return;
    let cap = buf.length * 2;
    while (cap < pos + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(buf.subarray(0, pos));
    buf = next;
    view = new DataView(buf.buffer);
  };

  const varint = (value: number | bigint): void => {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`a varint needs a safe integer, got ${value}`);
      if (value >= 0 && value < TWO_POW_32) {
        // Fast path for sizes, field tags, dims and enum values: plain arithmetic, no BigInt.
        ensure(5);
        let v = value;
        while (v > 0x7f) {
          buf[pos++] = (v & 0x7f) | 0x80;
          v = Math.floor(v / 128);
        }
        buf[pos++] = v;
        return;
      }
    }
    let v = BigInt.asUintN(64, BigInt(value));
    ensure(10);
    while (v > 0x7fn) {
      buf[pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[pos++] = Number(v);
  };

  return {
    varint,
    float32(value) {
      ensure(4);
      view.setFloat32(pos, value, true);
      pos += 4;
    },
    float64(value) {
      ensure(8);
      view.setFloat64(pos, value, true);
      pos += 8;
    },
    raw(bytes) {
      ensure(bytes.length);
      buf.set(bytes, pos);
      pos += bytes.length;
    },
    length: () => pos,
    finish: () => buf.slice(0, pos),
  };
}

/**
 * A protobuf message writer. Fields are written in call order; ONNX readers, like every
 * protobuf parser, accept any field order.
 *
 * @example
 * const w = createProtoWriter();
 * w.varint(1, 300); // 08 ac 02
 * w.string(2, 'hi'); // 12 02 68 69
 * const bytes = w.finish();
 */
export function createProtoWriter(initialCapacity = 256): ProtoWriter {
  const sink = createByteSink(initialCapacity);

  const tag = (field: number, wire: WireType): void => {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new RangeError(`bad protobuf field number ${field}`);
    sink.varint(field * 8 + wire);
  };
  const delimited = (field: number, body: Uint8Array): void => {
    tag(field, WireType.lengthDelimited);
    sink.varint(body.length);
    sink.raw(body);
  };

  return {
    varint(field, value) {
      tag(field, WireType.varint);
      sink.varint(value);
    },
    float(field, value) {
      tag(field, WireType.fixed32);
      sink.float32(value);
    },
    double(field, value) {
      tag(field, WireType.fixed64);
      sink.float64(value);
    },
    string: (field, value) => delimited(field, utf8.encode(value)),
    bytes: delimited,
    message: delimited,
    packedFloats(field, values) {
      tag(field, WireType.lengthDelimited);
      sink.varint(values.length * 4);
      for (let i = 0; i < values.length; i++) sink.float32(values[i] as number);
    },
    packedDoubles(field, values) {
      tag(field, WireType.lengthDelimited);
      sink.varint(values.length * 8);
      for (let i = 0; i < values.length; i++) sink.float64(values[i] as number);
    },
    packedVarints(field, values) {
      // The body's length prefix comes first, so the varints go to a scratch sink.
      const body = createByteSink(values.length * 2);
      for (let i = 0; i < values.length; i++) body.varint(values[i] as number | bigint);
      delimited(field, body.finish());
    },
    finish: sink.finish,
  };
}
