import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The shared market-data folder; tests FAIL (never skip) when it is missing. */
export function testDataDir(): string {
  const dir = process.env['SEXTANT_DATA_DIR'] ?? resolve(import.meta.dirname, '../../../shared/data');
  if (!existsSync(dir)) throw new Error(`market data folder ${dir} is missing: put ../shared/data beside the repo or set SEXTANT_DATA_DIR`);
  return dir;
}
