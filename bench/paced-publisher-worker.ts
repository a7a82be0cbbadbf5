/**
 * The worker half of `paced-publisher.ts`: holds the bars (handed over, or read from the data
 * folder here so the engine's heap never holds them) and publishes the ranges it is asked for at
 * the rate, on a NATS connection of its own. With `load.lap`, a window shorter than `load.total`
 * is repeated in time-shifted laps (`lapBars`). Each send time is stamped (epoch-based, comparable
 * across threads) just before its publish and returned with the range's ids. Benchmark load, not
 * product code.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TIMEFRAME_MS } from '../streams/messages/bar.js';
import type { Bar, Timeframe } from '../streams/messages/bar.js';
import { createNatsBus } from '../streams/nats-bus.js';
import { subjectsFor } from '../streams/subjects.js';
import { lapBars, loadBars, pacedPublish } from './latency-engine.js';
import type { PublisherCommand, PublisherInit, PublisherReply } from './paced-publisher.js';

const init = workerData as PublisherInit;
const port = parentPort;
if (port === null) throw new Error('paced-publisher-worker runs as a worker thread');
const { bars, laps } = await (async (): Promise<{ bars: readonly Bar[]; laps: number }> => {
  if ('bars' in init) return { bars: init.bars, laps: 0 };
  const l = init.load;
  const read = await loadBars(l.dataDir, l.venue, l.symbols, l.timeframe, l.from, l.total);
  return l.lap === true && read.length < l.total ? lapBars(read, l.total, TIMEFRAME_MS[l.timeframe as Timeframe]) : { bars: read, laps: 0 };
})();
const bus = await createNatsBus({ url: init.url, name: 'bench-publisher', connectTimeoutMs: 5_000 });
const subjects = subjectsFor(init.prefix);
const origin = performance.timeOrigin;

const publish = async (start: number, end: number, rate: number): Promise<Extract<PublisherReply, { type: 'published' }>> => {
  const range = bars.slice(start, end);
  const sentAt = new Float64Array(range.length);
  const { published, seconds } = await pacedPublish(bus, subjects, range, rate, (i) => void (sentAt[i] = origin + performance.now()));
  return { type: 'published', published, seconds, ids: range.map((b) => b.id), sentAt };
};

port.on('message', (c: PublisherCommand) => {
  if (c.type === 'close') {
    void bus.close().then(() => port.postMessage({ type: 'closed' } satisfies PublisherReply));
    return;
  }
  publish(c.start, c.end, c.rate).then(
    (r) => port.postMessage(r, [r.sentAt.buffer]),
    (e: unknown) => port.postMessage({ type: 'failed', error: String(e) } satisfies PublisherReply),
  );
});
port.postMessage({ type: 'ready', bars: bars.length, laps } satisfies PublisherReply);
