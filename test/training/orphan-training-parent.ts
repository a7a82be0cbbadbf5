import { startTrainingJob } from '../../models/training/training-job.js';
import { mlpSpec } from './training-job-spec.js';

/**
 * A stand-in engine for training-job-orphan.test.ts: starts a long training job, prints the
 * training process's pid once an epoch has run (`pause` in argv: after pausing it), then waits
 * to be killed.
 */
const pauseIt = process.argv.includes('pause');
const job = startTrainingJob(mlpSpec(100_000, 100_000), (p) => {
  if (p.type !== 'epoch' || p.epoch !== 1) return;
  if (pauseIt) job.pause();
  process.stdout.write(`${job.pid ?? 0}\n`);
}, { isolation: 'process', priority: 'idle' });
job.result.catch(() => undefined);
setInterval(() => undefined, 60_000);
