import type { JetStreamClient } from '@nats-io/jetstream';
import type { z } from 'zod';
import { encode } from '../streams/codec.js';
import type { RefusalReason } from '../streams/messages/dlq-entry.js';
import { subjectsFor } from '../streams/subjects.js';
import { toDlqEntry } from '../streams/validation/dlq.js';
import { natsOf, toJetStream } from './connection.js';
import type { Connection } from './connection.js';
import { ensureDurable } from './durable.js';
import { ClientValidationError, inboxRefusal, isFilterNotInStream, isStreamNotFound, NoStreamError, SubscriptionInUseError } from './errors.js';
import { createPuller } from './pull.js';
import { checkSubscribeOptions } from './subscribe-options.js';
import { notStoredReason } from './stream-hint.js';
import type { Delivery } from './pull.js';
import { decodeWith } from './validate.js';

/** A message the schema refused: acknowledged (it would fail again), never handed to the consumer. */
export type InvalidMessage = Readonly<{ durable: string; subject: string; streamSeq: number; data: Uint8Array; reason: RefusalReason; detail: string }>;

/** Where a delivered value came from. `redelivered` means an earlier delivery was not acknowledged. */
export type DeliveryMeta = Readonly<{ subject: string; streamSeq: number; redelivered: boolean }>;

export type SubscribeOptions = Readonly<{
  /** Durable consumer name: the position survives restarts of this program and of the server. */
  durable: string;
  /** Subject prefix of the engine (config `prefix`, default `sx`). */
  prefix?: string;
  /** JetStream stream holding the subjects (config `streamNamePrefix` + `SIGNALS`, default `SIGNALS`). */
  stream?: string;
  /** Where a new durable starts (default `all`); an existing durable resumes where it stopped. */
  deliver?: 'all' | 'new';
  /** Messages pulled ahead of the consumer (default 64). */
  batch?: number;
  /** A delivery not acknowledged within this long is redelivered (default 30 s); an existing durable is updated to it. */
  ackWaitMs?: number;
  /** Called for every refused message, before it is acknowledged. */
  onInvalid?: (m: InvalidMessage) => void | Promise<void>;
  /**
   * Publish refused messages to `<prefix>.dlq.<source>` with their reason (source `client`, or the
   * one given) before acknowledging them, one entry per refused message of the stream (the same
   * bytes published twice are two entries, a redelivery of one is the same entry). Default: on
   * when no `onInvalid` is given (so nothing refused is dropped without a trace), off when it is;
   * `false` turns it off. A dead letter that cannot be stored ends the subscription with that
   * error (the message is handed back and refused again on the next start).
   */
  dlq?: boolean | Readonly<{ source: string }>;
}>;

/**
 * Typed, validated messages from a durable pull consumer, in stream order.
 *
 * - `for await (const x of sub)`: a message is acknowledged when the loop asks for the next one,
 *   i.e. once the loop body for it has finished. Leaving the loop (`break`, `return`, a throw)
 *   leaves the message in hand unacknowledged and hands it back to the server at once, so it is
 *   the first one the durable delivers next time: delivery is at-least-once, and consumers dedupe
 *   by `id` (ids are deterministic).
 * - `sub.consume(handler)`: acknowledges after the handler resolves; a handler that rejects stops
 *   the subscription (the message is handed back) and `consume` rejects with its error.
 *
 * `stop()` hands back everything pulled but not yet handed out, so a restart resumes at once
 * without waiting for `ackWaitMs`. Only a crashed process leaves deliveries to time out.
 *
 * A subscription has one consumer: one iterator (one `for await` loop) or one `consume`. A second
 * one, while the first runs or after it ended, throws {@link SubscriptionInUseError} (`consume`
 * rejects with it): asking for the next message acknowledges the one in hand, so two loops would
 * acknowledge each other's messages mid-handling. To share a durable's messages between loops,
 * open one subscription per loop on the same durable; each acknowledges only its own.
 */
export type TypedSubscription<T> = AsyncIterable<T> & {
  readonly durable: string;
  readonly filterSubject: string;
  consume(handler: (value: T, meta: DeliveryMeta) => unknown): Promise<void>;
  /** Ends the subscription; in `consume` mode after the running handler. Do not await it inside a handler. */
  stop(): Promise<void>;
};

