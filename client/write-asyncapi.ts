import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { asyncApiYaml } from './asyncapi.js';

export const ASYNCAPI_PATH = fileURLToPath(new URL('../docs/asyncapi.yaml', import.meta.url));

/** Writes the generated AsyncAPI document (default docs/asyncapi.yaml); returns the path. */
export function writeAsyncApi(target: string = ASYNCAPI_PATH): string {
  writeFileSync(target, asyncApiYaml());
  return target;
}

// `npm run asyncapi` runs this file directly.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`wrote ${writeAsyncApi()}\n`);
}
