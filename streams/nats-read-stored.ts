import { AckPolicy, DeliverPolicy, jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { NatsConnection } from '@nats-io/nats-core';
import type { NewestStored, ReadNewestOptions, StoredMessage, StoredPage } from './bus.js';
import { READ_STORED_MAX } from './bus.js';
import { BusError, StreamNotFoundError } from './errors.js';

export type ReadStoredDeps = Readonly<{
  nc: NatsConnection;
  jsm: () => Promise<JetStreamManager>;
  /** Bounds the consumer's creation and each fetch of what it holds. */
  requestTimeoutMs: number;
}>;

/** A consumer left behind (the process died mid-read) is removed by the server after this long idle. */
const INACTIVE_THRESHOLD_MS = 30_000;
/** Messages asked for per pull. */
const FETCH_BATCH = 1_000;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** An ephemeral consumer from stream sequence `fromSeq` (from the first when undefined): its name and how many messages it matches. */
type Opened = Readonly<{ name: string; pending: number }>;

/**
 * Runs `body` with a way to open ephemeral consumers on `stream` (each deleted after) and maps
 * the errors as `Bus.readNewest` and `Bus.readFrom` document them (`StreamNotFoundError`; any other failure a retryable `BusError`).
 */
async function withConsumers<T>(deps: ReadStoredDeps, stream: string, filterSubject: string, body: (m: JetStreamManager, open: (fromSeq: number | undefined, count?: 'count only') => Promise<Opened>) => Promise<T>): Promise<T> {
  let m: JetStreamManager | undefined;
  const names: string[] = [];
  try {
    m = await deps.jsm();
    const jsm = m;
    // `count only`: deleted at once, its num_pending all that is wanted of it.
    const open = async (fromSeq: number | undefined, count?: 'count only'): Promise<Opened> => {
      const ci = await jsm.consumers.add(stream, {
        ...(filterSubject === '' ? {} : { filter_subject: filterSubject }),
        ...(fromSeq === undefined ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq }),
        ack_policy: AckPolicy.None,
        mem_storage: true,
        num_replicas: 1,
        inactive_threshold: nanos(INACTIVE_THRESHOLD_MS),
      });
      if (count === undefined) names.push(ci.name);
      else await jsm.consumers.delete(stream, ci.name).catch(() => false);
      return { name: ci.name, pending: ci.num_pending };
    };
    return await body(jsm, open);
  } catch (e) {
    if (e instanceof BusError) throw e;
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) throw new StreamNotFoundError(stream, { cause: e });
    throw new BusError(`cannot read the stored messages of ${filterSubject || 'every subject'} in ${stream}: ${message(e)}`, true, { cause: e });
  } finally {
    if (m !== undefined) for (const name of names) await m.consumers.delete(stream, name).catch(() => false);
  }
}

/** Fetches the `want` messages `consumer` holds, in stream order, handing each to `take`. */
async function fetchAll(deps: ReadStoredDeps, stream: string, filterSubject: string, c: Opened, take: (m: StoredMessage) => void): Promise<void> {
  if (c.pending === 0) return;
  const consumer = await jetstream(deps.nc, { timeout: deps.requestTimeoutMs }).consumers.get(stream, c.name);
  let got = 0;
  while (got < c.pending) {
    const before = got;
    const msgs = await consumer.fetch({ max_messages: Math.min(FETCH_BATCH, c.pending - got), expires: Math.max(1_000, deps.requestTimeoutMs) });
    for await (const jm of msgs) {
      take({ subject: jm.subject, data: jm.data, streamSeq: jm.seq });
      if (++got >= c.pending) break;
    }
    // An expired pull ends quietly: a short answer would read as "nothing more is stored".
    if (got === before) throw new BusError(`read ${got} of the ${c.pending} stored messages of ${filterSubject || 'every subject'} in ${stream} before a pull expired`, true);
  }
}

/**
 * `Bus.readNewest` on JetStream. Where more than `max` match, the stream sequence the newest
 * `max` start at is found by bisection on the `num_pending` of consumers started at a sequence
 * (one short-lived consumer per step, about log2 of the stream's length), so the older ones are
 * never fetched; messages stored during the search that push the count past `max` are read and
 * the oldest of them let go, so at most `max` (plus one pull) are held.
 */
export function natsReadNewest(deps: ReadStoredDeps, stream: string, filterSubject: string, opts: ReadNewestOptions = {}): Promise<NewestStored> {
  const max = opts.max ?? READ_STORED_MAX;
  if (!Number.isInteger(max) || max < 1) return Promise.reject(new BusError(`readNewest max must be a positive integer, got ${max}`, false));
  return withConsumers(deps, stream, filterSubject, async (m, open) => {
    const first = await open(opts.fromSeq);
    let c = first;
    if (first.pending > max) {
      // The smallest start sequence from which at most `max` match: pending(seq) never grows with seq.
      const state = (await m.streams.info(stream)).state;
      let lo = Math.max(opts.fromSeq ?? 0, state.first_seq); // more than `max` from here
      let hi = state.last_seq + 1; // none from here
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        const probe = await open(mid, 'count only');
        if (probe.pending > max) lo = mid;
        else hi = mid;
      }
      c = await open(hi);
    }
    const out: StoredMessage[] = [];
    let dropped = 0;
    await fetchAll(deps, stream, filterSubject, c, (x) => {
      out.push(x);
      if (out.length > max) {
        out.shift();
        dropped++;
      }
    });
    return { messages: out, skipped: Math.max(0, first.pending - c.pending) + dropped };
  });
}

/**
 * `Bus.readFrom` on JetStream: a consumer started at `fromSeq` whose `num_pending` at creation
 * says how many match; the first `max` of them are fetched, the rest counted as `remaining`
 * (what is stored meanwhile is left to the next page, or to live readers).
 */
export function natsReadFrom(deps: ReadStoredDeps, stream: string, filterSubject: string, opts: ReadNewestOptions = {}): Promise<StoredPage> {
  const max = opts.max ?? READ_STORED_MAX;
  if (!Number.isInteger(max) || max < 1) return Promise.reject(new BusError(`readFrom max must be a positive integer, got ${max}`, false));
  return withConsumers(deps, stream, filterSubject, async (_m, open) => {
    const c = await open(opts.fromSeq === undefined || opts.fromSeq <= 1 ? undefined : opts.fromSeq);
    const out: StoredMessage[] = [];
    await fetchAll(deps, stream, filterSubject, { name: c.name, pending: Math.min(c.pending, max) }, (x) => out.push(x));
    return { messages: out, remaining: c.pending - out.length };
  });
}
