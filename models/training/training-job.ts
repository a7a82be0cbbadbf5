import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Clock, TimerHandle } from '../../state/clock.js';
import { startWorker } from '../runtime/start-worker.js';
import { TrainingCancelledError, TrainingJobError } from './training-errors.js';
import type { TrainingHostMessage, TrainingProcessStart, TrainingWorkerData, TrainingWorkerMessage } from './training-protocol.js';
import type { TrainingProgress, TrainingResult, TrainingSpec } from './training-spec.js';
import { trainingPriorityFromEnv } from './training-priority.js';
import type { TrainingPriority } from './training-priority.js';

export type TrainingJob = Readonly<{
  /** Settles with the result, or rejects with `TrainingCancelledError` / `TrainingJobError`. */
  result: Promise<TrainingResult>;
  /** Asks the job to stop at the next epoch or trial boundary; `result` then rejects as cancelled. */
  cancel(): void;
  /** Ends the job at once (mid-epoch); `result` rejects as cancelled. */
  terminate(): Promise<void>;
  /** The training process's id (isolation `process`). */
  pid: number | undefined;
  /**
   * Stops the training process where it stands (SIGSTOP) and lets it go on (SIGCONT): it then
   * takes no CPU at all, and loses nothing. A paced job stays stopped while paused and keeps its
   * pace once resumed. Isolation `process` only; a thread job throws.
   */
  pause(): void;
  resume(): void;
}>;

/**
 * Where a training job runs:
 * - `process` (default): a child process whose every thread runs SCHED_IDLE (started under
 *   util-linux's `chrt --idle 0`; without `chrt`, at nice 19). It then takes a core only when the
 *   live path leaves one idle — including the V8 threads that compile and collect garbage for it.
 * - `thread`: a worker thread of this process at SCHED_IDLE and nice 19 (`lowerThreadPriority`).
 *   Its garbage collection and compilation run on the V8 platform threads it shares with the
 *   engine, at normal priority (measured: about 11 % of a core while an MLP trains), which costs
 *   the live path's latency on a machine with few cores. Starts faster; no child process.
 */
export type TrainingIsolation = 'process' | 'thread';

/**
 * Background training at a share of the time: the training process runs `runMs`, then is stopped
 * (SIGSTOP) for `pauseMs`, on `clock` — live wiring gives the wall clock; a backtest, whose clock
 * is event time, leaves the pace out. A SCHED_IDLE trainer takes no CPU time from the live path
 * (its threads ran as long with the trainer running as without), but on a two-core machine the
 * live path's threads then wait longer for a CPU each time they wake (the engine's main thread
 * ~78 → ~91 µs per wake-up: the kernel does not always put a waking thread on the core the idle
 * trainer holds; bench/README.md, issue 6, stop 19), so its work finishes later; the pace
 * bounds how often, and `yieldTo` can stop it while the live path is behind. Stopping changes nothing the training
 * computes, only when it finishes. Isolation `process` only.
 */
export type TrainingPace = Readonly<{ clock: Clock; runMs: number; pauseMs: number; yieldTo?: TrainingYield }>;

/**
 * Yielding to the live path: a probe timer on the pace's clock every `probeMs`; when it fires
 * `lagMs` or more late — the caller's event loop (the engine's, in live wiring) is behind — the
 * training process is stopped for `holdMs`, renewed while the lag lasts. It then leaves the live
 * path a truly idle core to wake on while it catches up, which the SCHED_IDLE policy alone
 * does not. `lagMs: 0` turns it off (the config's default: measured, it cost epochs without a
 * p99 gain told apart from chance; bench/README.md, issue 6, stop 15).
 */
export type TrainingYield = Readonly<{ lagMs: number; holdMs: number; probeMs: number }>;

/**
 * `priority` (default: `SEXTANT_TRAINING_PRIORITY`, else `idle`; see {@link TrainingPriority}):
 * `normal` leaves the job at the caller's priority, for either isolation.
 */
export type TrainingJobOptions = Readonly<{ isolation?: TrainingIsolation; pace?: TrainingPace; priority?: TrainingPriority }>;

const isTs = import.meta.url.endsWith('.ts');

