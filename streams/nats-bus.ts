import { jetstreamManager, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { Bus, BusStatus, Consumption, StreamSpec, Subscription } from './bus.js';
import { BusClosedError, BusConnectError, BusError, BusTimeoutError, NoResponderError, StreamNotFoundError } from './errors.js';
import type { SubscriptionRefusedError } from './errors.js';
import { natsReadFrom, natsReadNewest } from './nats-read-stored.js';
import { createJsPublisher } from './nats-publisher.js';
import { ackFloorOf, pullConsume } from './nats-pull-consumer.js';
import { coalesceWrites } from './nats-write-coalescing.js';
import { captureDisconnectCause, disconnectReason } from './nats-disconnect-cause.js';
import { inboxPrefixOf } from './nats-inbox.js';
import { BUS_INBOX_REMEDY, inboxRefusedMessage, refusedInboxOf } from './nats-inbox-refusal.js';
import { refusedStreamApiOf, streamRefusedError } from './nats-stream-refusal.js';
import { publishRefusedError, refusedPublishOf } from './nats-publish-refusal.js';
import { refusedSubjectOf, subscriptionRefusedError } from './nats-subscription-refusal.js';

export type NatsBusOptions = Readonly<{
  url: string;
  name: string;
  /** A first connection not established within this long fails with {@link BusConnectError}. */
  connectTimeoutMs: number;
  /** Publishes awaiting their acknowledgement at once; more queue in call order (default 4096). */
  maxInFlight?: number;
  /** Publish acknowledgement and JetStream API timeout (default 10 s). */
  requestTimeoutMs?: number;
  /** Credentials of a NATS user (see deploy/nats/sextant.conf: engine, operator, desk, dashboard). */
  user?: string;
  pass?: string;
  /**
   * Where replies come in (requests, JetStream API answers, publish acknowledgements, pulls):
   * `<inboxPrefix>.<random>`, nats.js's `_INBOX` when absent. deploy/nats/sextant.conf lets each user
   * subscribe to its own prefix only (`_INBOX_engine`, `_INBOX_operator`, …), so no login reads another's replies.
   */
  inboxPrefix?: string;
}>;

/** Stream "name already in use with a different configuration": the create was not idempotent, update instead. */
const STREAM_NAME_IN_USE = 10058;

const isApiError = (e: unknown, code: number): boolean => e instanceof JetStreamApiError && e.code === code;
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The Bus on NATS JetStream: pipelined JetStream publishing with `Nats-Msg-Id` dedup
 * (`nats-publisher.ts`), core NATS for `emit`/`subscribe`, durable pull consumers with strictly
 * ordered, whole-batch acknowledgement (`nats-pull-consumer.ts`), idempotent stream provisioning.
 *
 * The client reconnects forever (with jitter) once connected; only the first connection is given
 * up on, promptly, so the CLI can fall back to the in-process bus.
 *
 * @example const bus = await createNatsBus({ url: 'nats://127.0.0.1:4222', name: 'sextant', connectTimeoutMs: 2000 })
 */
export async function createNatsBus(opts: NatsBusOptions): Promise<Bus> {
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  const nc = await connectOnce(opts);
  // One socket write per event-loop turn (see the module); without the client's expected shape, writes stay as they were.
  coalesceWrites(nc);
  let jsmPromise: Promise<JetStreamManager> | undefined;
  const jsm = (): Promise<JetStreamManager> => {
    jsmPromise ??= jetstreamManager(nc, { timeout: requestTimeoutMs }).catch((e: unknown) => {
      jsmPromise = undefined; // JetStream may be starting: ask again next time
      throw e;
    });
    return jsmPromise;
  };

  const cause = captureDisconnectCause(nc);
  const publisher = createJsPublisher(nc, { timeoutMs: requestTimeoutMs, maxInFlight: opts.maxInFlight ?? 4096 });
  const statusListeners = new Set<(s: BusStatus) => void>();
  /**
   * Calls each listener on its own: one that throws does not keep the others from hearing, nor end
   * the status loop below (which pauses and resumes the publisher); its error surfaces on its own.
   */
  const notify = (l: () => void): void => {
    try {
      l();
    } catch (e) {
      queueMicrotask(() => {
        throw e;
      });
    }
  };
  const emitStatus = (s: BusStatus): void => {
    for (const l of statusListeners) notify(() => l(s));
  };
  let up = true;
  /** Counts disconnects, so a readiness probe of an earlier connection does not resume a later one. */
  let epoch = 0;
  let whenUp: { promise: Promise<void>; resolve: () => void } | undefined;
  const disconnectListeners = new Set<() => void>();
  void (async () => {
    /** An error the server sent (`-ERR`) since the link came up: why it dropped when the socket says nothing. */
    let serverError: string | undefined;
    for await (const s of nc.status()) {
      if (s.type === 'error') {
        serverError = message(s.error);
      } else if (s.type === 'disconnect') {
        up = false;
        epoch++;
        publisher.pause();
        // Without the hook a socket error cannot be told from none: say only what the server said.
        const error = cause.hooked ? disconnectReason(cause.take(), serverError) : serverError;
        serverError = undefined;
        emitStatus({ type: 'disconnected', server: s.server, ...(error !== undefined && error !== '' ? { error } : {}) });
        for (const l of disconnectListeners) notify(l);
      } else if (s.type === 'reconnecting') {
        emitStatus({ type: 'reconnecting' });
      } else if (s.type === 'reconnect') {
        serverError = undefined;
        emitStatus({ type: 'reconnected', server: s.server });
        // A restarted server takes a moment to bring JetStream back, and publishes sent before
        // that vanish unanswered: resume once JetStream responds, unless the link dropped again.
        const at = epoch;
        void jetStreamReady(nc, () => epoch !== at).then((ready) => {
          if (!ready || epoch !== at) return;
          up = true;
          publisher.resume();
          whenUp?.resolve();
          whenUp = undefined;
        });
      }
    }
  })().catch(() => {});
  void nc.closed().then(() => {
    whenUp?.resolve();
    emitStatus({ type: 'closed' });
  });
  const connected = (): Promise<void> => {
    if (up || nc.isClosed()) return Promise.resolve();
    if (whenUp === undefined) {
      let resolve = (): void => {};
      const promise = new Promise<void>((r) => (resolve = r));
      whenUp = { promise, resolve };
    }
    return whenUp.promise;
  };

  /**
   * A core subscription whose refusal by the server (a login without the permission: nats.js
   * closes the subscription) is said as a `subscription-refused` status and by `accepted()`,
   * instead of the subscription going silent: an engine whose `sx.ctl.>` was refused could not be halted.
   */
  const coreSubscribe = (subject: string, onMsg: (msg: Msg) => void): Subscription => {
    let refused: SubscriptionRefusedError | undefined;
    const sub = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err === null) return onMsg(msg);
        const at = refusedSubjectOf(err);
        if (at === undefined || refused !== undefined) return;
        refused = subscriptionRefusedError(at, opts.user, err);
        emitStatus({ type: 'subscription-refused', subject: at, error: refused.message });
      },
    });
    return {
      unsubscribe: () => sub.unsubscribe(),
      accepted: async () => {
        // The server answers a SUB's refusal before the PONG of a flush sent after it.
        if (refused === undefined && !nc.isClosed()) await nc.flush();
        if (refused !== undefined) throw refused;
      },
    };
  };

  const consumptions = new Set<Consumption>();
  const activeDurables = new Set<string>();
  let closing = false;

  const bus: Bus = {
    kind: 'nats',
    publish: (subject, data, o) => publisher.publish(subject, data, o?.msgId),
    emit: (subject, data) => {
      if (!closing) nc.publish(subject, data);
    },
    subscribe: (pattern, handler): Subscription =>
      coreSubscribe(pattern, (msg) => {
        try {
          handler(msg.subject, msg.data);
        } catch (e) {
          // A throw inside the client's read loop would tear the connection down for everyone:
          // surface it as an uncaught error of its own instead (as the in-process bus does).
          queueMicrotask(() => {
            throw e;
          });
        }
      }),
    serve: (subject, handler): Subscription =>
      coreSubscribe(subject, (msg) => {
        void (async () => {
          try {
            msg.respond(await handler(msg.data, msg.subject));
          } catch {
            // The handler owns error replies; a throw leaves the requester to time out.
          }
        })();
      }),
    request: async (subject, data, timeoutMs) => {
      if (closing || nc.isClosed()) throw new BusClosedError();
      try {
        const reply = await nc.request(subject, data, { timeout: timeoutMs });
        return reply.data;
      } catch (e) {
        const m = message(e);
        const refused = refusedInboxOf(e, inboxPrefixOf(nc));
        if (refused !== undefined) throw new BusError(`request on ${subject} failed: ${inboxRefusedMessage(refused, inboxPrefixOf(nc), BUS_INBOX_REMEDY)}`, false, { cause: e });
        // The login may not publish there (the desk's on sx.engine.presence): said as a refusal, naming the login.
        if (refusedPublishOf(e) === subject) throw publishRefusedError(subject, opts.user, e);
        if (/no responders/i.test(m) || (e instanceof Error && e.name === 'NoRespondersError')) throw new NoResponderError(subject, { cause: e });
        if (/timeout/i.test(m)) throw new BusTimeoutError(`no reply on ${subject} within ${timeoutMs} ms`, { cause: e });
        throw new BusError(`request on ${subject} failed: ${m}`, false, { cause: e });
      }
    },
    consume: (spec, handler) => {
      const key = `${spec.stream}\u0000${spec.durable}`;
      if (closing || activeDurables.has(key)) {
        const error = closing ? new BusClosedError() : new BusError(`durable ${spec.durable} on ${spec.stream} is already being consumed by this bus`, false);
        const done = Promise.reject(error);
        done.catch(() => {});
        return { stop: async () => {}, done };
      }
      activeDurables.add(key);
      const c = pullConsume(
        {
          nc,
          jsm,
          emitStatus,
          connected,
          onDisconnect: (l) => {
            disconnectListeners.add(l);
            return () => void disconnectListeners.delete(l);
          },
          requestTimeoutMs,
        },
        spec,
        handler,
      );
      consumptions.add(c);
      const forget = (): void => {
        consumptions.delete(c);
        activeDurables.delete(key);
      };
      c.done.then(forget, forget);
      return c;
    },
    ensureStreams: async (specs) => {
      const m = await jsm().catch((e: unknown) => {
        // A login left on another's inbox prefix (the desk on _INBOX_engine) is refused its first JetStream reply.
        const refused = refusedInboxOf(e, inboxPrefixOf(nc));
        throw refused === undefined ? e : new BusError(`cannot reach JetStream to create the streams: ${inboxRefusedMessage(refused, inboxPrefixOf(nc), BUS_INBOX_REMEDY)}`, false, { cause: e });
      });
      for (const s of specs) await ensureStream(m, s, opts.user);
    },
    deleteStreams: async (names) => {
      const m = await jsm();
      for (const n of names) {
        try {
          await m.streams.delete(n);
        } catch (e) {
          if (!isApiError(e, JetStreamApiCodes.StreamNotFound)) throw new BusError(`cannot delete stream ${n}: ${message(e)}`, true, { cause: e });
        }
      }
    },
    deleteConsumer: async (stream, durable) => {
      try {
        await (await jsm()).consumers.delete(stream, durable);
      } catch (e) {
        if (isApiError(e, JetStreamApiCodes.StreamNotFound) || isApiError(e, JetStreamApiCodes.ConsumerNotFound)) return;
        throw new BusError(`cannot delete consumer ${durable} of ${stream}: ${message(e)}`, true, { cause: e });
      }
    },
    countMessages: async (stream, filterSubject) => {
      const m = await jsm();
      try {
        if (filterSubject === undefined) return (await m.streams.info(stream)).state.messages;
        // Per-subject counts of the matching subjects (paged by the client when there are many).
        const info = await m.streams.info(stream, { subjects_filter: filterSubject });
        let n = 0;
        for (const c of Object.values(info.state.subjects ?? {})) n += c;
        return n;
      } catch (e) {
        if (isApiError(e, JetStreamApiCodes.StreamNotFound)) throw new StreamNotFoundError(stream, { cause: e });
        throw new BusError(`cannot count messages of ${stream}: ${message(e)}`, true, { cause: e });
      }
    },
    lastMessage: async (stream, subject) => {
      const m = await jsm();
      try {
        const sm = await m.streams.getMessage(stream, { last_by_subj: subject });
        return sm === null ? undefined : { subject: sm.subject, data: sm.data, streamSeq: sm.seq };
      } catch (e) {
        if (isApiError(e, JetStreamApiCodes.StreamNotFound)) throw new StreamNotFoundError(stream, { cause: e });
        throw new BusError(`cannot read the last message of ${subject} in ${stream}: ${message(e)}`, true, { cause: e });
      }
    },
    readNewest: (stream, filterSubject, o) => natsReadNewest({ nc, jsm, requestTimeoutMs }, stream, filterSubject, o),
    readFrom: (stream, filterSubject, o) => natsReadFrom({ nc, jsm, requestTimeoutMs }, stream, filterSubject, o),
    consumerInfo: async (stream, durable) => {
      const m = await jsm();
      try {
        const ci = await m.consumers.info(stream, durable);
        return { pending: ci.num_pending, ackPending: ci.num_ack_pending, ackFloor: ackFloorOf(ci) };
      } catch (e) {
        if (isApiError(e, JetStreamApiCodes.StreamNotFound)) throw new StreamNotFoundError(stream, { cause: e });
        if (isApiError(e, JetStreamApiCodes.ConsumerNotFound)) return undefined;
        throw new BusError(`cannot read consumer ${durable} of ${stream}: ${message(e)}`, true, { cause: e });
      }
    },
    onStatus: (listener) => {
      statusListeners.add(listener);
      return { unsubscribe: () => void statusListeners.delete(listener) };
    },
    flush: async () => {
      await publisher.settled();
      if (!nc.isClosed()) await nc.flush();
    },
    close: async () => {
      if (closing) return;
      closing = true;
      await Promise.all([...consumptions].map((c) => c.stop()));
      await publisher.settled();
      publisher.close();
      // Draining needs the server; with the link down there is nothing left to drain.
      if (!nc.isClosed()) await (up ? nc.drain() : nc.close());
    },
  };
  return bus;
}

