import type { Clock, TimerHandle } from '../state/clock.js';
import type { EngineCounters } from '../state/counters.js';
import type { AssetKey } from '../state/feature-store.js';
import { isRetryableStoreError } from '../state/errors.js';
import type { Logger } from '../state/logger.js';
import { isRetryable } from '../streams/errors.js';
import type { AssetActorDeps, AssetActorHandle, AssetActorOptions } from './asset-actor.js';
import { assetActorKey, startAssetActor } from './asset-actor.js';

export type SupervisorOptions = Readonly<{
  assets: readonly AssetKey[];
  /** Per-asset actor options, minus the asset itself. */
  actor: Omit<AssetActorOptions, 'asset' | 'durable'>;
  /** Durable consumer name for an asset (stable across restarts). */
  durableFor: (asset: AssetKey) => string;
  restartMinMs: number;
  restartMaxMs: number;
  /**
   * Consecutive failures after which an actor is given up on (0 = never restart). Only failures a
   * retry cannot cure count (a corrupt snapshot, a bug): one the store or the bus reports as
   * retryable (a lost connection, a failover) is retried every `restartMaxMs` at most for as long
   * as it lasts, since the actor resumes by itself once the service is back. An operator's resume
   * starts a given-up actor again (`restartGivenUp`).
   */
  maxRestarts: number;
}>;

export type ActorStatus = Readonly<{ key: string; state: string; restarts: number; lastSeq: number; lastError?: string }>;

export type Supervisor = Readonly<{
  status(): readonly ActorStatus[];
  halt(key: string | undefined, reason: string): void;
  resume(key?: string): void;
  /**
   * Starts the actors given up on (all, or those of the assets `which` picks) afresh, with a fresh
   * failure count: the operator's way back once the cause is fixed (`sextant ctl resume`).
   * Returns their keys.
   */
  restartGivenUp(which?: (asset: AssetKey) => boolean): string[];
  stop(): Promise<void>;
}>;

type Child = {
  key: string;
  asset: AssetKey;
  handle?: AssetActorHandle;
  /** Settles once a start in progress has its handle (or failed): stop() waits for it. */
  starting?: Promise<void>;
  /** Restarts in total, for status. */
  restarts: number;
  /** Failures since the actor last made progress: drives the backoff. */
  streak: number;
  /** Of those, the ones a retry could not cure (not a retryable store or bus error): drive giving up. */
  hardStreak: number;
  timer?: TimerHandle;
  lastError?: string;
  givenUp: boolean;
  /** Set while halted by the operator, so a restarted actor comes back halted. */
  haltReason?: string;
};

/**
 * Spawns one asset actor per configured asset and restarts a failed one with exponential
 * backoff on the injected clock. A failure reaches the supervisor as the actor's rejected
 * `done`, never as a throw across actors.
 */
export function startSupervisor(deps: AssetActorDeps & { counters: EngineCounters }, opts: SupervisorOptions): Supervisor {
  const log: Logger = deps.log.child({ actor: 'supervisor' });
  const clock: Clock = deps.clock;
  let stopping = false;
  const children = new Map<string, Child>();

  const spawn = (child: Child): void => {
    child.timer = undefined;
    if (stopping) return;
    child.starting = startAssetActor(deps, { ...opts.actor, asset: child.asset, durable: opts.durableFor(child.asset) }).then(
      (handle) => {
        child.starting = undefined;
        child.handle = handle;
        // A halt sent while the actor was down (or still starting) holds for the new one.
        if (child.haltReason !== undefined) handle.halt(child.haltReason);
        const startSeq = handle.lastSeq();
        handle.done.then(
          () => log.info({ child: child.key }, 'actor stopped'),
          (e: unknown) => onFailure(child, e, handle.lastSeq() > startSeq),
        );
      },
      (e: unknown) => {
        child.starting = undefined;
        onFailure(child, e, false);
      },
    );
  };

  const onFailure = (child: Child, e: unknown, madeProgress: boolean): void => {
    child.handle = undefined;
    child.lastError = String(e);
    if (stopping) return;
    // Only consecutive failures count: an actor that committed batches since its restart was
    // healthy in between, so a later failure starts again from restartMinMs.
    if (madeProgress) {
      child.streak = 0;
      child.hardStreak = 0;
    }
    const transient = isRetryableStoreError(e) || isRetryable(e);
    if (!transient && child.hardStreak >= opts.maxRestarts) {
      child.givenUp = true;
      log.error({ child: child.key, restarts: child.restarts, err: child.lastError }, 'actor failed too often; given up');
      return;
    }
    const delay = Math.min(opts.restartMaxMs, opts.restartMinMs * 2 ** child.streak);
    child.streak++;
    if (!transient) child.hardStreak++;
    child.restarts++;
    deps.counters.restarts++;
    log.warn({ child: child.key, delayMs: delay, retryable: transient, err: child.lastError }, 'actor failed; restarting');
    child.timer = clock.setTimeout(() => spawn(child), delay);
  };

  for (const asset of opts.assets) {
    const child: Child = { key: assetActorKey(asset), asset, restarts: 0, streak: 0, hardStreak: 0, givenUp: false };
    children.set(child.key, child);
    spawn(child);
  }

  const select = (key?: string): Child[] => (key === undefined ? [...children.values()] : [children.get(key)].filter((c): c is Child => c !== undefined));

  return {
    status: () =>
      [...children.values()].map((c) => ({
        key: c.key,
        // Once stopping, an actor consumes nothing more whatever its machine last said (readiness reads this).
        state: c.givenUp ? 'failed' : stopping ? 'stopped' : (c.handle?.status() ?? 'restarting'),
        restarts: c.restarts,
        lastSeq: c.handle?.lastSeq() ?? 0,
        ...(c.lastError !== undefined ? { lastError: c.lastError } : {}),
      })),
    halt: (key, reason) =>
      select(key).forEach((c) => {
        c.haltReason = reason;
        c.handle?.halt(reason);
      }),
    resume: (key) =>
      select(key).forEach((c) => {
        c.haltReason = undefined;
        c.handle?.resume();
      }),
    restartGivenUp: (which) =>
      [...children.values()]
        .filter((c) => c.givenUp && !stopping && (which === undefined || which(c.asset)))
        .map((c) => {
          c.givenUp = false;
          c.streak = 0;
          c.hardStreak = 0;
          log.info({ child: c.key }, 'actor given up on: started again');
          spawn(c);
          return c.key;
        }),
    stop: async () => {
      stopping = true;
      for (const c of children.values()) if (c.timer !== undefined) clock.clearTimeout(c.timer);
      // An actor still starting would otherwise come up after stop() and consume forever.
      await Promise.all(
        [...children.values()].map(async (c) => {
          await c.starting;
          await c.handle?.stop();
        }),
      );
    },
  };
}