let chrtAvailable: boolean | undefined;
/** Whether `chrt` can start a SCHED_IDLE process here (checked once). */
function canStartIdle(): boolean {
  chrtAvailable ??= spawnSync('chrt', ['--idle', '0', 'true'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
  return chrtAvailable;
}

let pdeathsigAvailable: boolean | undefined;
/** Whether util-linux's `setpriv --pdeathsig` works here (checked once). */
function canSetParentDeathSignal(): boolean {
  pdeathsigAvailable ??= spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
  return pdeathsigAvailable;
}

/**
 * The command line of a training process: node on training-process.ts (under tsx's loader when
 * sources are `.ts`), under `chrt --idle 0` unless `normal`, and under `setpriv --pdeathsig KILL`
 * where it exists: the kernel then kills the process as soon as the thread that spawned it ends —
 * its process killed, even by `kill -9`. Its own 'disconnect' handler cannot be relied on for that: a process stopped
 * by pause, pace or yield (SIGSTOP) never runs it, and stayed behind, stopped, for good (measured:
 * still there 90 s after the SIGKILL of its parent; a running one went in 0.2–1.7 s on a busy
 * host, tfjs yielding to the event loop every 125 ms of a fit). `chrt` and `setpriv` exec what
 * follows them, so the process stays this one's child. The process's parent is the thread that
 * spawned it: a job started on a worker thread ends with that thread.
 */
function processCommand(priority: TrainingPriority): { cmd: string; args: string[]; lowerOwnPriority: boolean } {
  const entry = fileURLToPath(new URL(`./training-process.${isTs ? 'ts' : 'js'}`, import.meta.url));
  let argv = [process.execPath, ...(isTs ? ['--import', import.meta.resolve('tsx')] : []), entry];
  const idle = priority === 'idle' && canStartIdle();
  if (idle) argv = ['chrt', '--idle', '0', ...argv];
  if (canSetParentDeathSignal()) argv = ['setpriv', '--pdeathsig', 'KILL', ...argv];
  const [cmd = process.execPath, ...args] = argv;
  return { cmd, args, lowerOwnPriority: priority === 'idle' && !idle };
}

/** A child process running training-process.ts (see {@link processCommand}). */
function startProcess(priority: TrainingPriority): { child: ChildProcess; lowerOwnPriority: boolean } {
  const { cmd, args, lowerOwnPriority } = processCommand(priority);
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  return { child, lowerOwnPriority };
}

/**
 * Starts a training job in the background (a child process by default, see
 * {@link TrainingIsolation}), so a long fit or search never blocks the caller's event loop nor
 * competes with the live path for a core. Progress (epochs, trials, phases) arrives through
 * `onProgress` on this thread.
 *
 * @example
 * const job = startTrainingJob(spec, (p) => p.type === 'epoch' && log(p));
 * const { onnx, predictions } = await job.result;
 */
export function startTrainingJob(spec: TrainingSpec, onProgress: (p: TrainingProgress) => void = () => undefined, opts: TrainingJobOptions = {}): TrainingJob {
  const isolation = opts.isolation ?? 'process';
  const priority = opts.priority ?? trainingPriorityFromEnv();
  const pace = opts.pace;
  if (pace !== undefined) {
    if (isolation !== 'process') throw new TrainingJobError('a training pace stops and continues a training process: use isolation process', false);
    if (!(Number.isFinite(pace.runMs) && pace.runMs > 0 && Number.isFinite(pace.pauseMs) && pace.pauseMs >= 0)) {
      throw new TrainingJobError(`a training pace needs runMs > 0 and pauseMs ≥ 0, got ${pace.runMs} / ${pace.pauseMs}`, false);
    }
    const y = pace.yieldTo;
    if (y !== undefined && !(Number.isFinite(y.lagMs) && y.lagMs >= 0 && Number.isFinite(y.holdMs) && y.holdMs > 0 && Number.isFinite(y.probeMs) && y.probeMs > 0)) {
      throw new TrainingJobError(`yielding needs lagMs ≥ 0, holdMs > 0 and probeMs > 0, got ${y.lagMs} / ${y.holdMs} / ${y.probeMs}`, false);
    }
  }
  let settled = false;
  let cancelling = false;
  let onMessage: (m: TrainingWorkerMessage) => void = () => undefined;
  let onCrash: (e: Error) => void = () => undefined;
  let onExit: (code: number | null) => void = () => undefined;
  const result = new Promise<TrainingResult>((resolve, reject) => {
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
    };
    onMessage = (m) => {
      switch (m.type) {
        case 'progress':
          if (!settled) onProgress(m.progress);
          return;
        case 'result':
          settle(() => resolve(m.result));
          return;
        case 'cancelled':
          settle(() => reject(new TrainingCancelledError('training cancelled')));
          return;
        case 'failed':
          settle(() => reject(new TrainingJobError(`training failed: ${m.error.name}: ${m.error.message}`, false)));
          return;
      }
    };
    onCrash = (e) => settle(() => reject(new TrainingJobError(`training ${isolation} crashed: ${e.message}`, true, { cause: e })));
    onExit = (code) =>
      settle(() => reject(cancelling ? new TrainingCancelledError('training cancelled') : new TrainingJobError(`training ${isolation} exited (code ${code}) without a result`, true)));
  });

  if (isolation === 'thread') {
    const worker = startWorker(import.meta.url, 'training-worker', { spec, lowerPriority: priority === 'idle' } satisfies TrainingWorkerData);
    worker.on('message', onMessage);
    worker.on('error', onCrash);
    worker.on('exit', onExit);
    const unsupported = (): never => {
      throw new TrainingJobError('pause and resume need a training process (isolation process)', false);
    };
    return {
      result,
      pid: undefined,
      pause: unsupported,
      resume: unsupported,
      cancel() {
        cancelling = true;
        if (!settled) worker.postMessage({ type: 'cancel' } satisfies TrainingHostMessage);
      },
      async terminate() {
        cancelling = true;
        await worker.terminate();
      },
    };
  }

  const { child, lowerOwnPriority } = startProcess(priority);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (m: TrainingWorkerMessage) => onMessage(m));
  child.on('error', onCrash);
  child.on('exit', (code) => {
    stopPace();
    stopYielding();
    onExit(code);
  });
  child.send({ type: 'start', spec, lowerOwnPriority } satisfies TrainingProcessStart);
  const signal = (sig: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  /** Stopped by the caller (pause), in the pace's off part, or yielding: it runs only when none holds. */
  let held = false;
  let resting = false;
  let yielding = false;
  let stopped = false;
  const apply = (): void => {
    const stop = held || resting || yielding;
    if (stop === stopped) return;
    stopped = stop;
    signal(stop ? 'SIGSTOP' : 'SIGCONT');
  };
  let paceTimer: TimerHandle | undefined;
  const step = (): void => {
    if (pace === undefined) return;
    resting = !resting;
    apply();
    paceTimer = pace.clock.setTimeout(step, resting ? pace.pauseMs : pace.runMs);
  };
  function stopPace(): void {
    if (paceTimer !== undefined) pace?.clock.clearTimeout(paceTimer);
    paceTimer = undefined;
    resting = false;
  }
  const yieldTo = pace !== undefined && pace.yieldTo !== undefined && pace.yieldTo.lagMs > 0 ? pace.yieldTo : undefined;
  let probeTimer: TimerHandle | undefined;
  let yieldUntil = 0;
  /** The next probe of `y` on `clock`: it measures how late it fires, then schedules the one after. */
  const scheduleProbe = (clock: Clock, y: TrainingYield): void => {
    const due = clock.now() + y.probeMs;
    probeTimer = clock.setTimeout(() => {
      const now = clock.now();
      if (now - due >= y.lagMs) yieldUntil = now + y.holdMs;
      yielding = now < yieldUntil;
      apply();
      scheduleProbe(clock, y);
    }, y.probeMs);
  };
  function stopYielding(): void {
    if (probeTimer !== undefined) pace?.clock.clearTimeout(probeTimer);
    probeTimer = undefined;
    yielding = false;
  }
  /** Unpaced, not yielding and not held: it runs from now on (to see a cancel, or to exit once settled). */
  const release = (): void => {
    stopPace();
    stopYielding();
    held = false;
    apply();
  };
  if (pace !== undefined && pace.pauseMs > 0) paceTimer = pace.clock.setTimeout(step, pace.runMs);
  if (pace !== undefined && yieldTo !== undefined) scheduleProbe(pace.clock, yieldTo);
  // Settled, the process has only to exit: let it, rather than hold it stopped until its next turn.
  if (paceTimer !== undefined || probeTimer !== undefined) result.then(release, release);
  return {
    result,
    pid: child.pid,
    pause: () => {
      held = true;
      apply();
    },
    resume: () => {
      held = false;
      apply();
    },
    cancel() {
      cancelling = true;
      release(); // a stopped process must run to see the cancel
      if (!settled && child.connected) child.send({ type: 'cancel' } satisfies TrainingHostMessage);
    },
    async terminate() {
      cancelling = true;
      stopPace();
      stopYielding();
      signal('SIGKILL');
      await exited;
    },
  };
}
