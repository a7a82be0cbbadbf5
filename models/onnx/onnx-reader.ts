import { int64Values, protoString, ProtobufDecodeError, readProtoFields } from './protobuf-reader.js';
import type { ProtoField } from './protobuf-reader.js';

/** A node as read back: its operator, wiring and the int/float attributes (others are skipped). */
export type ReadNode = Readonly<{ opType: string; domain: string; inputs: readonly string[]; outputs: readonly string[]; ints: ReadonlyMap<string, number>; floats: ReadonlyMap<string, number> }>;

/** A float32 initializer as read back. */
export type ReadTensor = Readonly<{ dims: readonly number[]; data: Float32Array }>;

export type ReadGraph = Readonly<{
  nodes: readonly ReadNode[];
  /** float32 initializers by name (initializers of other types are not read). */
  initializers: ReadonlyMap<string, ReadTensor>;
  inputs: readonly string[];
  outputs: readonly string[];
}>;

export class OnnxReadError extends Error {
  override readonly name = 'OnnxReadError';
}

// Field numbers of onnx/onnx.proto, as in onnx-proto.ts.
const MODEL_GRAPH = 7;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, opType: 4, attribute: 5, domain: 7 } as const;
const ATTR = { name: 1, f: 2, i: 3 } as const;
const TENSOR = { dims: 1, dataType: 2, floatData: 4, name: 8, rawData: 9 } as const;
const VALUE_INFO_NAME = 1;
const FLOAT32 = 1n;

const first = (fs: readonly ProtoField[], field: number): ProtoField | undefined => fs.find((f) => f.field === field);
const strings = (fs: readonly ProtoField[], field: number): string[] => fs.filter((f) => f.field === field).map(protoString);

function readNode(bytes: Uint8Array): ReadNode {
  const fs = readProtoFields(bytes);
  const opType = first(fs, NODE.opType);
  if (opType === undefined) throw new OnnxReadError('a node without op_type');
  const domain = first(fs, NODE.domain);
  const ints = new Map<string, number>();
  const floats = new Map<string, number>();
  for (const a of fs.filter((f) => f.field === NODE.attribute)) {
    const afs = readProtoFields(a.bytes);
    const name = first(afs, ATTR.name);
    if (name === undefined) continue;
    const i = first(afs, ATTR.i);
    const f = first(afs, ATTR.f);
    if (i !== undefined && i.wire === 0) ints.set(protoString(name), Number(BigInt.asIntN(64, i.varint)));
    if (f !== undefined && f.wire === 5) floats.set(protoString(name), new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true));
  }
  return { opType: protoString(opType), domain: domain === undefined ? '' : protoString(domain), inputs: strings(fs, NODE.input), outputs: strings(fs, NODE.output), ints, floats };
}

function readFloatTensor(fs: readonly ProtoField[], name: string): ReadTensor {
  const dims = int64Values(fs, TENSOR.dims).map((d) => {
    if (d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) throw new OnnxReadError(`initializer ${name}: dimension ${d}`);
    return Number(d);
  });
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = first(fs, TENSOR.rawData);
  let data: Float32Array;
  if (raw !== undefined) {
    if (raw.bytes.length !== n * 4) throw new OnnxReadError(`initializer ${name}: ${raw.bytes.length} bytes of raw_data for ${n} floats`);
    // Copied: the view into the file's bytes may not be 4-byte aligned; little-endian on every host Node ships for.
    data = new Float32Array(n);
    new Uint8Array(data.buffer).set(raw.bytes);
  } else {
    const values: number[] = [];
    for (const f of fs) {
      if (f.field !== TENSOR.floatData) continue;
      const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
      if (f.wire === 5) values.push(view.getFloat32(0, true));
      else if (f.wire === 2) for (let o = 0; o + 4 <= f.bytes.byteLength; o += 4) values.push(view.getFloat32(o, true));
    }
    if (values.length !== n) throw new OnnxReadError(`initializer ${name}: ${values.length} float_data values for ${n}`);
    data = Float32Array.from(values);
  }
  return { dims, data };
}

/**
 * The main graph of an ONNX model file: its nodes in order, float32 initializers and the names of
 * its inputs and outputs — enough to recover the weights of a model this project exported
 * (`dense-mlp.ts`), e.g. to warm-start its retraining. Not a general ONNX parser: subgraphs,
 * tensor attributes and external data are not read.
 */
export function readOnnxGraph(onnx: Uint8Array): ReadGraph {
  try {
    const graph = first(readProtoFields(onnx), MODEL_GRAPH);
    if (graph === undefined) throw new OnnxReadError('no graph in the model');
    const gfs = readProtoFields(graph.bytes);
    const initializers = new Map<string, ReadTensor>();
    for (const t of gfs.filter((f) => f.field === GRAPH.initializer)) {
      const tfs = readProtoFields(t.bytes);
      const nameField = first(tfs, TENSOR.name);
      if (nameField === undefined) throw new OnnxReadError('an initializer without a name');
      const name = protoString(nameField);
      if (first(tfs, TENSOR.dataType)?.varint === FLOAT32) initializers.set(name, readFloatTensor(tfs, name));
    }
    const names = (field: number): string[] =>
      gfs.filter((f) => f.field === field).map((f) => {
        const n = first(readProtoFields(f.bytes), VALUE_INFO_NAME);
        return n === undefined ? '' : protoString(n);
      });
    return { nodes: gfs.filter((f) => f.field === GRAPH.node).map((f) => readNode(f.bytes)), initializers, inputs: names(GRAPH.input), outputs: names(GRAPH.output) };
  } catch (e) {
    if (e instanceof ProtobufDecodeError) throw new OnnxReadError(`not an ONNX model: ${e.message}`);
    throw e;
  }
}
