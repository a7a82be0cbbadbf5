import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Where `npm run build:dashboard` writes the page, and where the gateway serves it from by default. */
export const DASHBOARD_DIST = join(dirname(fileURLToPath(import.meta.url)), 'dist');

/** Written beside a build: every file the page was built from, with a hash of its content. */
export const STAMP_FILE = 'build-inputs.json';

const StampSchema = z.object({ inputs: z.record(z.string(), z.string()) });

const hashOf = async (file: string): Promise<string | undefined> => {
  try {
    return createHash('sha256').update(await readFile(file)).digest('hex');
  } catch {
    return undefined; // gone: the build is not of what is here now
  }
};

/** Records the build's input files (absolute paths) and their hashes in `outDir`. */
export async function writeBuildStamp(outDir: string, inputs: readonly string[]): Promise<void> {
  const entries: Record<string, string> = {};
  for (const f of [...new Set(inputs.map((i) => resolve(i)))].sort()) {
    const h = await hashOf(f);
    if (h !== undefined) entries[f] = h;
  }
  await writeFile(join(outDir, STAMP_FILE), `${JSON.stringify({ inputs: entries }, null, 1)}\n`);
}

/**
 * Whether the build in `dir` is of the files it was built from as they are now: `undefined` when
 * it has no stamp (not built here, or built before stamps), false when a file changed, went or
 * the stamp is unreadable.
 */
export async function buildIsCurrent(dir: string): Promise<boolean | undefined> {
  const file = join(dir, STAMP_FILE);
  if (!existsSync(file)) return undefined;
  let stamp: z.infer<typeof StampSchema>;
  try {
    stamp = StampSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return false;
  }
  const inputs = Object.entries(stamp.inputs);
  if (inputs.length === 0) return false;
  for (const [f, h] of inputs) if ((await hashOf(f)) !== h) return false;
  return true;
}

/** Why the gateway (re)builds the dashboard into `dir`, or undefined when the page there is served as it is. */
export async function dashboardBuildReason(dir: string, defaultDir: string = DASHBOARD_DIST): Promise<string | undefined> {
  if (!existsSync(join(dir, 'index.html'))) return 'no dashboard in the static folder: building it';
  const current = await buildIsCurrent(dir);
  if (current === false) return 'the dashboard changed since it was built: rebuilding it';
  // No stamp: a page of the operator's own is left alone; the default folder only ever holds our build.
  if (current === undefined && resolve(dir) === resolve(defaultDir)) return 'the dashboard build predates its build stamp: rebuilding it';
  return undefined;
}
