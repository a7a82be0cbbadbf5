import type { BatchHandler, Bus, BusStatus, ConsumerSpec, Consumption, Delivery, PublishAck, RequestHandler, StreamSpec, Subscription } from './bus.js';
import { subjectMatches } from './bus.js';
import { BusClosedError, BusError, BusTimeoutError, NoResponderError, StreamNotFoundError } from './errors.js';

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
}>;

/** A stored message: its bytes, or (published in process with `publishValue`) the object, encoded on first read. */
type Stored = { readonly subject: string; data: Uint8Array | undefined; readonly value: object | undefined; readonly seq: number };

/**
 * A delivery of the in-memory bus. `value` is there when the message was published in process
 * with {@link MemoryBus.publishValue}: the object the publisher had, which JSON-encodes to `data`.
 * A consumer may read it instead of parsing `data`, but owes it the same validation.
 */
export type InProcessDelivery = Delivery & Readonly<{ value?: object }>;

export type MemoryBus = Bus & {
  /**
   * Publishes an object without encoding it: consumers get it as `value` (see
   * {@link InProcessDelivery}), and its JSON only if they read `data`. For backtests, which hand
   * millions of messages from one part of the process to another.
   */
  publishValue(subject: string, value: object, opts?: { msgId?: string }): Promise<PublishAck>;
};

const valueEncoder = new TextEncoder();
/** The bytes of a stored message (an in-process value is encoded once, on first use). */
function dataOf(m: Stored): Uint8Array {
  if (m.data === undefined) m.data = valueEncoder.encode(JSON.stringify(m.value));
  return m.data;
}
/** `delivered`: the last stream sequence handed to the handler (ahead of `ackFloor` while a batch is in hand). */
type Durable = { ackFloor: number; delivered: number; filter: string; redeliver: Set<number>; active: boolean };
type Stream = {
  spec: StreamSpec;
  msgs: Stored[];
  lastSeq: number;
  /** msgId → seq and when it was stored (by `now`, or 0 without a clock). */
  ids: Map<string, { seq: number; at: number }>;
  /** msgIds in insertion order, for expiry from the front when there is a clock. */
  idOrder: Array<{ id: string; at: number }>;
  idHead: number;
  durables: Map<string, Durable>;
  wakers: Set<() => void>;
  deleted: boolean;
  /** Messages dropped from the front (`trimAcked`): `msgs[i]` is the stream's (offset + i)-th. */
  offset: number;
};
type CoreSub = { pattern: string; handler: (subject: string, data: Uint8Array) => void; active: boolean };
type Served = { pattern: string; handler: RequestHandler; active: boolean };

const DEFAULT_BATCH = 256;

/**
 * The Bus in process, for backtests, the embedded demo and tests, with the semantics of the NATS
 * adapter: streams capture subjects (overlaps refused), per-stream sequences, `msgId` dedup,
 * durable consumers whose batches are handed over in stream order and acknowledged whole,
 * redelivery (marked `redelivered`) of a batch whose handler rejected, core pub/sub with wildcards
 * (which, as on NATS, also carries what is published into streams).
 * Retention limits (`maxAgeMs`, `maxBytes`) are not applied: a process keeps what it published.
 *
 * Delivery is driven by promises and one `setImmediate` per batch (so timers and I/O interleave),
 * never a timer per message; a failed batch is retried after a short backoff.
 */