export type OpenArgs<T> = Readonly<{
  conn: Connection;
  schema: z.ZodType<T>;
  filterSubject: string;
  opts: SubscribeOptions;
  /** Option names the caller read into `filterSubject` (`subscribeOrders`' strategy, venue, symbol): not refused as unknown. */
  filterKeys?: readonly string[];
  /**
   * Decides whether a valid message is handed over (true) or acknowledged without it (false: the
   * screen reported it itself, as `subscribeOrders` does with an expired order). A screen that
   * throws ends the subscription with that error, the message handed back.
   */
  screen?: (value: T, meta: DeliveryMeta) => Promise<boolean>;
}>;

type Pulled<T> = Readonly<{ value: T; meta: DeliveryMeta }>;

const ACK = new TextEncoder().encode('+ACK');
const NAK = new TextEncoder().encode('-NAK');
/** An idle pull long-polls this long, then the next is sent. */
const LONG_POLL_MS = 5_000;

/**
 * Opens a typed subscription on `filterSubject`; the durable is created if it does not exist.
 * Options no subscription can use (`batch: 1.5`, `durable: 'a.b'`), or that it does not know
 * (`symbols`, `deliverPolicy`: they would be ignored), throw {@link ClientValidationError} first.
 */
export async function openSubscription<T>({ conn, schema, filterSubject, opts, filterKeys, screen }: OpenArgs<T>): Promise<TypedSubscription<T>> {
  checkSubscribeOptions(opts, filterKeys);
  const js = toJetStream(conn);
  const nc = natsOf(conn);
  const stream = opts.stream ?? 'SIGNALS';
  const batch = opts.batch ?? 64;
  try {
    await ensureDurable(await js.jetstreamManager(), {
      stream,
      durable: opts.durable,
      filterSubject,
      deliver: opts.deliver ?? 'all',
      ackWaitMs: opts.ackWaitMs ?? 30_000,
      maxAckPending: Math.max(batch, 1_000),
    });
  } catch (e) {
    const refused = inboxRefusal(e, nc);
    if (refused !== undefined) throw refused;
    if (isStreamNotFound(e)) {
      throw new NoStreamError(`stream ${stream} not found for ${filterSubject}: give \`stream\` as the engine's streamNamePrefix + SIGNALS along with its \`prefix\`, and start the engine once so it provisions its streams`, { cause: e });
    }
    if (isFilterNotInStream(e)) {
      throw new NoStreamError(notStoredReason(stream, filterSubject, opts.prefix ?? 'sx'), { cause: e });
    }
    throw e;
  }
  const puller = createPuller(nc, { stream, durable: opts.durable, batch, expiresMs: LONG_POLL_MS });
  const dlqSource = opts.dlq === false ? undefined : opts.dlq === true ? 'client' : opts.dlq !== undefined ? opts.dlq.source : opts.onInvalid === undefined ? 'client' : undefined;

  /** Pulled, not handed out yet. */
  let queue: Delivery[] = [];
  /** Handed out, not yet acknowledged. */
  let held: Delivery | undefined;
  let stopped = false;
  let consuming: Promise<void> | undefined;
  /** The one consumer this subscription hands messages to; see {@link TypedSubscription}. */
  let consumer: 'an iterator (for await)' | 'consume()' | undefined;
  const claim = (by: NonNullable<typeof consumer>): void => {
    if (consumer !== undefined) {
      const state = stopped ? 'was consumed by' : 'is already consumed by';
      const fix = stopped ? 'open a new subscription on the durable to resume' : 'open one subscription per consumer on the same durable to share its messages';
      throw new SubscriptionInUseError(`subscription ${opts.durable} (${filterSubject}) ${state} ${consumer}: it takes one consumer, which acknowledges its own messages; ${fix}`);
    }
    consumer = by;
  };
  /** Serialises everything that pulls or settles. */
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <R>(f: () => Promise<R>): Promise<R> => {
    const p = chain.then(f);
    chain = p.catch(() => {});
    return p;
  };

  const settleHeld = (ok: boolean): void => {
    if (held !== undefined) nc.publish(held.reply, ok ? ACK : NAK);
    held = undefined;
  };

  /** Hands back everything pulled and not handled, and makes sure the server has every ack and nak. */
  const shutdown = async (): Promise<void> => {
    settleHeld(false);
    for (const d of queue) nc.publish(d.reply, NAK);
    queue = [];
    puller.close();
    if (!nc.isClosed()) await nc.flush();
  };

  /** Runs `report` on a message taken out of the stream, then acknowledges it; when `report` throws, ends the subscription instead. */
  const settleAfter = async <R>(d: Delivery, report: () => Promise<R>): Promise<R> => {
    let r: R;
    try {
      r = await report();
    } catch (e) {
      // Not reported: the subscription ends, handing this one back with the rest, so it is taken
      // (and reported) again on the next start; the error reaches the loop or `consume`.
      stopped = true;
      nc.publish(d.reply, NAK);
      await shutdown();
      throw e;
    }
    return r;
  };

  const refuse = async (d: Delivery, reason: RefusalReason, detail: string): Promise<void> => {
    const invalid: InvalidMessage = { durable: opts.durable, subject: d.subject, streamSeq: d.streamSeq, data: d.data, reason, detail };
    await settleAfter(d, async () => {
      await opts.onInvalid?.(invalid);
      if (dlqSource !== undefined) await publishDlq(js, opts.prefix ?? 'sx', dlqSource, d, reason, detail);
    });
    nc.publish(d.reply, ACK);
  };

  const pull = async (): Promise<Pulled<T> | undefined> => {
    settleHeld(true);
    for (;;) {
      if (stopped) {
        await shutdown();
        return undefined;
      }
      const d = queue.shift();
      if (d === undefined) {
        // Acks go out before the next pull on the same connection, so the server counts them first.
        try {
          queue = await puller.pull();
        } catch (e) {
          // The server refused the pull's inbox (InboxRefusedError): no pull can be answered, so the subscription ends with it.
          stopped = true;
          await shutdown();
          throw e;
        }
        continue;
      }
      const checked = decodeWith(schema, d.data);
      if (!checked.ok) {
        await refuse(d, checked.reason, checked.detail);
        continue;
      }
      const meta: DeliveryMeta = { subject: d.subject, streamSeq: d.streamSeq, redelivered: d.redelivered };
      if (screen !== undefined && !(await settleAfter(d, () => screen(checked.value, meta)))) {
        nc.publish(d.reply, ACK);
        continue;
      }
      held = d;
      return { value: checked.value, meta };
    }
  };

  const stop = async (): Promise<void> => {
    stopped = true;
    // Wakes a long poll in progress: it resolves with nothing, and whatever it gets later is handed back.
    puller.close();
    if (consuming !== undefined) return consuming.catch(() => undefined);
    await serial(shutdown);
  };

  const consume = (handler: (value: T, meta: DeliveryMeta) => unknown): Promise<void> => {
    // Not a function threw at the first message, with that message handed back and a TypeError.
    if (typeof handler !== 'function') return Promise.reject(new ClientValidationError(`consume needs a handler function, got ${typeof handler}`));
    try {
      claim('consume()');
    } catch (e) {
      return Promise.reject(e as Error);
    }
    consuming = (async () => {
      for (;;) {
        const next = await serial(pull);
        if (next === undefined) return;
        try {
          await handler(next.value, next.meta);
        } catch (e) {
          stopped = true;
          await serial(shutdown);
          throw e;
        }
        await serial(async () => settleHeld(true));
      }
    })();
    return consuming;
  };

  return {
    durable: opts.durable,
    filterSubject,
    consume,
    stop,
    [Symbol.asyncIterator]: (): AsyncIterator<T> => {
      claim('an iterator (for await)');
      return {
        next: () => serial(pull).then((p): IteratorResult<T> => (p === undefined ? { done: true, value: undefined } : { done: false, value: p.value })),
        return: async (): Promise<IteratorResult<T>> => {
          await stop();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

async function publishDlq(js: JetStreamClient, prefix: string, source: string, d: Delivery, reason: RefusalReason, detail: string): Promise<void> {
  // The stream sequence in the id: the same bytes stored twice are two refusals and two entries; a redelivery is one.
  const entry = toDlqEntry({ source, subject: d.subject, data: d.data, refusal: { ok: false, reason, detail }, ts: d.tsMs, streamSeq: d.streamSeq });
  await js.publish(subjectsFor(prefix).dlq(source), encode(entry), { msgID: entry.id });
}
