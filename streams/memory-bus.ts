import type { BatchHandler, Bus, BusStatus, ConsumerSpec, Consumption, Delivery, PublishAck, RequestHandler, Subscription, ValuePublisher } from './bus.js';
import { filterTakes, READ_STORED_MAX, subjectMatches } from './bus.js';
import { BusClosedError, BusError, BusTimeoutError, NoResponderError, StreamNotFoundError } from './errors.js';
import { runConsumption } from './memory-consumption.js';
import type { Durable } from './memory-stream.js';
import { firstAfter, MemoryStream, StoredMessage } from './memory-stream.js';

export type MemoryBusOptions = Readonly<{
  /**
   * The clock of the `msgId` duplicate window (a backtest passes its simulated clock, so the
   * window is measured in event time). Without it the window is the life of the process: the bus
   * never reads the wall clock (backtests replay months in seconds, and results must not depend
   * on how fast they ran), and "duplicate forever" agrees with NATS inside any real window.
   */
  now?: () => number;
  /**
   * Streams whose messages are dropped once every durable of the stream has acknowledged them
   * (a backtest's market data, read once by the asset actors): memory stays bounded by what is
   * unread. A durable created afterwards, `countMessages` and `lastMessage` see only what is left.
   */
  trimAcked?: readonly string[];
  /**
   * Streams that keep no message while no durable reads them (a backtest's decision outputs when
   * nothing asked to read them afterwards): publishes are still deduplicated, acknowledged and
   * delivered to core subscribers, but not stored. A durable created later reads what is
   * published from then on. Without this, a backtest holds every prediction, suggestion, order
   * and fill it made — hundreds of MB that each young-generation collection copies or promotes.
   */
  discardUnread?: readonly string[];
}>;

/**
 * A delivery of the in-memory bus. `value` is there when the message was published in process
 * with {@link MemoryBus.publishValue}: the object the publisher had, which JSON-encodes to `data`.
 * A consumer may read it instead of parsing `data`, but owes it the same validation.
 */
export type InProcessDelivery = Delivery & Readonly<{ value?: object }>;

/**
 * The memory bus publishes objects as they are (`publishValue`): consumers get them as `value`
 * (see {@link InProcessDelivery}), and their JSON only if they read `data`. For backtests, which
 * hand millions of messages from one part of the process to another.
 */
export type MemoryBus = Bus & ValuePublisher;

type CoreSub = { pattern: string; handler: (subject: string, data: Uint8Array) => void; active: boolean };
type Served = { pattern: string; handler: RequestHandler; active: boolean };
const NO_SUBS: readonly CoreSub[] = [];

/**
 * The Bus in process, for backtests, the embedded demo and tests, with the semantics of the NATS
 * adapter: streams capture subjects (overlaps refused), per-stream sequences, `msgId` dedup,
 * durable consumers whose batches are handed over in stream order and acknowledged whole,
 * redelivery (marked `redelivered`) of a batch whose handler rejected, core pub/sub with wildcards
 * (which, as on NATS, also carries what is published into streams).
 * Retention limits (`maxAgeMs`, `maxBytes`) are not applied: a process keeps what it published.
 *
 * Delivery is driven by promises and one `setImmediate` per batch (so timers and I/O interleave),
 * never a timer per message; a failed batch is retried after a short backoff. Each durable reads
 * from an index of its filter subject (`memory-stream.ts`), so consumers with narrow filters on
 * a busy stream visit only their own messages.
 */
