import { readFileSync, readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

/** The nice value (field 19 of /proc/<pid>/task/<tid>/stat) of a thread. */
const niceOf = (taskPath: string): number => {
  const stat = readFileSync(`/proc/${taskPath}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[16]);
};

describe('lowerThreadPriority', () => {
  it('lowers the priority of the calling worker thread only, not of the process', async () => {
    const url = new URL('../../models/training/lower-thread-priority.ts', import.meta.url).href;
    // Booted like the training worker: tsx's hooks registered in the worker first.
    const boot = [
      `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};`,
      'register();',
      "const { parentPort } = await import('node:worker_threads');",
      "const { readlinkSync } = await import('node:fs');",
      `const m = await import(${JSON.stringify(url)});`,
      "parentPort.postMessage({ ok: m.lowerThreadPriority(), self: readlinkSync('/proc/thread-self') });",
      'setTimeout(() => {}, 2000);',
    ].join('\n');
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`));
    const reply = await new Promise<{ ok: boolean; self: string }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    try {
      expect(reply.ok).toBe(true);
      expect(niceOf(reply.self)).toBe(19);
      expect(niceOf(readlinkSync('/proc/thread-self'))).toBe(0);
    } finally {
      await w.terminate();
    }
  });
});
