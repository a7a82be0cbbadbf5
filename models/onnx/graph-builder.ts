import { toAttrSpec } from './attribute.js';
import type { Attrs } from './attribute.js';
import { irVersionFor } from './ir-version.js';
import { encodeModel } from './onnx-proto.js';
import { OnnxExportError } from './onnx-export-error.js';
import type { Dim, GraphData, ModelData, NamedTensor, NodeData, OpsetImport, ValueInfo } from './onnx-types.js';
import { checked } from './tensor-value.js';
import type { ElemType, TensorValue } from './tensor-value.js';

export type NodeOptions = Readonly<{
  /** How many outputs to name automatically, or their names. Default: one automatic name. */
  outputs?: number | readonly string[];
  /** Operator domain; `'ai.onnx.ml'` for TreeEnsembleClassifier and the other classic-ML ops. */
  domain?: string;
  name?: string;
  docString?: string;
}>;

export type ModelOptions = Readonly<{
  /** Default-domain (ai.onnx) opset, e.g. 17. */
  opset: number;
  /** Opsets of further domains, e.g. `{ 'ai.onnx.ml': 3 }`; every domain a node uses must be here. */
  domains?: Readonly<Record<string, number>>;
  /** Defaults to the oldest IR version that carries the declared opsets. */
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  modelVersion?: number;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
}>;

export type GraphBuilder = {
  /** Declares a graph input and returns its name. */
  input(name: string, elemType: ElemType, shape?: readonly Dim[]): string;
  /** Adds a constant tensor (weights, biases, shapes) and returns its name. */
  initializer(name: string, tensor: TensorValue): string;
  /**
   * Appends a node; returns its output names in order. Every non-empty input must already be
   * defined (an input, an initializer, an earlier node's output or a declared outer-scope name),
   * which keeps nodes in the topological order ONNX requires.
   *
   * @example
   * const [h] = g.node('Gemm', [x, w, b], { transB: 0 });
   * const [y, yH, yC] = g.node('LSTM', [x, w, r, b], { hidden_size: 32 }, { outputs: 3 });
   */
  node(opType: string, inputs: readonly string[], attrs?: Attrs, options?: NodeOptions): string[];
  /** Declares an already-defined value as a graph output. */
  output(name: string, elemType: ElemType, shape?: readonly Dim[]): void;
  /** Records the type of an intermediate value (optional; helps readers and shape inference). */
  valueInfo(name: string, elemType: ElemType, shape?: readonly Dim[]): void;
  /** A name not yet used in this graph, `prefix` or `prefix_<n>`. */
  freshName(prefix: string): string;
  /** The graph as data: for a model, or as the body of a Loop/If/Scan attribute. */
  toGraph(): GraphData;
  toModelData(options: ModelOptions): ModelData;
  /** The encoded `.onnx` bytes. */
  toModel(options: ModelOptions): Uint8Array;
};

/**
 * Builds an ONNX graph one node at a time, checking names as it goes so that mistakes surface
 * at export with a clear message rather than as an onnxruntime load error.
 *
 * @example
 * const g = createGraphBuilder({ name: 'affine' });
 * const x = g.input('x', 'float32', ['batch', 3]);
 * const w = g.initializer('w', floatTensor(weights, [3, 2]));
 * const [y] = g.node('MatMul', [x, w], {}, { outputs: ['y'] });
 * g.output(y, 'float32', ['batch', 2]);
 * const bytes = g.toModel({ opset: 17 });
 */
