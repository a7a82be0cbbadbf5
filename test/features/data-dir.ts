import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The shared market-data directory: $SEXTANT_DATA_DIR, else `../shared/data` beside the repo.
 * Never copied into the repository.
 */
export const dataDir = (): string => process.env.SEXTANT_DATA_DIR ?? resolve(repoRoot, '../shared/data');

/**
 * Absolute path of a file under the data directory. Throws when it is missing, so a test that
 * needs the data fails loudly instead of silently skipping.
 */
export const dataFile = (relative: string): string => {
  const path = join(dataDir(), relative);
  if (!existsSync(path)) {
    throw new Error(`test data missing: ${path} (set SEXTANT_DATA_DIR to the shared data directory)`);
  }
  return path;
};
