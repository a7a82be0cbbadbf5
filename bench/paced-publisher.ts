/**
 * The latency benches' market-data source on a thread of its own: a worker publishes the bars
 * at the rate on its own NATS connection, as a gateway process would, so the engine's event loop
 * carries the engine and not the load generator (publishing, encoding and the stream's
 * acknowledgements). It can also read the bars itself (`load`), so the engine's heap does not
 * hold them either: 120,000 bars are about a million small objects that every full garbage
 * collection of the engine's heap would otherwise mark. Send times are stamped by the worker,
 * epoch-based, and come back as this thread's `performance.now()` values.
 */
import { startWorker } from '../models/runtime/start-worker.js';
import type { Bar } from '../streams/messages/bar.js';
import type { Paced } from './latency-engine.js';

/** Where the worker's bars come from: handed over, or read by the worker (`loadBars`'s arguments). */
export type PublisherInit = Readonly<{ url: string; prefix: string }> &
  (
    | Readonly<{ bars: readonly Bar[] }>
    /** `lap`: when the data from `from` holds fewer than `total` bars, repeat it in time-shifted laps (`lapBars`: load, not market data). */
    | Readonly<{ load: Readonly<{ dataDir: string; venue: string; symbols: readonly string[]; timeframe: string; from: number; total: number; lap?: boolean }> }>
  );

export type PublisherCommand = Readonly<{ type: 'publish'; start: number; end: number; rate: number }> | Readonly<{ type: 'close' }>;

export type PublisherReply =
  | Readonly<{ type: 'ready'; bars: number; laps: number }>
  | Readonly<{ type: 'published'; published: number; seconds: number; ids: readonly string[]; sentAt: Float64Array<ArrayBuffer> }>
  | Readonly<{ type: 'failed'; error: string }>
  | Readonly<{ type: 'closed' }>;

export type PublishedRange = Paced & Readonly<{ sentAt: Map<string, number> }>;

export type BarPublisher = Readonly<{
  /** How many bars the worker holds. */
  bars: number;
  /** How many time-shifted repeats of the data they include (`load.lap`). */
  laps: number;
  /** Publishes bars [start, end) at `rate` a second; resolves once all are acknowledged, with each one's send time (this thread's clock) by id. */
  publish(start: number, end: number, rate: number): Promise<PublishedRange>;
  close(): Promise<void>;
}>;

/** Starts the publisher worker and waits until it holds its bars and is connected. */
export async function startBarPublisher(init: PublisherInit): Promise<BarPublisher> {
  const worker = startWorker(import.meta.url, 'paced-publisher-worker', init);
  let pending: ((r: PublisherReply) => void) | undefined;
  let crashed: Error | undefined;
  const next = (): Promise<PublisherReply> =>
    crashed !== undefined ? Promise.reject(crashed) : new Promise<PublisherReply>((resolve) => (pending = resolve));
  const fail = (e: Error): void => {
    crashed = e;
    pending?.({ type: 'failed', error: e.message });
  };
  worker.on('message', (r: PublisherReply) => pending?.(r));
  worker.once('error', fail);
  worker.once('exit', (code) => fail(new Error(`the publisher worker exited with ${code}`)));
  const ready = await next();
  if (ready.type !== 'ready') throw new Error(`the publisher worker did not start: ${ready.type === 'failed' ? ready.error : ready.type}`);
  const origin = performance.timeOrigin;
  return {
    bars: ready.bars,
    laps: ready.laps,
    publish: async (start, end, rate) => {
      const reply = next();
      worker.postMessage({ type: 'publish', start, end, rate } satisfies PublisherCommand);
      const r = await reply;
      if (r.type !== 'published') throw new Error(`the publisher worker failed: ${r.type === 'failed' ? r.error : r.type}`);
      const sentAt = new Map<string, number>();
      r.ids.forEach((id, i) => sentAt.set(id, (r.sentAt[i] as number) - origin));
      return { published: r.published, seconds: r.seconds, sentAt };
    },
    close: async () => {
      if (crashed === undefined) {
        const reply = next();
        worker.postMessage({ type: 'close' } satisfies PublisherCommand);
        await reply.catch(() => undefined);
      }
      await worker.terminate();
    },
  };
}

/**
 * Publishes `bars` on `prefix`'s bar subjects at `rate` msgs/s from a worker thread. Resolves once
 * every publish was acknowledged, with each bar's send time (this thread's clock) by id.
 */
export async function pacedPublishInWorker(url: string, prefix: string, bars: readonly Bar[], rate: number): Promise<PublishedRange> {
  const p = await startBarPublisher({ url, prefix, bars });
  try {
    return await p.publish(0, bars.length, rate);
  } finally {
    await p.close();
  }
}