export function createMemoryBus(opts: MemoryBusOptions = {}): MemoryBus {
  const streams = new Map<string, Stream>();
  const route = new Map<string, Stream | null>();
  const subs = new Set<CoreSub>();
  const responders = new Set<Served>();
  const statusListeners = new Set<(s: BusStatus) => void>();
  const consumptions = new Set<Consumption>();
  let closed = false;

  const trimmed = new Set(opts.trimAcked ?? []);
  /** Drops what every durable acknowledged, in chunks (each copy is paid for by the messages it drops). */
  const trim = (s: Stream): void => {
    let floor = Number.POSITIVE_INFINITY;
    for (const d of s.durables.values()) floor = Math.min(floor, d.ackFloor);
    const k = firstAfter(s.msgs, floor);
    if (k < 4096 || k * 4 < s.msgs.length - k) return;
    s.msgs = s.msgs.slice(k);
    s.offset += k;
  };
  const emitStatus = (s: BusStatus): void => {
    for (const l of statusListeners) l(s);
  };
  const streamFor = (subject: string): Stream | undefined => {
    let s = route.get(subject);
    if (s === undefined) {
      s = null;
      for (const c of streams.values()) if (c.spec.subjects.some((p) => subjectMatches(p, subject))) s = c;
      route.set(subject, s);
    }
    return s ?? undefined;
  };
  const wake = (s: Stream): void => {
    const ws = [...s.wakers];
    s.wakers.clear();
    for (const w of ws) w();
  };

  const isDuplicate = (s: Stream, msgId: string): number | undefined => {
    const hit = s.ids.get(msgId);
    if (hit === undefined) return undefined;
    if (opts.now !== undefined && hit.at + s.spec.duplicateWindowMs <= opts.now()) return undefined;
    return hit.seq;
  };
  const remember = (s: Stream, msgId: string, seq: number): void => {
    const at = opts.now?.() ?? 0;
    s.ids.set(msgId, { seq, at });
    if (opts.now === undefined) return;
    s.idOrder.push({ id: msgId, at });
    for (let e = s.idOrder[s.idHead]; e !== undefined && e.at + s.spec.duplicateWindowMs <= at; e = s.idOrder[s.idHead]) {
      if (s.ids.get(e.id)?.at === e.at) s.ids.delete(e.id);
      s.idHead++;
    }
    if (s.idHead > 1024 && s.idHead * 2 > s.idOrder.length) {
      s.idOrder = s.idOrder.slice(s.idHead);
      s.idHead = 0;
    }
  };

  /**
   * Core delivery to the subscribers whose pattern matches `subject`; the bytes are made only
   * when someone listens. Asynchronous like the network: the emitter never runs subscriber code,
   * and a throwing subscriber surfaces as an uncaught error without starving the others.
   */
  const deliverCore = (subject: string, bytes: () => Uint8Array): void => {
    if (subs.size === 0) return;
    const targets: CoreSub[] = [];
    for (const sub of subs) if (subjectMatches(sub.pattern, subject)) targets.push(sub);
    if (targets.length === 0) return;
    const data = bytes();
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

  const publish = (subject: string, data: Uint8Array, o?: { msgId?: string }): Promise<PublishAck> => store(subject, data, undefined, o);
  const store = async (subject: string, data: Uint8Array | undefined, value: object | undefined, o?: { msgId?: string }): Promise<PublishAck> => {
    if (closed) throw new BusClosedError();
    const s = streamFor(subject);
    if (s === undefined) throw new BusError(`no stream captures subject ${subject}`, false);
    const msgId = o?.msgId;
    if (msgId !== undefined) {
      const seq = isDuplicate(s, msgId);
      if (seq !== undefined) {
        // As on NATS: the stream keeps one copy, but a publish is still a publish on the subject.
        deliverCore(subject, () => data ?? valueEncoder.encode(JSON.stringify(value)));
        return { stream: s.spec.name, seq, duplicate: true };
      }
    }
    const seq = ++s.lastSeq;
    const m: Stored = { subject, data, value, seq };
    s.msgs.push(m);
    // NATS delivers a message published into a stream to the subject's core subscribers as well
    // (the dashboard feed and `sextant ctl` watchers listen that way).
    deliverCore(subject, () => dataOf(m));
    if (msgId !== undefined) remember(s, msgId, seq);
    if (s.wakers.size > 0) wake(s);
    return { stream: s.spec.name, seq, duplicate: false };
  };

  const consume = (spec: ConsumerSpec, handler: BatchHandler): Consumption => {
    const s = streams.get(spec.stream);
    const refused = closed ? new BusClosedError() : s === undefined ? new StreamNotFoundError(spec.stream) : undefined;
    const existing = s?.durables.get(spec.durable);
    if (refused !== undefined || s === undefined || existing?.active === true) {
      const done = Promise.reject(refused ?? new BusError(`durable ${spec.durable} on ${spec.stream} is already being consumed`, false));
      done.catch(() => {});
      return { stop: async () => {}, done };
    }
    const durable: Durable = existing ?? { ackFloor: 0, delivered: 0, filter: spec.filterSubject, redeliver: new Set(), active: false };
    s.durables.set(spec.durable, durable);
    durable.active = true;
    durable.filter = spec.filterSubject;
    durable.delivered = durable.ackFloor;
    const c = runConsumption(s, durable, spec, handler, { emitStatus, isClosed: () => closed, acked: trimmed.has(s.spec.name) ? () => trim(s) : undefined });
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
    publishValue: (subject, value, o) => store(subject, undefined, value, o),
    emit: (subject, data) => {
      if (!closed) deliverCore(subject, () => data);
    },
    subscribe: (pattern, handler): Subscription => {
      const sub: CoreSub = { pattern, handler, active: true };
      subs.add(sub);
      return {
        unsubscribe: () => {
          sub.active = false;
          subs.delete(sub);
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
        else streams.set(spec.name, { spec, msgs: [], lastSeq: 0, ids: new Map(), idOrder: [], idHead: 0, durables: new Map(), wakers: new Set(), deleted: false, offset: 0 });
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
        wake(s);
      }
    },
    deleteConsumer: async (stream, durable) => {
      const d = streams.get(stream)?.durables;
      // A running consumption keeps its own position, as on NATS where it would recreate the durable.
      if (d?.get(durable)?.active !== true) d?.delete(durable);
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
        if (m.subject === subject) return { subject: m.subject, data: dataOf(m), streamSeq: m.seq };
      }
      return undefined;
    },
    consumerInfo: async (stream, name) => {
      const s = streams.get(stream);
      if (s === undefined) throw new StreamNotFoundError(stream);
      const d = s.durables.get(name);
      if (d === undefined) return undefined;
      let pending = 0;
      let ackPending = 0;
      for (let i = firstAfter(s.msgs, d.ackFloor); i < s.msgs.length; i++) {
        const m = s.msgs[i] as Stored;
        if (!subjectMatches(d.filter, m.subject)) continue;
        if (d.active && m.seq <= d.delivered) ackPending++;
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

type LoopDeps = Readonly<{ emitStatus: (s: BusStatus) => void; isClosed: () => boolean; acked: (() => void) | undefined }>;

/** One consumption: batches in stream order, acked whole on success, handed again on failure. */
function runConsumption(s: Stream, durable: Durable, spec: ConsumerSpec, handler: BatchHandler, deps: LoopDeps): Consumption {
  const batchSize = spec.batchSize ?? DEFAULT_BATCH;
  const filter = spec.filterSubject;
  const matchCache = new Map<string, boolean>();
  const matches = (subject: string): boolean => {
    let m = matchCache.get(subject);
    if (m === undefined) {
      m = subjectMatches(filter, subject);
      matchCache.set(subject, m);
    }
    return m;
  };
  let stopped = false;
  let interrupt: (() => void) | undefined;
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        interrupt = undefined;
        resolve();
      }, ms);
      interrupt = () => {
        clearTimeout(t);
        resolve();
      };
    });
  const messages = (): Promise<void> =>
    new Promise<void>((resolve) => {
      s.wakers.add(resolve);
      interrupt = resolve;
    });

  const loop = async (): Promise<void> => {
    // Absolute position (`s.offset` + index), so a trim of the front does not move it.
    let cursor = s.offset + firstAfter(s.msgs, durable.ackFloor);
    let failures = 0;
    while (!stopped && !deps.isClosed()) {
      if (s.deleted) throw new StreamNotFoundError(s.spec.name);
      const batch: Delivery[] = [];
      while (cursor - s.offset < s.msgs.length && batch.length < batchSize) {
        const m = s.msgs[cursor++ - s.offset] as Stored;
        if (matches(m.subject)) batch.push(deliveryOf(m, durable.redeliver.size > 0 && durable.redeliver.has(m.seq)));
      }
      if (batch.length === 0) {
        await messages();
        continue;
      }
      const last = (batch[batch.length - 1] as Delivery).streamSeq;
      durable.delivered = last;
      try {
        // In memory there is no round trip to hide: a deferred commit is awaited here, so the
        // pipeline degenerates to the plain handle → commit → ack (and backtests stay sequential).
        const result = await handler(batch);
        if (result !== undefined) await result.committed;
      } catch (e) {
        for (const d of batch) durable.redeliver.add(d.streamSeq);
        deps.emitStatus({ type: 'consumer-error', durable: spec.durable, error: e instanceof Error ? e.message : String(e) });
        cursor = s.offset + firstAfter(s.msgs, durable.ackFloor);
        durable.delivered = durable.ackFloor;
        if (!stopped) await pause(Math.min(1_000, 10 * 2 ** failures++));
        continue;
      }
      failures = 0;
      durable.ackFloor = last;
      if (durable.redeliver.size > 0) for (const d of batch) durable.redeliver.delete(d.streamSeq);
      deps.acked?.();
      if (!stopped) await new Promise<void>((r) => setImmediate(r));
    }
  };

  const done = loop();
  done.catch(() => {}); // observed by whoever awaits `done`; never an unhandled rejection
  return {
    stop: async () => {
      stopped = true;
      interrupt?.();
      await done.catch(() => {});
    },
    done,
  };
}

/** A stored message as delivered: an in-process value travels as `value`, its bytes made only when read. */
function deliveryOf(m: Stored, redelivered: boolean): InProcessDelivery {
  if (m.data !== undefined) return m.value === undefined ? { subject: m.subject, data: m.data, streamSeq: m.seq, redelivered } : { subject: m.subject, data: m.data, streamSeq: m.seq, redelivered, value: m.value };
  return new ValueDelivery(m, redelivered);
}

/** A delivery of an in-process value: one object per message, its bytes encoded only if read. */
class ValueDelivery implements InProcessDelivery {
  readonly subject: string;
  readonly streamSeq: number;
  readonly value: object;
  constructor(
    private readonly stored: Stored,
    readonly redelivered: boolean,
  ) {
    this.subject = stored.subject;
    this.streamSeq = stored.seq;
    this.value = stored.value as object;
  }
  get data(): Uint8Array {
    return dataOf(this.stored);
  }
}

/** Index of the first stored message after stream sequence `seq` (messages are in sequence order). */
function firstAfter(msgs: readonly Stored[], seq: number): number {
  let lo = 0;
  let hi = msgs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((msgs[mid] as Stored).seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
