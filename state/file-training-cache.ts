import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { z } from 'zod';
import { NewModelVersionSchema } from '../models/registry/new-model-version.js';
import type { CachedTraining, TrainingCache } from '../models/training/training-cache.js';

const MODELS_DIR = fileURLToPath(new URL('../models/', import.meta.url));

/** The libraries a trained model's bytes depend on: their versions are part of the revision. */
const LIBRARIES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'onnxruntime-node'] as const;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

let revision: Promise<string> | undefined;
let writes = 0;

/**
 * sha256 of the model code (every file under `models/`: features, labels, training, export) and
 * the installed versions of the training and inference libraries. Any change to either makes
 * every earlier entry unreachable, so an edited trainer is never answered with an old model.
 */
export function trainingCodeRevision(): Promise<string> {
  revision ??= (async () => {
    const h = createHash('sha256');
    for (const f of (await filesUnder(MODELS_DIR)).sort()) h.update(`${relative(MODELS_DIR, f)}\n`).update(await readFile(f)).update('\n');
    const require = createRequire(import.meta.url);
    for (const lib of LIBRARIES) {
      let version = 'absent';
      try {
        version = (require(`${lib}/package.json`) as { version?: string }).version ?? 'unknown';
      } catch {
        // not installed (the native tfjs packages are optional)
      }
      h.update(`${lib}@${version}\n`);
    }
    return h.digest('hex');
  })();
  return revision;
}

const EntrySchema = z.object({
  format: z.literal(1),
  model: NewModelVersionSchema.omit({ parentVersion: true }),
  report: z.unknown(),
  artifact: z.string().min(1),
  artifactSha256: z.string().length(64),
});

/** Entries kept by default: ~13 KB each for the baseline MLP, so a few MB; the least recently written go first. */
export const TRAINING_CACHE_MAX_ENTRIES = 500;

/** Removes the least recently written entries past `max` (entries of older code revisions age out this way). */
async function prune(where: string, max: number): Promise<void> {
  const entries = (await readdir(where)).filter((f) => /^[0-9a-f]{64}\.json$/.test(f));
  if (entries.length <= max) return;
  const aged = await Promise.all(entries.map(async (f) => ({ f, at: (await stat(join(where, f)).catch(() => undefined))?.mtimeMs ?? 0 })));
  aged.sort((a, b) => a.at - b.at || (a.f < b.f ? -1 : 1));
  for (const { f } of aged.slice(0, aged.length - max)) await rm(join(where, f), { force: true });
}

/**
 * A training cache in a folder: one JSON file per entry (`<key>.json`, the ONNX bytes in base64
 * with their sha256), written to a temporary name and renamed, so concurrent runs that train the
 * same model never leave half a file. An entry that does not read back whole (damaged, or written
 * by another format) is a miss: the model is trained again and the entry replaced. A failed write
 * (a full or read-only disk) costs only the reuse: it is told to `onWriteError`, and the trained
 * model is registered all the same. At most `maxEntries` are kept (default 500): past that, the
 * least recently written are removed after each write.
 */
export async function createFileTrainingCache(dir: string, opts: Readonly<{ onWriteError?: (message: string) => void; maxEntries?: number }> = {}): Promise<TrainingCache> {
  const maxEntries = opts.maxEntries ?? TRAINING_CACHE_MAX_ENTRIES;
  if (!(Number.isInteger(maxEntries) && maxEntries >= 1)) throw new RangeError(`maxEntries must be an integer >= 1, got ${maxEntries}`);
  const where = resolve(dir);
  const rev = await trainingCodeRevision();
  const fileOf = (key: string): string => {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new RangeError(`training cache key must be 64 hex digits, got ${JSON.stringify(key)}`);
    return join(where, `${key}.json`);
  };
  return {
    revision: rev,
    where,
    async get<R>(key: string): Promise<CachedTraining<R> | undefined> {
      let text: string;
      try {
        text = await readFile(fileOf(key), 'utf8');
      } catch {
        // Not there, or a folder it cannot read: a miss (the write after training says why it failed).
        return undefined;
      }
      let parsed: z.infer<typeof EntrySchema>;
      try {
        parsed = EntrySchema.parse(JSON.parse(text));
      } catch {
        return undefined;
      }
      const artifact = new Uint8Array(Buffer.from(parsed.artifact, 'base64'));
      if (createHash('sha256').update(artifact).digest('hex') !== parsed.artifactSha256) return undefined;
      return { model: parsed.model, artifact, report: parsed.report as R };
    },
    async put<R>(key: string, entry: CachedTraining<R>): Promise<void> {
      const file = fileOf(key);
      // A name no other writer uses: processes by pid, threads by id, writes by a counter.
      const tmp = `${file}.${process.pid}-${threadId}-${++writes}.tmp`;
      const body = {
        format: 1,
        model: entry.model,
        report: entry.report,
        artifact: Buffer.from(entry.artifact).toString('base64'),
        artifactSha256: createHash('sha256').update(entry.artifact).digest('hex'),
      };
      try {
        await mkdir(where, { recursive: true });
        await writeFile(tmp, JSON.stringify(body));
        await rename(tmp, file);
        await prune(where, maxEntries);
      } catch (e) {
        await rm(tmp, { force: true }).catch(() => undefined);
        opts.onWriteError?.(`training cache: could not keep the trained model in ${where} (${e instanceof Error ? e.message : String(e)}); it is not reused next time`);
      }
    },
  };
}
