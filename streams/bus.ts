/**
 * The Bus port. Actors depend on this, never on NATS: live wiring uses the JetStream adapter
 * (`nats-bus.ts`), backtests and the embedded demo the in-memory one (`memory-bus.ts`).
 * Both pass `test/contract/bus.contract.ts`.
 */

/** One delivered message of a durable stream. */
export type Delivery = Readonly<{
  subject: string;
  data: Uint8Array;
  /** Position in its stream (JetStream stream sequence); strictly increasing per stream. */
  streamSeq: number;
  /** True when this message was delivered before and not acknowledged. */
  redelivered: boolean;
}>;

export type PublishOptions = Readonly<{
  /** Deduplication id (`Nats-Msg-Id`): a second publish with the same id inside the stream's window stores nothing. */
  msgId?: string;
}>;

export type PublishAck = Readonly<{ stream: string; seq: number; duplicate: boolean }>;

export type StreamSpec = Readonly<{
  name: string;
  subjects: readonly string[];
  /** How long messages are kept (0 = forever). */
  maxAgeMs: number;
  /** Dedup window for `msgId`. */
  duplicateWindowMs: number;
  storage: 'file' | 'memory';
  maxBytes?: number;
  replicas?: number;
}>;

export type ConsumerSpec = Readonly<{
  stream: string;
  /** Durable name: a restarted process resumes after the last acknowledged message. */
  durable: string;
  /** The subjects it reads; `''` reads every message of the stream. */
  filterSubject: string;
  /** Most messages handed to the handler at once. */
  batchSize?: number;
  /** Unacknowledged messages are redelivered after this long. */
  ackWaitMs?: number;
  /**
   * The handler already holds everything up to this stream sequence (a restored snapshot): a
   * durable created for this consumption starts after it, and one re-anchored never starts
   * before it. An existing durable keeps its position.
   */
  startAfter?: number;
}>;

/**
 * A batch handled but not yet committed: the consumption acknowledges it once `committed`
 * resolves (batches in order), and meanwhile hands over the next batch. When `committed`
 * rejects, nothing from that batch on is acknowledged and the consumption redelivers from there.
 * With `checkpointed`, the handler saves its state only now and then: `committed` says the
 * batch's effects are stored (an in-process consumption waits for it before the next batch),
 * `checkpointed` that the state covering it is saved — only then is the batch acknowledged.
 * A handler must checkpoint within `batchSize` messages, or the consumption may stop pulling.
 */
export type Deferred = Readonly<{ committed: Promise<void>; checkpointed?: Promise<void> }>;

/**
 * Handles a batch of deliveries in stream order. When the returned promise resolves the whole
 * batch is acknowledged (one ack for the batch); when it rejects, the batch is redelivered. A
 * handler that resolves with a {@link Deferred} gets the next batch before this one is
 * acknowledged (a pipeline: handle batch n+1 while batch n is being stored).
 */
export type BatchHandler = (batch: readonly Delivery[]) => Promise<void | Deferred> | void | Deferred;

/** Data and status travel apart: status notifications never interleave with messages. */
export type BusStatus =
  /** The link dropped: `server` it was connected to, `error` why (the socket's error, the server's -ERR, or `server closed the connection`; none where the bus cannot tell). */
  | Readonly<{ type: 'disconnected'; server?: string; error?: string }>
  | Readonly<{ type: 'reconnecting' }>
  /** Connected again, to `server`. */
  | Readonly<{ type: 'reconnected'; server?: string }>
  | Readonly<{ type: 'consumer-error'; durable: string; error: string }>
  /** The server refused a core subscription (`subscribe`/`serve`) to `subject`: its login may not subscribe there, nothing sent there arrives. `error` says so, naming the user. */
  | Readonly<{ type: 'subscription-refused'; subject: string; error: string }>
  | Readonly<{ type: 'closed' }>;

export type Consumption = Readonly<{
  /** Stops fetching; resolves after the batch in hand (if any) was handled and acknowledged. */
  stop(): Promise<void>;
  /** Settles when the consumption ends; rejects if it ended on an unrecoverable error. */
  done: Promise<void>;
}>;

export type Subscription = Readonly<{
  unsubscribe(): void;
  /**
   * Resolves once the server has taken the subscription (one round trip), rejects with
   * `SubscriptionRefusedError` when it refused it (a NATS login without the permission). Absent
   * where nothing can refuse one (the in-process bus).
   */
  accepted?: () => Promise<void>;
}>;

export type DurablePublisher = {
  /** Publishes to a stream and waits for the stream's acknowledgement. */
  publish(subject: string, data: Uint8Array, opts?: PublishOptions): Promise<PublishAck>;
};

/**
 * What an in-process bus adds (the memory bus): publishes an object to a stream, encoded to JSON
 * only when a consumer reads the message's bytes — the bytes `codec.encode` gives. A publisher
 * that may run on either kind takes it as `Partial<ValuePublisher>` and uses it where present.
 * The object must not change after it is published.
 */
export type ValuePublisher = {
  publishValue(subject: string, value: object, opts?: PublishOptions): Promise<PublishAck>;
  /**
   * `publishValue` stored at once: returns the ack, or throws what `publishValue` would reject
   * with. A replay publishing millions of messages pays no promise (and no options object) per
   * message.
   */
  publishValueNow(subject: string, value: object, msgId?: string): PublishAck;
};

export type CorePublisher = {
  /** Fire-and-forget publish on a core (non-stream) subject such as `sx.feat.…`. */
  emit(subject: string, data: Uint8Array): void;
};

