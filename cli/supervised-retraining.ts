import type { RetrainingActorHandle } from '../actors/retraining-actor.js';
import type { Logger } from '../state/logger.js';

export type SupervisedRetrainingOptions = Readonly<{
  log: Logger;
  /** Wait before starting a new actor after one failed; doubled after each failed start, up to 30 s. Default 1 s. */
  restartMs?: number;
  /** Called with the number of restarts so far after each one (metrics, tests). */
  onRestart?: (restarts: number) => void;
}>;

const MAX_RESTART_MS = 30_000;

/**
 * Keeps a retraining actor running: when a batch fails (its store or bus failed mid-batch), the
 * actor stops and its `done` rejects; a new one is started after `restartMs`, restoring from the
 * last snapshot committed, so its durable consumer redelivers what was not committed and nothing
 * is counted twice. Operators and the engine hold this handle; it speaks for whichever actor runs.
 *
 * @example
 * const retraining = await superviseRetraining(() => startRetrainingActor(deps), { log });
 */
export async function superviseRetraining(start: () => Promise<RetrainingActorHandle>, opts: SupervisedRetrainingOptions): Promise<RetrainingActorHandle> {
  const log = opts.log.child({ component: 'retraining-supervisor' });
  const baseMs = opts.restartMs ?? 1_000;
  let current = await start();
  let stopped = false;
  let restarts = 0;
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
        log.warn({ err: String(e) }, 'retraining actor failed; starting a new one from its last commit');
        void restart(baseMs);
      },
    );
  };

  const restart = async (waitMs: number): Promise<void> => {
    await new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    if (stopped) return resolveDone();
    try {
      const next = await start();
      if (stopped) {
        await next.stop();
        return resolveDone();
      }
      current = next;
      restarts++;
      log.info({ restarts }, 'retraining actor restarted');
      opts.onRestart?.(restarts);
      watch(next);
    } catch (e) {
      const again = Math.min(MAX_RESTART_MS, waitMs * 2);
      log.error({ err: String(e), retryInMs: again }, 'retraining actor failed to start');
      void restart(again);
    }
  };

  watch(current);
  return {
    key: current.key,
    get consumers() {
      return current.consumers;
    },
    status: () => current.status(),
    trigger: (reason, operator) => current.trigger(reason, operator),
    pause: (reason, operator) => current.pause(reason, operator),
    resume: (operator) => current.resume(operator),
    idle: () => current.idle(),
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await current.stop();
      resolveDone();
    },
    done,
  };
}
