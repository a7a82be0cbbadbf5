import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

/** The nice value (field 19 of /proc/<pid>/task/<tid>/stat) of a thread. */
const niceOf = (taskPath: string): number => {
  const stat = readFileSync(`/proc/${taskPath}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[16]);
};

/** The scheduling policy of a thread as `chrt` reports it (`SCHED_IDLE`, `SCHED_OTHER`, …), or undefined. */
function threadPolicy(tid: number): string | undefined {
  const r = spawnSync('chrt', ['--pid', String(tid)], { encoding: 'utf8', timeout: 5_000 });
  return r.status === 0 ? /policy: (SCHED_\w+)/.exec(r.stdout)?.[1] : undefined;
}

describe('lowerThreadPriority', () => {
  it('puts the calling worker thread (only) at nice 19 and SCHED_IDLE, not the process', async () => {
    const mainNice = niceOf(readlinkSync('/proc/thread-self'));
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
    const reply = await new Promise<{ ok: string; self: string }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    try {
      expect(reply.ok).toBe('idle');
      expect(niceOf(reply.self)).toBe(19);
      expect(threadPolicy(Number(reply.self.split('/').pop()))).toBe('SCHED_IDLE');
      // The rest of the process keeps its priority and policy.
      expect(niceOf(readlinkSync('/proc/thread-self'))).toBe(mainNice);
      expect(threadPolicy(Number(readlinkSync('/proc/thread-self').split('/').pop()))).toBe('SCHED_OTHER');
    } finally {
      await w.terminate();
    }
  });
});