/** Polls until JetStream answers an API call; false if the connection dropped again or closed first. */
async function jetStreamReady(nc: NatsConnection, superseded: () => boolean): Promise<boolean> {
  while (!nc.isClosed() && !superseded()) {
    try {
      await nc.request('$JS.API.INFO', undefined, { timeout: 1_000 });
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return false;
}

/** Connects, giving up after `connectTimeoutMs` in all (refused, unreachable or silent server alike). */
async function connectOnce(opts: NatsBusOptions): Promise<NatsConnection> {
  const attempt = connect({
    servers: opts.url,
    name: opts.name,
    ...(opts.user !== undefined ? { user: opts.user, pass: opts.pass ?? '' } : {}),
    ...(opts.inboxPrefix !== undefined ? { inboxPrefix: opts.inboxPrefix } : {}),
    timeout: opts.connectTimeoutMs,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    reconnectJitter: 500,
    // Timeouts here are expected under load and reported as typed errors: skip the stack capture per request.
    noAsyncTraces: true,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection within ${opts.connectTimeoutMs} ms`)), opts.connectTimeoutMs);
  });
  try {
    return await Promise.race([attempt, timeout]);
  } catch (e) {
    // A connection that completes after we gave up must not linger.
    void attempt.then((nc) => nc.close()).catch(() => {});
    throw new BusConnectError(`cannot connect to NATS at ${opts.url}: ${message(e)}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

function streamConfig(s: StreamSpec): Partial<StreamConfig> & { name: string } {
  return {
    name: s.name,
    subjects: [...s.subjects],
    retention: RetentionPolicy.Limits,
    storage: s.storage === 'memory' ? StorageType.Memory : StorageType.File,
    max_age: nanos(s.maxAgeMs),
    duplicate_window: nanos(s.duplicateWindowMs),
    num_replicas: s.replicas ?? 1,
    max_bytes: s.maxBytes ?? -1,
  };
}

/**
 * Create, or update to match the spec; creating an identical stream is a no-op on the server. A
 * login that may not (`user`: the desk's) gets a {@link StreamRefusedError} naming the permission.
 */
async function ensureStream(m: JetStreamManager, s: StreamSpec, user: string | undefined): Promise<void> {
  const cfg = streamConfig(s);
  try {
    await m.streams.add(cfg);
    return;
  } catch (e) {
    const refused = refusedStreamApiOf(e);
    if (refused !== undefined) throw streamRefusedError(s.name, refused, user, e);
    if (!isApiError(e, STREAM_NAME_IN_USE)) throw new BusError(`cannot create stream ${s.name}: ${message(e)}`, false, { cause: e });
  }
  try {
    const current = (await m.streams.info(s.name)).config;
    if (current.storage !== cfg.storage) {
      throw new BusError(`stream ${s.name} exists with ${current.storage} storage, the spec wants ${s.storage}: delete it or change the spec`, false);
    }
    const { name: _name, storage: _storage, retention: _retention, ...updatable } = cfg;
    await m.streams.update(s.name, updatable);
  } catch (e) {
    if (e instanceof BusError) throw e;
    const refused = refusedStreamApiOf(e);
    if (refused !== undefined) throw streamRefusedError(s.name, refused, user, e);
    throw new BusError(`cannot update stream ${s.name}: ${message(e)}`, false, { cause: e });
  }
}
