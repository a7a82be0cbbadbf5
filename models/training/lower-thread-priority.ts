import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The nice value training threads run at: the lowest priority, so the live path wins every contest for a core. */
export const TRAINING_NICE = 19;

/** What {@link lowerThreadPriority} achieved: `idle` (SCHED_IDLE), `nice` (nice 19 only) or `none`. */
export type ThreadPriority = 'idle' | 'nice' | 'none';

/**
 * Lowers the calling thread's scheduling priority. Training runs in a worker thread of the
 * engine's process; on a machine with few cores it would otherwise take a core from the actors,
 * their inference worker and the broker at equal priority.
 *
 * Linux: first nice 19 (nice values are per thread; `/proc/thread-self` names the thread's id),
 * then the `SCHED_IDLE` policy through util-linux's `chrt`, which Node cannot call itself. A
 * `SCHED_IDLE` thread runs only on a core nothing else wants: a waking live-path thread preempts
 * it at once, and the kernel treats a core that runs only idle-policy threads as free when it
 * places a waking thread, which nice 19 alone does not do. Lowering one's own priority needs no
 * privilege. Threads the caller starts afterwards inherit both. Elsewhere, or without `chrt`,
 * it does what it can and says so; training then runs at a higher priority than intended.
 */
export function lowerThreadPriority(nice = TRAINING_NICE): ThreadPriority {
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return 'none';
    setPriority(tid, nice);
  } catch {
    return 'none';
  }
  const chrt = spawnSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 5_000 });
  return chrt.status === 0 ? 'idle' : 'nice';
}
