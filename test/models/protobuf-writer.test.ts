import { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createGraphBuilder } from '../../models/onnx/graph-builder.js';
import { createProtoWriter } from '../../models/onnx/protobuf-writer.js';
import { floatTensor } from '../../models/onnx/tensor-value.js';
import { bytesOf, decodeFields, fieldsNumbered, int, text } from './proto-decode.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('protobuf writer', () => {
  it('encodes varints as the protobuf spec does', () => {
    const cases: [number | bigint, string][] = [
      [0, '0800'],
      [1, '0801'],
      [127, '087f'],
      [128, '088001'],
      [300, '08ac02'],
      [2 ** 32, '088080808010'],
      [Number.MAX_SAFE_INTEGER, '08ffffffffffffff0f'],
      [-1, '08ffffffffffffffffff01'],
      [-2n, '08feffffffffffffffff01'],
      [2n ** 63n, '0880808080808080808001'],
    ];
    for (const [value, expected] of cases) {
      const w = createProtoWriter();
      w.varint(1, value);
      expect(hex(w.finish()), String(value)).toBe(expected);
    }
  });

  it('encodes field tags with their wire types, including multi-byte field numbers', () => {
    const w = createProtoWriter();
    w.varint(20, 1); // AttributeProto.type: (20 << 3) | 0 = 160 → a0 01
    w.float(2, 1.5); // (2 << 3) | 5 = 0x15, then 1.5f little-endian
    w.double(10, -2); // (10 << 3) | 1 = 0x51
    expect(hex(w.finish())).toBe('a001' + '01' + '15' + '0000c03f' + '51' + '00000000000000c0');
    expect(() => createProtoWriter().varint(0, 1)).toThrow(RangeError);
    expect(() => createProtoWriter().varint(1, 0.5)).toThrow(RangeError);
  });

  it('encodes strings as UTF-8 with a byte-length prefix', () => {
    const w = createProtoWriter();
    w.string(2, 'hi');
    w.string(3, 'é€'); // 2 + 3 bytes
    w.string(4, '');
    expect(hex(w.finish())).toBe('12026869' + '1a05c3a9e282ac' + '2200');
  });

  it('writes packed floats and varints as one length-delimited run, and grows past its first buffer', () => {
    const w = createProtoWriter(16);
    w.packedFloats(4, [1, -0.5]);
    w.packedVarints(7, [1, 300, -1]);
    const big = new Float32Array(1000).map((_, i) => i / 7);
    w.packedFloats(5, big);
    const fields = decodeFields(w.finish());
    expect(hex(bytesOf(fields[0]))).toBe('0000803f' + '000000bf');
    expect(hex(bytesOf(fields[1]))).toBe('01' + 'ac02' + 'ffffffffffffffffff01');
    const back = new Float32Array(bytesOf(fields[2]).slice().buffer);
    expect(back).toEqual(big);
  });

  it('writes a model onnxruntime decodes: names (UTF-8), element types, symbolic and fixed dims', async () => {
    const g = createGraphBuilder({ name: 'tiny' });
    const x = g.input('features_é', 'float32', ['batch', 3]);
    const w = g.initializer('w', floatTensor([1, 2, 3, 4, 5, 6], [3, 2]));
    const [y] = g.node('MatMul', [x, w], {}, { outputs: ['scores€'] });
    const [z] = g.node('ArgMax', [y as string], { axis: 1, keepdims: 0 }, { outputs: ['label'] });
    g.output(y as string, 'float32', ['batch', 2]);
    g.output(z as string, 'int64', ['batch']);
    const bytes = g.toModel({ opset: 17, metadata: { feature_spec_hash: 'abc123', 'model.version': '7' }, producerVersion: '0.1.0' });

    const s = await InferenceSession.create(bytes);
    expect(s.inputNames).toEqual(['features_é']);
    expect(s.outputNames).toEqual(['scores€', 'label']);
    expect(s.inputMetadata).toEqual([{ name: 'features_é', isTensor: true, type: 'float32', shape: ['batch', 3] }]);
    expect(s.outputMetadata).toEqual([
      { name: 'scores€', isTensor: true, type: 'float32', shape: ['batch', 2] },
      { name: 'label', isTensor: true, type: 'int64', shape: ['batch'] },
    ]);
    await s.release();

    // What onnxruntime-node does not expose, read back from the bytes.
    const model = decodeFields(bytes);
    expect(int(model.find((f) => f.field === 1))).toBe(8n); // ir_version for opset 17
    expect(text(model.find((f) => f.field === 2))).toBe('sextant');
    expect(text(model.find((f) => f.field === 3))).toBe('0.1.0');
    const opset = decodeFields(bytesOf(model.find((f) => f.field === 8)));
    expect(opset.map((f) => [f.field, f.value])).toEqual([[2, 17n]]);
    const meta = fieldsNumbered(bytes, 14).map((f) => decodeFields(bytesOf(f)).map((e) => text(e)));
    expect(meta).toEqual([
      ['feature_spec_hash', 'abc123'],
      ['model.version', '7'],
    ]);
  });
});
