import { availableParallelism } from 'node:os';
import type { Config } from '../../config/schema.js';
import { servedRegistry } from '../served-model.js';
import type { OwnRegistry, ServedModelData } from '../served-model.js';

/** One window's model, trained on a worker thread: its own registry (the caller closes it), or why training failed. */
export type ModelAhead = Readonly<{ ok: true; served: OwnRegistry } | { ok: false; error: string }>;

export type ModelsAhead = Readonly<{
  /** The next window's model, in the order given; taking one starts the training of the next not yet started. */
  take(): Promise<ModelAhead>;
  /** Closes the registries of the models trained and not taken (a run that stopped early). */
  discard(): Promise<void>;
}>;

/**
 * Trains the models of a run's windows on worker threads ahead of their replays, at most
 * `parallel` of them trained or training and not yet taken (default: one more than the cores,
 * since a trainer does not keep a core busy all the time — on 2 cores, 1/2/3/5 gave 71/56/48/46 s
 * for the five regime windows). Each window's model depends only on
 * the data before it, so it can be trained while earlier windows replay on the main thread; the
 * model is the one `sextant backtest` trains for that window itself (`ensureDemoModel` on the
 * same data, in a fresh registry), so the reports do not depend on where it was trained.
 */
export function modelsAhead(windows: readonly Readonly<{ cfg: Config; data: ServedModelData }>[], parallel = availableParallelism() + 1): ModelsAhead {
  if (!(Number.isInteger(parallel) && parallel >= 1)) throw new RangeError(`parallel must be an integer >= 1, got ${parallel}`);
  const queue: Promise<ModelAhead>[] = [];
  let started = 0;
  const topUp = (): void => {
    while (started < windows.length && queue.length < parallel) {
      const w = windows[started++] as (typeof windows)[number];
      queue.push(
        servedRegistry(w.cfg, w.data).then(
          (served): ModelAhead => ({ ok: true, served }),
          (e: unknown): ModelAhead => ({ ok: false, error: e instanceof Error ? e.message : String(e) }),
        ),
      );
    }
  };
  topUp();
  return {
    take() {
      const model = queue.shift();
      if (model === undefined) return Promise.reject(new RangeError('every window\'s model was taken already'));
      topUp();
      return model;
    },
    async discard() {
      started = windows.length;
      const left = queue.splice(0);
      for (const m of await Promise.all(left)) if (m.ok) await m.served.close();
    },
  };
}
