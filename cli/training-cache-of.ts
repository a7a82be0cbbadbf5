import type { Config } from '../config/schema.js';
import type { TrainingCache } from '../models/training/training-cache.js';
import { createFileTrainingCache } from '../state/file-training-cache.js';

/** The configured training cache (`models.trainingCacheDir`), or none when it is set to null. */
export async function trainingCacheOf(cfg: Config, onWriteError?: (message: string) => void): Promise<TrainingCache | undefined> {
  const dir = cfg.models.trainingCacheDir;
  return dir === null ? undefined : createFileTrainingCache(dir, onWriteError === undefined ? {} : { onWriteError });
}
