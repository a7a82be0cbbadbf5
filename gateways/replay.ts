import { setTimeout as sleepFor } from 'node:timers/promises';
import type { DurablePublisher } from '../streams/bus.js';
import { encode } from '../streams/codec.js';
import type { MarketData } from '../streams/messages/market-data.js';
import type { Subjects } from '../streams/subjects.js';

export type ReplaySpeed = number | 'max';

export type ReplayOptions = Readonly<{
  bus: DurablePublisher;
  /** From `subjectsFor(prefix)`: trades, quotes and bars go to `<prefix>.md.<venue>.<sym>.trade|quote|bar.<tf>`. */
  subjects: Subjects;
  /** Time-ordered messages, e.g. `mergeByTime(readBars(…), readBars(…))`. */
  source: AsyncIterable<MarketData> | Iterable<MarketData>;
  /**
   * `'max'` (default): as fast as the bus acknowledges. A number: event time runs that many times
   * faster than the wall clock (60 = one hour of data per minute).
   */
  speed?: ReplaySpeed;
  /** Publishes awaiting their acknowledgement at once (default 1000). */
  maxInFlight?: number;
  /** Called with the number of acknowledged publishes after each acknowledgement. */
  onProgress?: (published: number) => void;
  /** Waits while pacing (default: a timer). Tests inject a fake to run paced replays instantly. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Milliseconds on a monotonic clock, for drift-free pacing. Default: `performance.now()`; when
   * only `sleep` is injected, a virtual clock that advances by exactly what was slept, so a fake
   * sleep sees the ideal delays.
   */
  now?: () => number;
  /**
   * Aborted (Ctrl-C): nothing more is issued, a pacing wait ends at once, the publishes in flight
   * are awaited, and the result says `interrupted`.
   */
  signal?: AbortSignal;
}>;

export type ReplayResult = Readonly<{
  /** Acknowledged publishes, duplicates included. */
  published: number;
  /** Publishes the stream acknowledged as duplicates of a `msgId` it already held: stored nothing. */
  duplicates: number;
  firstTs?: number;
  lastTs?: number;
  /** Present when `signal` stopped the replay before the end of its source. */
  interrupted?: true;
}>;

/**
 * A publish of the replay failed. `failed`: the first message (in the order issued) that was not
 * stored. `storedAfter`: the newest message of the same subject issued after it whose publish was
 * acknowledged, if any — then the stream holds a hole that a replay run again does not fill (it
 * resumes after the newest message stored on each subject), and the asset actors would refuse the
 * missing message as out of order if it were published now.
 */
export class ReplayPublishError extends Error {
  override readonly name = 'ReplayPublishError';
  constructor(
    readonly failed: Readonly<{ subject: string; id: string; ts: number }>,
    readonly storedAfter: Readonly<{ id: string; ts: number }> | undefined,
    cause: unknown,
  ) {
    const at = (ts: number): string => (Number.isFinite(ts) ? new Date(ts).toISOString() : String(ts));
    const hole =
      storedAfter === undefined
        ? '; nothing after it on that subject was stored: a replay run again resumes at it'
        : `; ${storedAfter.id} (${at(storedAfter.ts)}), issued after it on the same subject, was stored: the stream holds a hole there that a replay run again does not fill (it resumes after the newest stored message)`;
    super(`publish of ${failed.id} on ${failed.subject} (${at(failed.ts)}) failed: ${cause instanceof Error ? cause.message : String(cause)}${hole}`, { cause });
  }
}

const DEFAULT_MAX_IN_FLIGHT = 1000;
/** Shorter waits are not worth a timer; pacing is drift-free, so they are caught up later. */
const MIN_SLEEP_MS = 1;

/** The subject a market-data message is published on. */
export function subjectOf(subjects: Subjects, m: MarketData): string {
  switch (m.type) {
    case 'md.trade':
      return subjects.trade(m.venue, m.symbol);
    case 'md.quote':
      return subjects.quote(m.venue, m.symbol);
    case 'md.bar':
      return subjects.bar(m.venue, m.symbol, m.tf);
  }
}