export function createGraphBuilder(options: Readonly<{ name?: string; outerScope?: readonly string[]; docString?: string }> = {}): GraphBuilder {
  const graphName = options.name ?? 'graph';
  const defined = new Set<string>();
  const outerScope = new Set(options.outerScope ?? []);
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];
  const valueInfo: ValueInfo[] = [];
  const initializers: NamedTensor[] = [];
  const nodes: NodeData[] = [];
  const usedDomains = new Set<string>();
  const nodeNames = new Set<string>();

  const define = (name: string, what: string): string => {
    if (name === '') throw new OnnxExportError(`${what}: names must be non-empty`);
    if (defined.has(name) || outerScope.has(name)) throw new OnnxExportError(`${what}: '${name}' is already defined in graph '${graphName}'`);
    defined.add(name);
    return name;
  };
  const fresh = (prefix: string, taken: ReadonlySet<string>): string => {
    if (!taken.has(prefix) && !outerScope.has(prefix)) return prefix;
    for (let i = 1; ; i++) {
      const candidate = `${prefix}_${i}`;
      if (!taken.has(candidate) && !outerScope.has(candidate)) return candidate;
    }
  };
  const toValueInfo = (name: string, elemType: ElemType, shape: readonly Dim[] | undefined): ValueInfo => {
    for (const d of shape ?? []) {
      if (typeof d === 'number' && (!Number.isSafeInteger(d) || d < 0)) throw new OnnxExportError(`'${name}': dims must be non-negative integers, got ${d}`);
    }
    return { name, elemType, shape: shape === undefined ? undefined : [...shape] };
  };

  const toGraph = (): GraphData => ({
    name: graphName,
    nodes: [...nodes],
    initializers: [...initializers],
    inputs: [...inputs],
    outputs: [...outputs],
    valueInfo: [...valueInfo],
    docString: options.docString,
  });

  const toModelData = (m: ModelOptions): ModelData => {
    if (outputs.length === 0) throw new OnnxExportError(`graph '${graphName}' has no outputs`);
    const opsetImports: OpsetImport[] = [{ domain: '', version: m.opset }];
    for (const [domain, version] of Object.entries(m.domains ?? {})) {
      if (domain === '' || domain === 'ai.onnx') throw new OnnxExportError(`set the default-domain opset with 'opset', not 'domains'`);
      opsetImports.push({ domain, version });
    }
    for (const d of usedDomains) {
      if (!opsetImports.some((o) => o.domain === d)) throw new OnnxExportError(`nodes use domain '${d}' but no opset is imported for it; add domains: { '${d}': <version> }`);
    }
    return {
      irVersion: m.irVersion ?? irVersionFor(opsetImports),
      opsetImports,
      producerName: m.producerName ?? 'sextant',
      producerVersion: m.producerVersion,
      modelVersion: m.modelVersion,
      docString: m.docString,
      graph: toGraph(),
      metadata: m.metadata,
    };
  };

  return {
    input(name, elemType, shape) {
      define(name, 'input');
      inputs.push(toValueInfo(name, elemType, shape));
      return name;
    },
    initializer(name, tensor) {
      try {
        checked(tensor);
      } catch (e) {
        throw new OnnxExportError(`initializer '${name}': ${(e as Error).message}`, { cause: e });
      }
      define(name, 'initializer');
      initializers.push({ name, tensor });
      return name;
    },
    node(opType, nodeInputs, attrs = {}, opts = {}) {
      // Everything that can fail is checked before the graph changes.
      const attributes = Object.entries(attrs).map(([k, v]) => ({ name: k, spec: toAttrSpec(k, v) }));
      for (const i of nodeInputs) {
        if (i !== '' && !defined.has(i) && !outerScope.has(i)) throw new OnnxExportError(`${opType}: input '${i}' is not defined (yet) in graph '${graphName}'`);
      }
      const requested = opts.outputs ?? 1;
      if (typeof requested === 'number' && (!Number.isInteger(requested) || requested < 1)) throw new OnnxExportError(`${opType}: outputs must be a positive count, got ${requested}`);
      if (typeof requested !== 'number') {
        for (const n of requested) {
          if (n === '' || defined.has(n) || outerScope.has(n) || requested.indexOf(n) !== requested.lastIndexOf(n)) {
            throw new OnnxExportError(`${opType}: output name '${n}' is empty or already defined in graph '${graphName}'`);
          }
        }
      }
      if (opts.name !== undefined && nodeNames.has(opts.name)) throw new OnnxExportError(`node name '${opts.name}' is already used`);
      const out: string[] = [];
      if (typeof requested === 'number') {
        for (let k = 0; k < requested; k++) out.push(define(fresh(`${opType.toLowerCase()}_out`, defined), `${opType} output`));
      } else {
        for (const n of requested) out.push(define(n, `${opType} output`));
      }
      const name = opts.name ?? fresh(opType, nodeNames);
      nodeNames.add(name);
      const domain = opts.domain ?? '';
      if (domain !== '' && domain !== 'ai.onnx') usedDomains.add(domain);
      nodes.push({
        opType,
        inputs: [...nodeInputs],
        outputs: out,
        name,
        domain,
        attributes,
        docString: opts.docString,
      });
      return out;
    },
    output(name, elemType, shape) {
      if (!defined.has(name)) throw new OnnxExportError(`output '${name}' is not defined in graph '${graphName}'`);
      if (outputs.some((o) => o.name === name)) throw new OnnxExportError(`output '${name}' is declared twice`);
      outputs.push(toValueInfo(name, elemType, shape));
    },
    valueInfo(name, elemType, shape) {
      if (!defined.has(name)) throw new OnnxExportError(`value_info '${name}' is not defined in graph '${graphName}'`);
      valueInfo.push(toValueInfo(name, elemType, shape));
    },
    freshName: (prefix) => fresh(prefix, defined),
    toGraph,
    toModelData,
    toModel: (m) => encodeModel(toModelData(m)),
  };
}
