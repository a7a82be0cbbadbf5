import { describe, expect, it } from 'vitest';
import { int64Values, ProtobufDecodeError, readProtoFields } from '../../models/onnx/protobuf-reader.js';

describe('readProtoFields / int64Values: the protobuf wire format ONNX files use', () => {
  it('reads repeated int64s packed and unpacked, negatives as two\'s complement', () => {
    const bytes = Uint8Array.from([
      0x08, 0x05, // field 1, varint 5 (unpacked)
      0x0a, 0x04, 0x01, 0x02, 0xac, 0x02, // field 1, packed [1, 2, 300]
      0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // field 1, varint -1
      0x12, 0x02, 0x68, 0x69, // field 2, "hi"
      0x1d, 0x00, 0x00, 0x80, 0x3f, // field 3, fixed32 (1.0f)
    ]);
    const fields = readProtoFields(bytes);
    expect(fields.map((f) => [f.field, f.wire])).toEqual([[1, 0], [1, 2], [1, 0], [2, 2], [3, 5]]);
    expect(int64Values(fields, 1)).toEqual([5n, 1n, 2n, 300n, -1n]);
    expect(new TextDecoder().decode(fields[3]?.bytes)).toBe('hi');
    expect(new DataView(fields[4]?.bytes.buffer as ArrayBuffer, fields[4]?.bytes.byteOffset).getFloat32(0, true)).toBe(1);
  });

  it('refuses truncated input and groups with a decode error', () => {
    expect(() => readProtoFields(Uint8Array.from([0x08, 0x80]))).toThrow(ProtobufDecodeError);
    expect(() => readProtoFields(Uint8Array.from([0x0a, 0x05, 0x01]))).toThrow(/runs past the end/);
    expect(() => readProtoFields(Uint8Array.from([0x0b]))).toThrow(/wire type 3/);
  });
});