/**
 * Publishes historical market data to the bus, each message on its subject with
 * `msgId` = its deterministic id, so replaying the same data again inside the stream's
 * duplicate window stores nothing twice (counted in `duplicates`).
 *
 * Publishes are issued strictly in source order and up to `maxInFlight` wait for their
 * acknowledgements concurrently: the stream orders messages by arrival on the connection, not
 * by acknowledgement, so pipelining keeps order and is many times faster than one round trip per
 * message. A failed publish stops the replay: nothing more is issued, the publishes in flight
 * are awaited, and a {@link ReplayPublishError} is thrown naming the first message that failed
 * and whether a later one of its subject was stored anyway (a source error is thrown as it is).
 * Resolves when every publish was acknowledged.
 *
 * @example await replay({ bus, subjects: subjectsFor('sx'), source: mergeByTime(...sources), speed: 60 })
 */
export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  const { bus, subjects, source, onProgress } = opts;
  const speed = opts.speed ?? 'max';
  const maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) throw new RangeError(`speed must be 'max' or a number > 0, got ${speed}`);
  if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1)) throw new RangeError(`maxInFlight must be an integer >= 1, got ${maxInFlight}`);

  const { signal } = opts;
  /** A function: the flag changes across the awaits of the loop. */
  const aborted = (): boolean => signal?.aborted === true;
  const pace = speed === 'max' ? undefined : pacer(speed, opts.sleep, opts.now, signal);
  let published = 0;
  let duplicates = 0;
  let firstTs: number | undefined;
  let lastTs: number | undefined;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  /** The failed publish issued first (publishes settle in any order). */
  let failure: { error: unknown; issued: number; subject: string; id: string; ts: number } | undefined;
  /** Per subject: the newest issued message whose publish was acknowledged. */
  const newestStored = new Map<string, { issued: number; id: string; ts: number }>();
  let issued = 0;

  /** Never rejects: a failure is recorded and ends the loop. */
  const send = async (subject: string, data: Uint8Array, msgId: string, ts: number, n: number): Promise<void> => {
    try {
      const ack = await bus.publish(subject, data, { msgId });
      published++;
      if (ack.duplicate) duplicates++;
      const newest = newestStored.get(subject);
      if (newest === undefined || newest.issued < n) newestStored.set(subject, { issued: n, id: msgId, ts });
      onProgress?.(published);
    } catch (error) {
      if (failure === undefined || n < failure.issued) failure = { error, issued: n, subject, id: msgId, ts };
    } finally {
      inFlight--;
      const w = wake;
      wake = undefined;
      w?.();
    }
  };
  const settled = (): Promise<void> => new Promise((resolve) => (wake = resolve));

  try {
    for await (const m of source) {
      if (aborted()) break;
      if (pace !== undefined) await pace(m.ts);
      while (inFlight >= maxInFlight && failure === undefined) await settled();
      if (failure !== undefined || aborted()) break;
      const subject = subjectOf(subjects, m);
      inFlight++;
      void send(subject, encode(m), m.id, m.ts, issued++);
      firstTs ??= m.ts;
      lastTs = m.ts;
    }
  } finally {
    while (inFlight > 0) await settled();
  }
  if (failure !== undefined) {
    const newest = newestStored.get(failure.subject);
    const after = newest !== undefined && newest.issued > failure.issued ? { id: newest.id, ts: newest.ts } : undefined;
    throw new ReplayPublishError({ subject: failure.subject, id: failure.id, ts: failure.ts }, after, failure.error);
  }
  return { published, duplicates, firstTs, lastTs, ...(aborted() ? { interrupted: true as const } : {}) };
}

/**
 * Waits until event time `ts` is due: the first message starts the clock, then message at `ts` is
 * due `(ts - firstTs) / speed` ms later. Measured from the start, not from the previous message,
 * so timer lateness does not accumulate over thousands of short gaps.
 */
function pacer(speed: number, sleep: ((ms: number) => Promise<void>) | undefined, now: (() => number) | undefined, signal: AbortSignal | undefined): (ts: number) => Promise<void> {
  let slept = 0;
  // An abort ends the wait (at --speed 1 an hourly bar waits an hour): the loop then stops.
  const doSleep = sleep ?? ((ms: number) => sleepFor(ms, undefined, { signal }).catch((e: unknown) => {
    if (signal?.aborted !== true) throw e;
  }));
  const clock = now ?? (sleep === undefined ? () => performance.now() : () => slept);
  let startTs: number | undefined;
  let startAt = 0;
  return async (ts) => {
    if (startTs === undefined) {
      startTs = ts;
      startAt = clock();
      return;
    }
    const wait = startAt + (ts - startTs) / speed - clock();
    if (wait >= MIN_SLEEP_MS) {
      slept += wait;
      await doSleep(wait);
    }
  };
}
