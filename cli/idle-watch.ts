import type { Clock, TimerHandle } from '../state/clock.js';

export type IdleWatch = Readonly<{
  /** The asset delivered something now. */
  pushed(asset: string): void;
  stop(): void;
}>;

/**
 * Tells the event sequencer when an asset has delivered nothing for `idleFlushMs` on the clock,
 * so it stops holding the other assets back (a data gap, a quiet venue). The check runs every
 * fifth of the window, so an asset is marked idle between `idleFlushMs` and 1.2 × `idleFlushMs`
 * after its last delivery (checking once per window let it hold the others for up to twice it).
 */
export function watchIdle(clock: Clock, idleFlushMs: number, assets: readonly string[], idle: (asset: string) => void): IdleWatch {
  const tick = Math.max(1, Math.floor(idleFlushMs / 5));
  const lastPush = new Map<string, number>(assets.map((k) => [k, clock.now()]));
  let timer: TimerHandle | undefined;
  const check = (): void => {
    const now = clock.now();
    for (const [k, t] of lastPush) if (now - t >= idleFlushMs) idle(k);
    timer = clock.setTimeout(check, tick);
  };
  timer = clock.setTimeout(check, tick);
  return {
    pushed: (asset) => void lastPush.set(asset, clock.now()),
    stop: () => {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
