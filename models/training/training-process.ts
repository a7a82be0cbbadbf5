import { setPriority } from 'node:os';
import { runTrainingSpec } from './run-training-spec.js';
import { isTrainingCancelled } from './training-errors.js';
import type { TrainingHostMessage, TrainingProcessStart, TrainingWorkerMessage } from './training-protocol.js';

/**
 * The training process: runs one `TrainingSpec` in a process of its own, started by
 * `startTrainingJob` (isolation `process`) under `chrt --idle 0`, so that every thread of it —
 * its main thread, the V8 platform threads that compile and collect garbage for it, tfjs's —
 * runs SCHED_IDLE and takes a core only when nothing else wants it. (A worker thread shares the
 * engine's V8 platform threads, which run at normal priority.) The spec arrives as the first IPC
 * message; progress and the result go back the same way; `cancel` is seen between epochs and
 * trials. The process ends when its parent goes away: the kernel kills it (`setpriv --pdeathsig`,
 * see training-job.ts), stopped or not; else, running, it exits on the IPC channel's 'disconnect'.
 */

const send = (m: TrainingWorkerMessage): Promise<void> =>
  new Promise((resolve) => {
    if (process.send === undefined || !process.connected) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });

let cancelRequested = false;
let started = false;

process.on('disconnect', () => process.exit(0));
process.on('message', (m: TrainingHostMessage | TrainingProcessStart) => {
  if (m.type === 'cancel') cancelRequested = true;
  else if (m.type === 'start' && !started) {
    started = true;
    void run(m);
  }
});

async function run({ spec, lowerOwnPriority }: TrainingProcessStart): Promise<void> {
  if (lowerOwnPriority) {
    try {
      setPriority(19); // no chrt: nice 19 for this (main) thread, inherited by threads started later
    } catch {
      // best effort
    }
  }
  try {
    const result = await runTrainingSpec(spec, { onProgress: (progress) => void send({ type: 'progress', progress }), cancelled: () => cancelRequested });
    await send({ type: 'result', result });
  } catch (e) {
    if (isTrainingCancelled(e)) await send({ type: 'cancelled' });
    else await send({ type: 'failed', error: { name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) } });
  } finally {
    process.disconnect();
  }
}
