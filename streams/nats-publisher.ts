import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { PublishAck } from './bus.js';
import { BusClosedError, BusError, BusTimeoutError } from './errors.js';
import { msgIdHeader } from './nats-msg-id-header.js';
import { inboxFor, inboxPrefixOf } from './nats-inbox.js';
import { BUS_INBOX_REMEDY, inboxRefusedMessage, refusedInboxOf } from './nats-inbox-refusal.js';

export type JsPublisherOptions = Readonly<{
  /** How long a publish may wait for the stream's acknowledgement, queueing included. */
  timeoutMs: number;
  /** Most publishes awaiting an acknowledgement; more queue, in call order, until one settles. */
  maxInFlight: number;
}>;

export type JsPublisher = {
  publish(subject: string, data: Uint8Array, msgId: string | undefined): Promise<PublishAck>;
  /** Resolves once every publish issued so far has settled (acknowledged, failed or timed out). */
  settled(): Promise<void>;
  /** The connection dropped: fail what awaits an acknowledgement (it is lost) and hold new publishes. */
  pause(): void;
  /** The connection is back and JetStream answers: send what was held. */
  resume(): void;
  /** Fails everything pending and stops listening for acknowledgements. */
  close(): void;
};

type Pending = { subject: string; data: Uint8Array; msgId: string | undefined; resolve: (ack: PublishAck) => void; reject: (e: Error) => void; since: number };
type JsPubAck = { stream?: string; seq?: number; duplicate?: boolean; error?: { code?: number; err_code?: number; description?: string } };

const decoder = new TextDecoder();

/**
 * JetStream publishing pipelined on one connection. `jetstream(nc).publish()` is a full request per
 * message (reply routing, a timer and a retry loop each), and bulk callers keep ~1,000 publishes in
 * flight; here every publish is a plain core publish whose reply subject carries a counter, all
 * acknowledgements arrive on one wildcard subscription, and one interval, running only while
 * something is pending, times them out. Order on the wire is call order, so the stream stores
 * messages in call order. Nothing is retried here (a retry would reorder): callers retry a
 * retryable failure with the same msgId and the stream deduplicates.
 *
 * While the connection is down nothing is sent: a message published into a restarting server
 * before JetStream is up is dropped without an answer, so the bus resumes the publisher only once
 * JetStream responds again.
 */
