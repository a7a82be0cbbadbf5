/** A field of a protobuf message: a varint's value, or a length-delimited field's bytes (fixed32/64 as their bytes). */
export type ProtoField = Readonly<{ field: number; wire: 0 | 1 | 2 | 5; varint: bigint; bytes: Uint8Array }>;

const EMPTY = new Uint8Array(0);

export class ProtobufDecodeError extends Error {
  override readonly name = 'ProtobufDecodeError';
}

/** The varint at `pos` of `buf` and the position after it. */
function readVarint(buf: Uint8Array, pos: number): [value: bigint, next: number] {
  let result = 0n;
  let shift = 0n;
  for (let p = pos; ; ) {
    if (p >= buf.length) throw new ProtobufDecodeError('truncated varint');
    const b = buf[p++] as number;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, p];
    shift += 7n;
    if (shift > 63n) throw new ProtobufDecodeError('varint longer than 10 bytes');
  }
}

/**
 * The fields of one protobuf message in wire order (the subset of the wire format ONNX files use:
 * varint, 64-bit, length-delimited and 32-bit fields; groups are refused). The counterpart of
 * `protobuf-writer.ts`, for reading back models this project wrote.
 */
export function readProtoFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    const [v, next] = readVarint(buf, pos);
    pos = next;
    return v;
  };
  const take = (n: number): Uint8Array => {
    if (n < 0 || pos + n > buf.length) throw new ProtobufDecodeError(`field of ${n} bytes runs past the end of its message`);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field < 1) throw new ProtobufDecodeError(`field number ${field}`);
    switch (wire) {
      case 0:
        out.push({ field, wire, varint: varint(), bytes: EMPTY });
        break;
      case 1:
        out.push({ field, wire, varint: 0n, bytes: take(8) });
        break;
      case 2:
        out.push({ field, wire, varint: 0n, bytes: take(Number(varint())) });
        break;
      case 5:
        out.push({ field, wire, varint: 0n, bytes: take(4) });
        break;
      default:
        throw new ProtobufDecodeError(`unsupported wire type ${wire} (field ${field})`);
    }
  }
  return out;
}

/** A repeated int64 field's values: packed (one length-delimited field) or not (one varint each). */
export function int64Values(fields: readonly ProtoField[], field: number): bigint[] {
  const out: bigint[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wire === 0) out.push(f.varint);
    else if (f.wire === 2) {
      for (let pos = 0; pos < f.bytes.length; ) {
        const [v, next] = readVarint(f.bytes, pos);
        out.push(v);
        pos = next;
      }
    }
  }
  return out.map((v) => BigInt.asIntN(64, v));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
export const protoString = (f: ProtoField): string => utf8.decode(f.bytes);
