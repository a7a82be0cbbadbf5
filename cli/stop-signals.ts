import { constants } from 'node:os';

/** What a command listens to for SIGINT and SIGTERM: `process`, or a stand-in in tests. */
export type SignalSource = Readonly<{
  on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
}>;

export type StopSignals = Readonly<{
  /** Resolves with the first SIGINT or SIGTERM. */
  stopped: Promise<NodeJS.Signals>;
  /** Aborted at the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** Stops listening: the signals get Node's default handling again. */
  dispose(): void;
}>;

/** The shell's exit status of a process ended by `signal`: 130 for SIGINT, 143 for SIGTERM. */
export const signalExitCode = (signal: NodeJS.Signals): number => 128 + constants.signals[signal];

/**
 * SIGINT and SIGTERM for a command that stops cleanly: the first asks it to stop; a second one,
 * while it is stopping (an operator's second Ctrl-C, a supervisor's repeated SIGTERM), ends the
 * process at once with a line saying so and what it may lose (`whileStopping`), exit 130 or 143.
 * Before, `sextant run` listened with `once`: a second SIGINT killed it without a word, and a
 * SIGTERM after a SIGINT was swallowed. `whileStopping` may be a function, read at the second
 * signal, for a command whose losses depend on how far it got.
 *
 * @example const stop = onStopSignals('the engine\'s last writes may not be stored'); await stop.stopped;
 */
export function onStopSignals(
  whileStopping: string | (() => string),
  source: SignalSource = process,
  force: (message: string, code: number) => void = (message, code) => {
    process.stderr.write(`${message}\n`);
    process.exit(code);
  },
): StopSignals {
  const abort = new AbortController();
  let first: ((s: NodeJS.Signals) => void) | undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => (first = resolve));
  const listener = (signal: NodeJS.Signals): void => {
    if (!abort.signal.aborted) {
      abort.abort(signal);
      first?.(signal);
      return;
    }
    force(`sextant: ${signal} while stopping: exiting now; ${typeof whileStopping === 'string' ? whileStopping : whileStopping()}`, signalExitCode(signal));
  };
  source.on('SIGINT', listener);
  source.on('SIGTERM', listener);
  return {
    stopped,
    signal: abort.signal,
    dispose: () => {
      source.off('SIGINT', listener);
      source.off('SIGTERM', listener);
    },
  };
}
