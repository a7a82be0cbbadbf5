import type { RetrainingActorHandle } from '../actors/retraining-actor.js';
import { ControlError, ControlErrorCode } from '../gateways/control/control-messages.js';
import type { Logger } from '../state/logger.js';

export type SupervisedRetrainingOptions = Readonly<{
  log: Logger;
  /**
   * Wait before starting a new actor after one failed; doubled after each consecutive failure (a
   * failed start, or an actor that failed within 30 s of its start), up to 30 s. Default 1 s.
   */
  restartMs?: number;
  /** Called with the number of restarts so far after each one (metrics, tests). */
  onRestart?: (restarts: number) => void;
}>;

const MAX_RESTART_MS = 30_000;

/**
 * Keeps a retraining actor running: when a batch fails (its store or bus failed mid-batch), the
 * actor stops and its `done` rejects; a new one is started after `restartMs`, restoring from the
 * last snapshot committed, so its durable consumer redelivers what was not committed and nothing
 * is counted twice. Operators and the engine hold this handle; it speaks for whichever actor runs,
 * and while a failed one waits to be replaced, trigger, pause and resume answer UNAVAILABLE (the
 * failed actor would take them and the new one, resuming from the last commit, never see them),
 * and the status carries `restarting: {error}`.
 *
 * @example
 * const retraining = await superviseRetraining(() => startRetrainingActor(deps), { log });
 */
export async function superviseRetraining(start: () => Promise<RetrainingActorHandle>, opts: SupervisedRetrainingOptions): Promise<RetrainingActorHandle> {
  const log = opts.log.child({ component: 'retraining-supervisor' });
  const baseMs = opts.restartMs ?? 1_000;
  let current = await start();
  let startedAt = Date.now();
  let stopped = false;
  let restarts = 0;
  /** The wait before the next start: doubles with each consecutive failure. */
  let waitMs = baseMs;
  /** Set from the current actor's failure until a new one runs: operator commands are refused meanwhile. */
  let down = false;
  /** The failure that put it down, for the status while it is. */
  let downError = '';
  /** A start in flight: stop() waits for it and stops what it started. */
  let starting: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const watch = (actor: RetrainingActorHandle): void => {
    actor.done.then(
      () => {
        if (stopped) resolveDone();
      },
      (e: unknown) => {
        if (stopped) return resolveDone();
        down = true;
        downError = String(e);
        // An actor that ran a while was healthy in between: its failure starts a fresh backoff.
        // One that failed right after its start (a poisoned batch, a store that is down) is not
        // started again every baseMs for ever.
        if (Date.now() - startedAt >= MAX_RESTART_MS) waitMs = baseMs;
        log.warn({ err: String(e), retryInMs: waitMs }, 'retraining actor failed; starting a new one from its last commit');
        restart();
      },
    );
  };

  const restart = (): void => {
    const wait = waitMs;
    waitMs = Math.min(MAX_RESTART_MS, waitMs * 2);
    timer = setTimeout(() => {
      timer = undefined;
      if (stopped) return resolveDone();
      starting = (async () => {
        try {
          const next = await start();
          if (stopped) {
            await next.stop();
            return resolveDone();
          }
          current = next;
          startedAt = Date.now();
          down = false;
          restarts++;
          log.info({ restarts }, 'retraining actor restarted');
          opts.onRestart?.(restarts);
          watch(next);
        } catch (e) {
          log.error({ err: String(e), retryInMs: waitMs }, 'retraining actor failed to start');
          if (!stopped) restart();
        } finally {
          starting = undefined;
        }
      })();
    }, wait);
  };

  /** The running actor; while a failed one waits to be replaced, an UNAVAILABLE control error (its state is not the one a new actor resumes). */
  const running = (): RetrainingActorHandle => {
    if (down) throw new ControlError(ControlErrorCode.UNAVAILABLE, 'the retraining actor is restarting after a failure (a new one resumes from its last commit): try again shortly');
    return current;
  };

  watch(current);
  return {
    key: current.key,
    strategy: current.strategy,
    get consumers() {
      return current.consumers;
    },
    // While down, the failed actor's phase is not where the new one resumes: the status says it is restarting, and why.
    status: () => (down ? { ...current.status(), restarting: { error: downError } } : current.status()),
    trigger: (reason, operator) => running().trigger(reason, operator),
    pause: (reason, operator) => running().pause(reason, operator),
    resume: (reason, operator) => running().resume(reason, operator),
    idle: () => current.idle(),
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await starting;
      await current.stop();
      resolveDone();
    },
    done,
  };
}