export function createJsPublisher(nc: NatsConnection, opts: JsPublisherOptions): JsPublisher {
  const prefix = `${inboxFor(nc)}.`;
  /** Sent, awaiting the acknowledgement; insertion order = send order. */
  const waiting = new Map<number, Pending>();
  /** Not sent yet (over maxInFlight, or paused); a FIFO with a moving head. */
  let queue: Array<Pending | undefined> = [];
  let head = 0;
  let nextId = 0;
  let paused = false;
  let closed = false;
  /** The server refused (or nats.js closed) the acknowledgement subscription: nothing can be acknowledged any more. */
  let broken: { why: string; cause: Error } | undefined;
  let sweeper: ReturnType<typeof setInterval> | undefined;
  let idle: Array<() => void> = [];

  const queued = (): number => queue.length - head;

  const housekeep = (): void => {
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    if (waiting.size === 0 && queued() === 0) {
      if (sweeper !== undefined) clearInterval(sweeper);
      sweeper = undefined;
      const done = idle;
      idle = [];
      for (const r of done) r();
    }
  };

  const send = (p: Pending): void => {
    const id = nextId++;
    p.since = performance.now();
    waiting.set(id, p);
    const reply = `${prefix}${id}`;
    try {
      nc.publish(p.subject, p.data, p.msgId === undefined ? { reply } : { reply, headers: msgIdHeader(p.msgId) });
    } catch (e) {
      waiting.delete(id);
      p.reject(new BusError(`publish to ${p.subject} failed: ${(e as Error).message}`, !nc.isClosed(), { cause: e }));
    }
  };

  const pump = (): void => {
    while (!paused && waiting.size < opts.maxInFlight && head < queue.length) {
      const p = queue[head];
      queue[head++] = undefined; // let it be collected
      if (p !== undefined) send(p);
    }
    housekeep();
  };

  const sweep = (): void => {
    const cutoff = performance.now() - opts.timeoutMs;
    for (const [id, p] of waiting) {
      if (p.since > cutoff) break;
      waiting.delete(id);
      p.reject(new BusTimeoutError(`no acknowledgement for a publish to ${p.subject} within ${opts.timeoutMs} ms; it may or may not be stored`));
    }
    for (let p = queue[head]; p !== undefined && p.since <= cutoff; p = queue[head]) {
      queue[head++] = undefined;
      p.reject(new BusTimeoutError(`a publish to ${p.subject} waited ${opts.timeoutMs} ms without being sent (connection down); it was not stored`));
    }
    pump();
  };

  /**
   * An error on the acknowledgement subscription ends it (nats.js closes a subscription the server
   * refused): what awaits or queues for an acknowledgement fails now, naming the cause, instead of
   * timing out one by one, and so does every later publish.
   */
  const fail = (err: Error): void => {
    const refused = refusedInboxOf(err, inboxPrefixOf(nc));
    const why = refused !== undefined ? inboxRefusedMessage(refused, inboxPrefixOf(nc), BUS_INBOX_REMEDY) : `the subscription for publish acknowledgements failed: ${err.message}`;
    broken = { why, cause: err };
    // Sent ones reached the server, which takes a message whose reply subject nobody may read.
    for (const p of waiting.values()) p.reject(new BusError(`publish to ${p.subject} failed, it may or may not be stored: ${why}`, false, { cause: err }));
    for (let i = head; i < queue.length; i++) queue[i]?.reject(new BusError(`publish to ${queue[i]?.subject} not sent: ${why}`, false, { cause: err }));
    waiting.clear();
    queue = [];
    head = 0;
    housekeep();
  };

  const onAck = (err: Error | null, m: Msg): void => {
    if (err !== null) return fail(err);
    const id = Number(m.subject.slice(prefix.length));
    const p = waiting.get(id);
    if (p === undefined) return; // timed out or failed already
    waiting.delete(id);
    settleAck(p, m);
    pump();
  };

  const sub: Subscription = nc.subscribe(`${prefix}*`, { callback: onAck });

  return {
    publish: (subject, data, msgId) =>
      new Promise<PublishAck>((resolve, reject) => {
        if (closed) return reject(new BusClosedError());
        if (broken !== undefined) return reject(new BusError(`publish to ${subject} not sent: ${broken.why}`, false, { cause: broken.cause }));
        const p: Pending = { subject, data, msgId, resolve, reject, since: performance.now() };
        sweeper ??= setInterval(sweep, Math.max(10, Math.min(1_000, opts.timeoutMs / 4)));
        if (!paused && waiting.size < opts.maxInFlight && queued() === 0) send(p);
        else queue.push(p);
      }),
    settled: () =>
      new Promise<void>((resolve) => {
        idle.push(resolve);
        housekeep();
      }),
    pause: () => {
      paused = true;
      for (const p of waiting.values()) {
        p.reject(new BusError(`connection lost before the acknowledgement of a publish to ${p.subject}; it may or may not be stored`, true));
      }
      waiting.clear();
      housekeep();
    },
    resume: () => {
      paused = false;
      const now = performance.now();
      for (const p of queue) if (p !== undefined) p.since = now; // the clock restarts once sendable
      pump();
    },
    close: () => {
      closed = true;
      for (const p of queue) p?.reject(new BusClosedError());
      for (const p of waiting.values()) p.reject(new BusClosedError('bus closed before the acknowledgement arrived'));
      queue = [];
      head = 0;
      waiting.clear();
      sub.unsubscribe();
      housekeep();
    },
  };
}

/** Resolves or rejects one publish from the stream's answer (a PubAck, a JetStream error or a status). */
function settleAck(p: Pending, m: Msg): void {
  const code = m.headers?.code ?? 0;
  if (code === 503) return p.reject(new BusError(`no stream captures subject ${p.subject} (or JetStream is unavailable)`, false));
  if (code >= 400) return p.reject(new BusError(`publish to ${p.subject} failed: ${code} ${m.headers?.description ?? ''}`.trim(), code === 408));
  let ack: JsPubAck;
  try {
    ack = JSON.parse(decoder.decode(m.data)) as JsPubAck;
  } catch (e) {
    return p.reject(new BusError(`unreadable acknowledgement for ${p.subject}`, true, { cause: e }));
  }
  if (ack.error !== undefined) {
    const status = ack.error.code ?? 0;
    return p.reject(new BusError(`publish to ${p.subject} refused: ${ack.error.description ?? 'unknown error'} (${ack.error.err_code ?? status})`, status === 503 || status === 408));
  }
  if (typeof ack.stream !== 'string' || typeof ack.seq !== 'number') return p.reject(new BusError(`invalid acknowledgement for ${p.subject}`, true));
  p.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true });
}
