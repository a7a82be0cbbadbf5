import type { ElemType, TensorValue } from './tensor-value.js';

/**
 * Plain-data mirrors of the onnx.proto messages the exporter writes. The graph builder produces
 * them; `onnx-proto.ts` encodes them. Kept as data (not builders) so a graph can be inspected in
 * tests and nested as a subgraph attribute (Loop, If, Scan bodies).
 */

/** A dimension: a fixed size, a symbolic name (`'batch'`), or unknown (`null`). */
export type Dim = number | string | null;

export type ValueInfo = Readonly<{
  name: string;
  elemType: ElemType;
  /** Omitted: unknown rank. */
  shape?: readonly Dim[] | undefined;
  docString?: string | undefined;
}>;

/** An attribute value with its ONNX attribute type made explicit. */
export type AttrSpec =
  | Readonly<{ type: 'float'; value: number }>
  | Readonly<{ type: 'int'; value: number | bigint }>
  | Readonly<{ type: 'string'; value: string }>
  | Readonly<{ type: 'tensor'; value: TensorValue }>
  | Readonly<{ type: 'graph'; value: GraphData }>
  | Readonly<{ type: 'floats'; value: ArrayLike<number> }>
  | Readonly<{ type: 'ints'; value: ArrayLike<number | bigint> }>
  | Readonly<{ type: 'strings'; value: readonly string[] }>
  | Readonly<{ type: 'tensors'; value: readonly TensorValue[] }>
  | Readonly<{ type: 'graphs'; value: readonly GraphData[] }>;

export type AttributeData = Readonly<{ name: string; spec: AttrSpec }>;

export type NodeData = Readonly<{
  opType: string;
  /** `''` marks an omitted optional input (ONNX convention, e.g. LSTM's sequence_lens). */
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string | undefined;
  /** `''` (or absent) is the default ai.onnx domain; `'ai.onnx.ml'` for TreeEnsemble and friends. */
  domain?: string | undefined;
  attributes: readonly AttributeData[];
  docString?: string | undefined;
}>;

export type NamedTensor = Readonly<{ name: string; tensor: TensorValue }>;

export type GraphData = Readonly<{
  name: string;
  nodes: readonly NodeData[];
  initializers: readonly NamedTensor[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  valueInfo?: readonly ValueInfo[] | undefined;
  docString?: string | undefined;
}>;

export type OpsetImport = Readonly<{ domain: string; version: number }>;

export type ModelData = Readonly<{
  irVersion: number;
  opsetImports: readonly OpsetImport[];
  producerName?: string | undefined;
  producerVersion?: string | undefined;
  domain?: string | undefined;
  modelVersion?: number | undefined;
  docString?: string | undefined;
  graph: GraphData;
  /** ModelProto.metadata_props: feature-spec hash, training range, … readable from onnxruntime. */
  metadata?: Readonly<Record<string, string>> | undefined;
}>;