export type DurableConsumer = {
  consume(spec: ConsumerSpec, handler: BatchHandler): Consumption;
};

export type CoreSubscriber = {
  /** Subscribes to a core subject pattern (`*` and `>` wildcards). */
  subscribe(pattern: string, handler: (subject: string, data: Uint8Array) => void): Subscription;
};

export type StreamAdmin = {
  /** Creates or updates streams so they match the specs; idempotent. */
  ensureStreams(specs: readonly StreamSpec[]): Promise<void>;
  /** Deletes streams (and their consumers) if they exist: demo resets and test teardown. */
  deleteStreams(names: readonly string[]): Promise<void>;
  /** Deletes a durable consumer if it exists (used by replays that restart from scratch). */
  deleteConsumer(stream: string, durable: string): Promise<void>;
  /** Number of messages in a stream matching a subject filter. */
  countMessages(stream: string, filterSubject?: string): Promise<number>;
  /**
   * The newest message stored on exactly `subject` (no wildcards), or undefined when there is
   * none: gateways resume a feed from its event time. Rejects with `StreamNotFoundError`.
   */
  lastMessage(stream: string, subject: string): Promise<StoredMessage | undefined>;
  /**
   * The newest `max` stored messages of the subjects `filterSubject` matches (wildcards allowed,
   * `''` every subject of the stream) (at stream sequence
   * `fromSeq` or later, when given), in stream order, and how many older ones that match were left
   * unread: for a reader that rebuilds recent state from a stream that keeps everything (the feed's
   * approved orders from SIGNALS), where reading every match would hold them all. On NATS the older
   * ones are never fetched. Rejects with `StreamNotFoundError`.
   *
   * @example const { messages, skipped } = await bus.readNewest('SIGNALS', 'sx.exec.order.>', { max: 10_000 })
   */
  readNewest(stream: string, filterSubject: string, opts?: ReadNewestOptions): Promise<NewestStored>;
  /**
   * The oldest `max` stored messages of the subjects `filterSubject` matches at stream sequence
   * `fromSeq` or later (from the first when not given), in stream order, and how many more that
   * match were stored after them: one page of a reader that folds a whole stream into a bounded
   * state (the feed's `models` snapshot), reading the next page from the last `streamSeq` + 1 while
   * `remaining` is above 0. On NATS one short-lived consumer per page. Rejects with
   * `StreamNotFoundError`.
   *
   * @example const { messages, remaining } = await bus.readFrom('OUTCOMES', 'sx.model.>', { fromSeq: 1, max: 10_000 })
   */
  readFrom(stream: string, filterSubject: string, opts?: ReadNewestOptions): Promise<StoredPage>;
  /**
   * Where a durable consumer stands (its lag, for metrics), or undefined when the stream has no
   * such durable. Rejects with `StreamNotFoundError`.
   */
  consumerInfo(stream: string, durable: string): Promise<ConsumerState | undefined>;
};

export type StoredMessage = Readonly<{ subject: string; data: Uint8Array; streamSeq: number }>;

/** Options of `readNewest` and `readFrom`. */
export type ReadNewestOptions = Readonly<{
  /** At most this many are read, the newest (`readFrom`: the oldest) (default 10 000). */
  max?: number;
  /** Only messages at this stream sequence or later (default: from the first). */
  fromSeq?: number;
}>;

/** What `readNewest` read, and how many older matching messages it left unread. */
export type NewestStored = Readonly<{ messages: readonly StoredMessage[]; skipped: number }>;

/** What `readFrom` read, and how many matching messages stored after them it left unread. */
export type StoredPage = Readonly<{ messages: readonly StoredMessage[]; remaining: number }>;

/** `ReadNewestOptions.max` (of `readNewest` and `readFrom`) when none is given. */
export const READ_STORED_MAX = 10_000;

/** A durable consumer's position (JetStream `num_pending`, `num_ack_pending`, ack floor). */
export type ConsumerState = Readonly<{
  /** Messages matching its filter that it has not been handed yet. */
  pending: number;
  /** Messages handed to it and not acknowledged yet. */
  ackPending: number;
  /** Stream sequence of the last acknowledged message (all before it are acknowledged too). */
  ackFloor: number;
}>;

/** Answers requests on a core subject (operator control): one reply per request. */
export type RequestHandler = (data: Uint8Array, subject: string) => Promise<Uint8Array> | Uint8Array;

export type Responder = {
  /**
   * Serves requests on `subject` (wildcards allowed). A handler that throws gets no reply sent;
   * handlers should turn failures into an error reply themselves.
   */
  serve(subject: string, handler: RequestHandler): Subscription;
};

export type Requester = {
  /** Sends a request and waits for its one reply; rejects with `NoResponderError` or `BusTimeoutError`. */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
};

export type Bus = DurablePublisher &
  CorePublisher &
  DurableConsumer &
  CoreSubscriber &
  Responder &
  Requester &
  StreamAdmin & {
    readonly kind: 'nats' | 'memory';
    onStatus(listener: (status: BusStatus) => void): Subscription;
    /** Waits until everything published so far reached the server. */
    flush(): Promise<void>;
    close(): Promise<void>;
  };

/** Does `subject` match the NATS pattern (`*` one token, `>` one or more trailing tokens)? */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === '>') return s.length > i;
    if (i >= s.length) return false;
    if (tok !== '*' && tok !== s[i]) return false;
  }
  return p.length === s.length;
}

/** Whether a consumer's filter takes a subject (`''`: no filter, every subject of its stream). */
export const filterTakes = (filter: string, subject: string): boolean => filter === '' || subjectMatches(filter, subject);
