import { createProtoWriter } from './protobuf-writer.js';
import { ElemType } from './tensor-value.js';
import type { TensorValue } from './tensor-value.js';
import type { AttributeData, GraphData, ModelData, NodeData, ValueInfo } from './onnx-types.js';

/**
 * Encoders from the plain data in `onnx-types.ts` to ONNX protobuf bytes. Field numbers are
 * those of onnx/onnx.proto (proto2); repeated scalars are written the way the reference
 * serializer writes them: `dims`, `floats` and `ints` unpacked, tensor payloads as `raw_data`.
 */

const ModelField = { irVersion: 1, producerName: 2, producerVersion: 3, domain: 4, modelVersion: 5, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 } as const;
const OpsetField = { domain: 1, version: 2 } as const;
const EntryField = { key: 1, value: 2 } as const;
const GraphField = { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12, valueInfo: 13 } as const;
const NodeField = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, docString: 6, domain: 7 } as const;
const AttrField = { name: 1, f: 2, i: 3, s: 4, t: 5, g: 6, floats: 7, ints: 8, strings: 9, tensors: 10, graphs: 11, type: 20 } as const;
const TensorField = { dims: 1, dataType: 2, stringData: 6, name: 8, rawData: 9 } as const;
const ValueInfoField = { name: 1, type: 2, docString: 3 } as const;
const TypeField = { tensorType: 1 } as const;
const TensorTypeField = { elemType: 1, shape: 2 } as const;
const ShapeField = { dim: 1 } as const;
const DimField = { value: 1, param: 2 } as const;

/** AttributeProto.AttributeType codes. */
const AttrType = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8, tensors: 9, graphs: 10 } as const;

const utf8 = new TextEncoder();
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encodeTensor(t: TensorValue, name?: string): Uint8Array {
  const w = createProtoWriter(64 + t.data.length * 8);
  for (const d of t.dims) w.varint(TensorField.dims, d);
  w.varint(TensorField.dataType, ElemType[t.elemType]);
  if (name !== undefined) w.string(TensorField.name, name);
  if (t.elemType === 'string') {
    for (const s of t.data) w.bytes(TensorField.stringData, utf8.encode(s));
  } else {
    // raw_data must be little-endian; every platform Node ships prebuilt binaries for is.
    if (!littleEndian) throw new Error('ONNX export needs a little-endian host');
    const d = t.data;
    w.bytes(TensorField.rawData, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return w.finish();
}

export function encodeValueInfo(v: ValueInfo): Uint8Array {
  const tensorType = createProtoWriter();
  tensorType.varint(TensorTypeField.elemType, ElemType[v.elemType]);
  if (v.shape !== undefined) {
    const shape = createProtoWriter();
    for (const d of v.shape) {
      const dim = createProtoWriter(16);
      if (typeof d === 'number') dim.varint(DimField.value, d);
      else if (typeof d === 'string') dim.string(DimField.param, d);
      shape.message(ShapeField.dim, dim.finish());
    }
    tensorType.message(TensorTypeField.shape, shape.finish());
  }
  const type = createProtoWriter();
  type.message(TypeField.tensorType, tensorType.finish());

  const w = createProtoWriter();
  w.string(ValueInfoField.name, v.name);
  w.message(ValueInfoField.type, type.finish());
  if (v.docString !== undefined) w.string(ValueInfoField.docString, v.docString);
  return w.finish();
}

export function encodeAttribute(a: AttributeData): Uint8Array {
  const w = createProtoWriter();
  w.string(AttrField.name, a.name);
  w.varint(AttrField.type, AttrType[a.spec.type]);
  const s = a.spec;
  switch (s.type) {
    case 'float':
      w.float(AttrField.f, s.value);
      break;
    case 'int':
      w.varint(AttrField.i, s.value);
      break;
    case 'string':
      w.bytes(AttrField.s, utf8.encode(s.value));
      break;
    case 'tensor':
      w.message(AttrField.t, encodeTensor(s.value));
      break;
    case 'graph':
      w.message(AttrField.g, encodeGraph(s.value));
      break;
    case 'floats':
      for (let i = 0; i < s.value.length; i++) w.float(AttrField.floats, s.value[i] as number);
      break;
    case 'ints':
      for (let i = 0; i < s.value.length; i++) w.varint(AttrField.ints, s.value[i] as number | bigint);
      break;
    case 'strings':
      for (const x of s.value) w.bytes(AttrField.strings, utf8.encode(x));
      break;
    case 'tensors':
      for (const t of s.value) w.message(AttrField.tensors, encodeTensor(t));
      break;
    case 'graphs':
      for (const g of s.value) w.message(AttrField.graphs, encodeGraph(g));
      break;
  }
  return w.finish();
}

export function encodeNode(n: NodeData): Uint8Array {
  const w = createProtoWriter();
  for (const i of n.inputs) w.string(NodeField.input, i);
  for (const o of n.outputs) w.string(NodeField.output, o);
  if (n.name !== undefined) w.string(NodeField.name, n.name);
  w.string(NodeField.opType, n.opType);
  for (const a of n.attributes) w.message(NodeField.attribute, encodeAttribute(a));
  if (n.docString !== undefined) w.string(NodeField.docString, n.docString);
  if (n.domain !== undefined && n.domain !== '') w.string(NodeField.domain, n.domain);
  return w.finish();
}

export function encodeGraph(g: GraphData): Uint8Array {
  const w = createProtoWriter(1024);
  for (const n of g.nodes) w.message(GraphField.node, encodeNode(n));
  w.string(GraphField.name, g.name);
  for (const i of g.initializers) w.message(GraphField.initializer, encodeTensor(i.tensor, i.name));
  if (g.docString !== undefined) w.string(GraphField.docString, g.docString);
  for (const v of g.inputs) w.message(GraphField.input, encodeValueInfo(v));
  for (const v of g.outputs) w.message(GraphField.output, encodeValueInfo(v));
  for (const v of g.valueInfo ?? []) w.message(GraphField.valueInfo, encodeValueInfo(v));
  return w.finish();
}

/** A complete `.onnx` file. */
export function encodeModel(m: ModelData): Uint8Array {
  const graph = encodeGraph(m.graph);
  const w = createProtoWriter(graph.length + 256);
  w.varint(ModelField.irVersion, m.irVersion);
  if (m.producerName !== undefined) w.string(ModelField.producerName, m.producerName);
  if (m.producerVersion !== undefined) w.string(ModelField.producerVersion, m.producerVersion);
  if (m.domain !== undefined) w.string(ModelField.domain, m.domain);
  if (m.modelVersion !== undefined) w.varint(ModelField.modelVersion, m.modelVersion);
  if (m.docString !== undefined) w.string(ModelField.docString, m.docString);
  w.message(ModelField.graph, graph);
  for (const o of m.opsetImports) {
    const op = createProtoWriter(32);
    if (o.domain !== '') op.string(OpsetField.domain, o.domain);
    op.varint(OpsetField.version, o.version);
    w.message(ModelField.opsetImport, op.finish());
  }
  for (const [key, value] of Object.entries(m.metadata ?? {})) {
    const e = createProtoWriter(key.length + value.length + 8);
    e.string(EntryField.key, key);
    e.string(EntryField.value, value);
    w.message(ModelField.metadataProps, e.finish());
  }
  return w.finish();
}
