import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LayersModel, io } from '@tensorflow/tfjs';
import { ModelRuntimeError, ModelRuntimeErrorCode } from './model-runtime-error.js';

/**
 * A tfjs LayersModel as plain data: topology JSON, weight specs and one weight buffer. This is
 * what crosses into an inference worker (structured-clonable) and what the two on-disk forms
 * hold:
 *
 * - a directory with `model.json` + `weights.bin`, the layout tfjs-node's `model.save('file://…')`
 *   writes and tfjs-converter emits, so models from other tools load unchanged;
 * - a single packed file (`.tfjs`), for a registry that stores one artifact per version:
 *   magic `SXTFJS1\n`, u32 LE JSON length, the JSON, then the weight bytes.
 */
export type TfjsArtifacts = Readonly<{
  modelTopology: object;
  weightSpecs: readonly io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
  format?: string | undefined;
  generatedBy?: string | undefined;
  convertedBy?: string | null | undefined;
}>;

const MAGIC = new TextEncoder().encode('SXTFJS1\n');
const WEIGHTS_FILE = 'weights.bin';

const bad = (what: string, cause?: unknown): ModelRuntimeError =>
  new ModelRuntimeError(ModelRuntimeErrorCode.loadFailed, `cannot read tfjs model: ${what}`, cause === undefined ? undefined : { cause });

/** Captures a live model's artifacts (tfjs serialises through a save handler). */
export async function artifactsFromModel(model: LayersModel): Promise<TfjsArtifacts> {
  let captured: io.ModelArtifacts | undefined;
  const { io: tfio } = await import('@tensorflow/tfjs');
  await model.save(
    tfio.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (captured === undefined) throw bad('the model produced no artifacts');
  return normalise(captured);
}

/** Makes tfjs's loose `ModelArtifacts` (optional fields, split weight buffers) into `TfjsArtifacts`. */
export function normalise(a: io.ModelArtifacts): TfjsArtifacts {
  if (a.modelTopology === undefined || a.modelTopology instanceof ArrayBuffer) throw bad('a LayersModel topology (JSON) is required; graph models are not supported');
  return {
    modelTopology: a.modelTopology,
    weightSpecs: a.weightSpecs ?? [],
    weightData: concat(a.weightData === undefined ? [] : Array.isArray(a.weightData) ? a.weightData : [a.weightData]),
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy,
  };
}

/** The single-file form. */
export function packArtifacts(a: TfjsArtifacts): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ modelTopology: a.modelTopology, weightSpecs: a.weightSpecs, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy }));
  const out = new Uint8Array(MAGIC.length + 4 + json.length + a.weightData.byteLength);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true);
  out.set(json, MAGIC.length + 4);
  out.set(new Uint8Array(a.weightData), MAGIC.length + 4 + json.length);
  return out;
}

export function unpackArtifacts(bytes: Uint8Array): TfjsArtifacts {
  if (bytes.length < MAGIC.length + 4 || !MAGIC.every((b, i) => bytes[i] === b)) throw bad('not a packed tfjs model (bad magic)');
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  const start = MAGIC.length + 4;
  if (start + jsonLength > bytes.length) throw bad('truncated packed tfjs model');
  let meta: io.ModelArtifacts;
  try {
    meta = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + jsonLength))) as io.ModelArtifacts;
  } catch (e) {
    throw bad('corrupt JSON header', e);
  }
  // Copied into a buffer of its own: `bytes` may be a Node Buffer, whose slice() shares memory
  // (and whose .buffer can be a shared pool), while tfjs reads weightData from offset 0.
  const weights = new Uint8Array(bytes.length - start - jsonLength);
  weights.set(bytes.subarray(start + jsonLength));
  return normalise({ ...meta, weightData: weights.buffer });
}

/** Reads a `model.json` (with the weight files its manifest names) or a packed `.tfjs` file. */
export async function readArtifacts(path: string): Promise<TfjsArtifacts> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw bad(`${path}: ${(e as Error).message}`, e);
  }
  if (!path.endsWith('.json')) return unpackArtifacts(bytes);
  let modelJson: io.ModelJSON;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(bytes)) as io.ModelJSON;
  } catch (e) {
    throw bad(`${path}: not JSON`, e);
  }
  const dir = dirname(path);
  const buffers: ArrayBuffer[] = [];
  const specs: io.WeightsManifestEntry[] = [];
  for (const group of modelJson.weightsManifest ?? []) {
    for (const p of group.paths) {
      try {
        const b = await readFile(join(dir, p));
        buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
      } catch (e) {
        throw bad(`${join(dir, p)}: ${(e as Error).message}`, e);
      }
    }
    specs.push(...group.weights);
  }
  return normalise({ ...modelJson, weightSpecs: specs, weightData: buffers });
}

/** Writes `dir/model.json` + `dir/weights.bin` (tfjs's own file layout). Returns the model.json path. */
export async function writeArtifacts(a: TfjsArtifacts, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const modelJson: io.ModelJSON = {
    modelTopology: a.modelTopology,
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: [...a.weightSpecs] }],
  };
  await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(a.weightData));
  const path = join(dir, 'model.json');
  await writeFile(path, JSON.stringify(modelJson));
  return path;
}

/** tfjs's `io.fromMemory` input. */
export const toModelArtifacts = (a: TfjsArtifacts): io.ModelArtifacts => ({ ...a, weightSpecs: [...a.weightSpecs], convertedBy: a.convertedBy ?? null });

function concat(parts: readonly ArrayBuffer[]): ArrayBuffer {
  if (parts.length === 1) return parts[0] as ArrayBuffer;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out.buffer;
}
