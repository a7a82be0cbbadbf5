import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArtifactIntegrityError } from './registry-errors.js';

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Where a version's artifact lives, relative to the artifact directory. */
export const artifactRelPath = (name: string, version: number): string => `${name}/${version}.onnx`;

/**
 * Writes the bytes to a temporary file beside the target, flushes it to disk, then renames it
 * into place: a reader sees the whole old file or the whole new one, never a partial write.
 */
export async function writeArtifactFile(dir: string, relPath: string, bytes: Uint8Array, tmpTag: string): Promise<void> {
  const target = join(dir, relPath);
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.${tmpTag}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Reads an artifact and proves it is the one registered; ArtifactIntegrityError otherwise. */
export async function readArtifactFile(dir: string, relPath: string, expectedSha256: string, what: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(join(dir, relPath)));
  } catch (e) {
    throw new ArtifactIntegrityError(`artifact of ${what} cannot be read at ${join(dir, relPath)}: ${(e as Error).message}`, { cause: e });
  }
  const actual = sha256Hex(bytes);
  if (actual !== expectedSha256) {
    throw new ArtifactIntegrityError(`artifact of ${what} at ${join(dir, relPath)} has sha256 ${actual}, registered ${expectedSha256}: refusing to load it`);
  }
  return bytes;
}
