import { trainingCacheOf } from '../../cli/training-cache-of.js';
import { loadConfig } from '../../config/load.js';
import type { TrainingCache } from '../../models/training/training-cache.js';

/**
 * The configured training cache (`models.trainingCacheDir`, `.sextant/training-cache` under the
 * checkout), as `sextant backtest` and the demo use it: tests that need a trained model share the
 * models the same bars and settings trained in other test files instead of training each again.
 * Tests of training itself do not use it.
 */
export const testTrainingCache = async (): Promise<TrainingCache | undefined> => trainingCacheOf(loadConfig());
