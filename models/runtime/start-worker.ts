import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside the calling module (`callerUrl`: its
 * `import.meta.url`). Sources are TypeScript run through tsx, and on Node 20 loader hooks
 * registered on the main thread do not reach workers (nor does `--import` in a worker's execArgv
 * take effect before its entry loads), so a `.ts` entry is booted by a two-line ES module that
 * registers tsx's hooks in the worker first — the same `tsx/esm/api` register() the CLI's bin
 * uses. A compiled `.js` build starts the entry directly.
 *
 * @example startWorker(import.meta.url, 'runtime-worker', init)
 */
export function startWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const isTs = callerUrl.endsWith('.ts');
  const entry = new URL(`./${name}.${isTs ? 'ts' : 'js'}`, callerUrl);
  if (!isTs) return new Worker(entry, { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(tsxApi)};\nregister();\nawait import(${JSON.stringify(entry.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData });
}
