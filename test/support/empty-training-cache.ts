import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A training cache of its own under `dir` (empty) and a config file that names it
 * (`models.trainingCacheDir`), for a run that must refuse "before training": that is checked by what
 * was trained — a trained model always lands in the training cache — not by how long the refusal
 * took (1.5–5 s bounds on wall time failed on a loaded host). `trained()`: the cache's entries.
 */
export function emptyTrainingCache(dir: string, name: string): Readonly<{ configFile: string; trained: () => string[] }> {
  const cache = join(dir, `cache-${name}`);
  const configFile = join(dir, `config-${name}.yaml`);
  writeFileSync(configFile, `models:\n  trainingCacheDir: ${cache}\n`);
  return { configFile, trained: () => (existsSync(cache) ? readdirSync(cache) : []) };
}