export function createMemoryBus(opts: MemoryBusOptions = {}): MemoryBus {
  const streams = new Map<string, MemoryStream>();
  const route = new Map<string, MemoryStream | null>();
  const subs = new Set<CoreSub>();
  /** subject → the core subscribers whose pattern matches it (cleared when one comes or goes). */
  const subsBySubject = new Map<string, readonly CoreSub[]>();
  const responders = new Set<Served>();
  const statusListeners = new Set<(s: BusStatus) => void>();
  const consumptions = new Set<Consumption>();
  let closed = false;

  const trimmed = new Set(opts.trimAcked ?? []);
  const discarding = new Set(opts.discardUnread ?? []);
  const emitStatus = (s: BusStatus): void => {
    for (const l of statusListeners) l(s);
  };
  const streamFor = (subject: string): MemoryStream | undefined => {
    let s = route.get(subject);
    if (s === undefined) {
      s = null;
      for (const c of streams.values()) if (c.spec.subjects.some((p) => subjectMatches(p, subject))) s = c;
      route.set(subject, s);
    }
    return s ?? undefined;
  };

  const coreTargets = (subject: string): readonly CoreSub[] => {
    if (subs.size === 0) return NO_SUBS;
    let targets = subsBySubject.get(subject);
    if (targets === undefined) {
      targets = [...subs].filter((sub) => subjectMatches(sub.pattern, subject));
      // Bounded: subjects come from a small set of patterns, but `emit` takes any.
      if (subsBySubject.size >= 10_000) subsBySubject.clear();
      subsBySubject.set(subject, targets);
    }
    return targets;
  };
  /**
   * Core delivery to the subscribers whose pattern matches `subject`; the bytes are made only
   * when someone listens. Asynchronous like the network: the emitter never runs subscriber code,
   * and a throwing subscriber surfaces as an uncaught error without starving the others.
   */
  const deliverCore = (subject: string, bytes: Uint8Array | Readonly<{ data: Uint8Array }>): void => {
    const targets = coreTargets(subject);
    if (targets.length === 0) return;
    const data = bytes instanceof Uint8Array ? bytes : bytes.data;
    queueMicrotask(() => {
      for (const t of targets) {
        if (!t.active) continue;
        try {
          t.handler(subject, data);
        } catch (e) {
          queueMicrotask(() => {
            throw e;
          });
        }
      }
    });
  };

  /** Stores at once (or finds the duplicate); throws what the publish rejects with. */
  const storeNow = (subject: string, data: Uint8Array | undefined, value: object | undefined, msgId: string | undefined): PublishAck => {
    if (closed) throw new BusClosedError();
    const s = streamFor(subject);
    if (s === undefined) throw new BusError(`no stream captures subject ${subject}`, false);
    if (msgId !== undefined) {
      const seq = s.duplicateOf(msgId);
      if (seq !== undefined) {
        // As on NATS: the stream keeps one copy, but a publish is still a publish on the subject.
        deliverCore(subject, data ?? new StoredMessage(subject, undefined, value, seq));
        return { stream: s.spec.name, seq, duplicate: true };
      }
    }
    const m = s.append(subject, data, value, msgId);
    // NATS delivers a message published into a stream to the subject's core subscribers as well
    // (the dashboard feed and `sextant ctl` watchers listen that way).
    deliverCore(subject, m);
    return { stream: s.spec.name, seq: m.streamSeq, duplicate: false };
  };
  const store = async (subject: string, data: Uint8Array | undefined, value: object | undefined, msgId: string | undefined): Promise<PublishAck> => storeNow(subject, data, value, msgId);
  const publish = (subject: string, data: Uint8Array, o?: { msgId?: string }): Promise<PublishAck> => store(subject, data, undefined, o?.msgId);

  const consume = (spec: ConsumerSpec, handler: BatchHandler): Consumption => {
    const s = streams.get(spec.stream);
    const refused = closed ? new BusClosedError() : s === undefined ? new StreamNotFoundError(spec.stream) : undefined;
    const existing = s?.durables.get(spec.durable);
    if (refused !== undefined || s === undefined || existing?.active === true) {
      const done = Promise.reject(refused ?? new BusError(`durable ${spec.durable} on ${spec.stream} is already being consumed`, false));
      done.catch(() => {});
      return { stop: async () => {}, done };
    }
    const index = s.indexOf(spec.filterSubject);
    index.users++;
    const durable: Durable = existing ?? { ackFloor: spec.startAfter ?? 0, delivered: 0, filter: spec.filterSubject, index, redeliver: new Set(), active: false };
    if (existing !== undefined) s.release(existing.index);
    s.durables.set(spec.durable, durable);
    durable.active = true;
    durable.filter = spec.filterSubject;
    durable.index = index;
    durable.delivered = durable.ackFloor;
    const c = runConsumption(s, durable, spec, handler, { emitStatus, isClosed: () => closed, acked: trimmed.has(s.spec.name) ? () => s.trim() : undefined });
    consumptions.add(c);
    const forget = (): void => {
      durable.active = false;
      consumptions.delete(c);
    };
    c.done.then(forget, forget);
    return c;
  };

  const bus: MemoryBus = {
    kind: 'memory',
    publish,
    publishValue: (subject, value, o) => store(subject, undefined, value, o?.msgId),
    publishValueNow: (subject, value, msgId) => storeNow(subject, undefined, value, msgId),
    emit: (subject, data) => {
      if (!closed) deliverCore(subject, data);
    },
    subscribe: (pattern, handler): Subscription => {
      const sub: CoreSub = { pattern, handler, active: true };
      subs.add(sub);
      subsBySubject.clear();
      return {
        unsubscribe: () => {
          sub.active = false;
          subs.delete(sub);
          subsBySubject.clear();
        },
      };
    },
    serve: (subject, handler): Subscription => {
      const r: Served = { pattern: subject, handler, active: true };
      responders.add(r);
      return {
        unsubscribe: () => {
          r.active = false;
          responders.delete(r);
        },
      };
    },
    request: async (subject, data, timeoutMs) => {
      if (closed) throw new BusClosedError();
      const r = [...responders].find((x) => x.active && subjectMatches(x.pattern, subject));
      if (r === undefined) throw new NoResponderError(subject);
      // As on the network, the responder runs later, not inside the caller's frame.
      await Promise.resolve();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new BusTimeoutError(`no reply on ${subject} within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        return await Promise.race([Promise.resolve(r.handler(data, subject)), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    consume,
    ensureStreams: async (specs) => {
      for (const spec of specs) {
        for (const other of streams.values()) {
          if (other.spec.name === spec.name) continue;
          const clash = spec.subjects.find((a) => other.spec.subjects.some((b) => patternsOverlap(a, b)));
          if (clash !== undefined) throw new BusError(`stream ${spec.name}: subject ${clash} overlaps stream ${other.spec.name}`, false);
        }
        const existing = streams.get(spec.name);
        if (existing !== undefined && existing.spec.storage !== spec.storage) {
          throw new BusError(`stream ${spec.name} exists with ${existing.spec.storage} storage, the spec wants ${spec.storage}`, false);
        }
        if (existing !== undefined) existing.spec = spec;
        else streams.set(spec.name, new MemoryStream(spec, opts.now, discarding.has(spec.name)));
        route.clear();
      }
    },
    deleteStreams: async (names) => {
      for (const n of names) {
        const s = streams.get(n);
        if (s === undefined) continue;
        streams.delete(n);
        route.clear();
        s.deleted = true;
        s.wake();
      }
    },
    deleteConsumer: async (stream, durable) => {
      const s = streams.get(stream);
      const d = s?.durables.get(durable);
      // A running consumption keeps its own position, as on NATS where it would recreate the durable.
      if (s === undefined || d === undefined || d.active) return;
      s.durables.delete(durable);
      s.release(d.index);
    },
    countMessages: async (stream, filterSubject) => {
      const s = streams.get(stream);
      if (s === undefined) throw new StreamNotFoundError(stream);
      if (filterSubject === undefined) return s.msgs.length;
      let n = 0;
      for (const m of s.msgs) if (subjectMatches(filterSubject, m.subject)) n++;
      return n;
    },
    lastMessage: async (stream, subject) => {
      const s = streams.get(stream);
      if (s === undefined) throw new StreamNotFoundError(stream);
      for (let i = s.msgs.length - 1; i >= 0; i--) {
        const m = s.msgs[i]!;
        if (m.subject === subject) return { subject: m.subject, data: m.data, streamSeq: m.streamSeq };
      }
      return undefined;
    },
    readNewest: async (stream, filterSubject, o) => {
      const s = streams.get(stream);
      if (s === undefined) throw new StreamNotFoundError(stream);
      const from = o?.fromSeq ?? 0;
      const found = s.msgs.filter((m) => m.streamSeq >= from && filterTakes(filterSubject, m.subject));
      const max = o?.max ?? READ_STORED_MAX;
      if (!Number.isInteger(max) || max < 1) throw new BusError(`readNewest max must be a positive integer, got ${max}`, false);
      const kept = found.slice(Math.max(0, found.length - max));
      return { messages: kept.map((m) => ({ subject: m.subject, data: m.data, streamSeq: m.streamSeq })), skipped: found.length - kept.length };
    },
    readFrom: async (stream, filterSubject, o) => {
      const s = streams.get(stream);
      if (s === undefined) throw new StreamNotFoundError(stream);
      const from = o?.fromSeq ?? 0;
      const found = s.msgs.filter((m) => m.streamSeq >= from && filterTakes(filterSubject, m.subject));
      const max = o?.max ?? READ_STORED_MAX;
      if (!Number.isInteger(max) || max < 1) throw new BusError(`readFrom max must be a positive integer, got ${max}`, false);
      const kept = found.slice(0, max);
      return { messages: kept.map((m) => ({ subject: m.subject, data: m.data, streamSeq: m.streamSeq })), remaining: found.length - kept.length };
    },
    consumerInfo: async (stream, name) => {
      const s = streams.get(stream);
      if (s === undefined) throw new StreamNotFoundError(stream);
      const d = s.durables.get(name);
      if (d === undefined) return undefined;
      let pending = 0;
      let ackPending = 0;
      const msgs = d.index.msgs;
      for (let i = firstAfter(msgs, d.ackFloor); i < msgs.length; i++) {
        if (d.active && (msgs[i] as StoredMessage).streamSeq <= d.delivered) ackPending++;
        else pending++;
      }
      return { pending, ackPending, ackFloor: d.ackFloor };
    },
    onStatus: (listener) => {
      statusListeners.add(listener);
      return { unsubscribe: () => void statusListeners.delete(listener) };
    },
    // Lets queued core deliveries (microtasks) run, as a NATS flush lets the server catch up.
    flush: () => new Promise<void>((r) => setImmediate(r)),
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all([...consumptions].map((c) => c.stop()));
      subs.clear();
      responders.clear();
      emitStatus({ type: 'closed' });
    },
  };
  return bus;
}

/** Can one subject match both patterns? (`*` one token, `>` one or more trailing tokens.) */
export function patternsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < x.length && i < y.length; i++) {
    if (x[i] === '>' || y[i] === '>') return true;
    if (x[i] !== '*' && y[i] !== '*' && x[i] !== y[i]) return false;
  }
  return x.length === y.length;
}
