import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The nice value training threads run at: the lowest priority, so the live path wins every contest for a core. */
export const TRAINING_NICE = 19;

/**
 * Lowers the calling thread's scheduling priority (Linux: nice values are per thread, and
 * `/proc/thread-self` names the thread's id). Training runs in a worker thread of the engine's
 * process; on a machine with few cores it would otherwise take a core from the actors, their
 * inference worker and the broker at equal priority. Returns whether it worked (elsewhere it
 * does nothing and training runs at normal priority).
 */
export function lowerThreadPriority(nice = TRAINING_NICE): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
