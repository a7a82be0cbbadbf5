/**
 * A protobuf wire-format reader for tests: enough to look inside what the ONNX writer produced
 * (fields onnxruntime-node does not expose, such as metadata_props), independently of the writer.
 */
export type WireField = Readonly<{ field: number; wire: number; value: bigint | Uint8Array | number }>;

export function readVarint(buf: Uint8Array, pos: number): [value: bigint, next: number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) throw new Error('truncated varint');
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

export function decodeFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    pos = afterKey;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, next] = readVarint(buf, pos);
      out.push({ field, wire, value: v });
      pos = next;
    } else if (wire === 2) {
      const [len, next] = readVarint(buf, pos);
      out.push({ field, wire, value: buf.subarray(next, next + Number(len)) });
      pos = next + Number(len);
    } else if (wire === 5) {
      out.push({ field, wire, value: view.getFloat32(pos, true) });
      pos += 4;
    } else if (wire === 1) {
      out.push({ field, wire, value: view.getFloat64(pos, true) });
      pos += 8;
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  return out;
}

export const fieldsNumbered = (buf: Uint8Array, field: number): WireField[] => decodeFields(buf).filter((f) => f.field === field);

export function bytesOf(f: WireField | undefined): Uint8Array {
  if (f === undefined || !(f.value instanceof Uint8Array)) throw new Error('expected a length-delimited field');
  return f.value;
}

export const text = (f: WireField | undefined): string => new TextDecoder().decode(bytesOf(f));

export function int(f: WireField | undefined): bigint {
  if (f === undefined || typeof f.value !== 'bigint') throw new Error('expected a varint field');
  return f.value;
}
