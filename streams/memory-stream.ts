import type { Delivery, StreamSpec } from './bus.js';
import { filterTakes } from './bus.js';
import { encode } from './codec.js';

/**
 * A message stored in a memory-bus stream: its bytes, or (published in process) the object,
 * encoded on first read. It is its own first delivery (`redelivered` false), so handing it to a
 * consumer allocates nothing; a redelivery wraps it (see `memory-consumption.ts`).
 */
export class StoredMessage implements Delivery {
  readonly redelivered = false;
  constructor(
    readonly subject: string,
    private bytes: Uint8Array | undefined,
    /** The object a publisher handed over in process, when it did: it JSON-encodes to `data`. */
    readonly value: object | undefined,
    readonly streamSeq: number,
  ) {}
  get data(): Uint8Array {
    if (this.bytes === undefined) this.bytes = encode(this.value);
    return this.bytes;
  }
}

/**
 * The messages of one filter subject, in stream order: a durable consumer visits only its own
 * messages instead of scanning the whole stream (a backtest's market data holds every asset's,
 * each read by its own actor). Shared by the durables with that filter.
 */
export type FilterIndex = {
  readonly filter: string;
  msgs: StoredMessage[];
  /** Messages dropped from the front: `msgs[i]` is the index's (offset + i)-th. */
  offset: number;
  /** Durables (active or not) that read through it. */
  users: number;
};

/** `delivered`: the last stream sequence handed to the handler (ahead of `ackFloor` while a batch is in hand). */
export type Durable = { ackFloor: number; delivered: number; filter: string; index: FilterIndex; redeliver: Set<number>; active: boolean };

/**
 * One stream of the memory bus: its messages, the filter indexes of its durables and its `msgId`
 * duplicate window. `now` is the bus's clock (see `MemoryBusOptions.now`).
 */
export class MemoryStream {
  msgs: StoredMessage[] = [];
  lastSeq = 0;
  readonly durables = new Map<string, Durable>();
  readonly wakers = new Set<() => void>();
  deleted = false;
  private readonly indexes = new Map<string, FilterIndex>();
  /** subject → the indexes whose filter it matches (cleared when an index comes or goes). */
  private readonly targets = new Map<string, FilterIndex[]>();
  /**
   * The duplicate window as a log: msgId → its position in the log; the log holds, per entry, the
   * id, when it was stored and its stream sequence (parallel arrays: no object per message).
   */
  private readonly ids = new Map<string, number>();
  private logIds: string[] = [];
  private logAt: number[] = [];
  private logSeq: number[] = [];
  /** Entries expired from the front: `logIds[i]` is the log's (logBase + i)-th. */
  private logBase = 0;
  private logHead = 0;
  /** The latest time any entry of the log was stored at (the clock could in principle step back). */
  private logLatestAt = Number.NEGATIVE_INFINITY;

  constructor(
    public spec: StreamSpec,
    private readonly now: (() => number) | undefined,
    /** Store nothing while no durable reads the stream (`MemoryBusOptions.discardUnread`). */
    private readonly discardUnread = false,
  ) {}

  /** The stream sequence stored under `msgId` inside the duplicate window, if any. */
  duplicateOf(msgId: string): number | undefined {
    const p = this.ids.get(msgId);
    if (p === undefined) return undefined;
    const i = p - this.logBase;
    if (this.now !== undefined && (this.logAt[i] as number) + this.spec.duplicateWindowMs <= this.now()) return undefined;
    return this.logSeq[i];
  }

  /** Stores a message (after `duplicateOf` said it is new) and wakes the waiting consumptions. */
  append(subject: string, data: Uint8Array | undefined, value: object | undefined, msgId: string | undefined): StoredMessage {
    const m = new StoredMessage(subject, data, value, ++this.lastSeq);
    if (this.discardUnread && this.durables.size === 0) {
      // Nobody reads it: sequenced, deduplicated and acknowledged, not kept (a durable created
      // later starts at the next message).
      if (msgId !== undefined) this.remember(msgId, m.streamSeq);
      return m;
    }
    this.msgs.push(m);
    let targets = this.targets.get(subject);
    if (targets === undefined) {
      targets = [];
      for (const x of this.indexes.values()) if (filterTakes(x.filter, subject)) targets.push(x);
      this.targets.set(subject, targets);
    }
    for (const x of targets) x.msgs.push(m);
    if (msgId !== undefined) this.remember(msgId, m.streamSeq);
    if (this.wakers.size > 0) this.wake();
    return m;
  }

  wake(): void {
    const ws = [...this.wakers];
    this.wakers.clear();
    for (const w of ws) w();
  }

  /** The index of `filter`, built from what the stream holds when it is first asked for. */
  indexOf(filter: string): FilterIndex {
    let x = this.indexes.get(filter);
    if (x === undefined) {
      x = { filter, msgs: this.msgs.filter((m) => filterTakes(filter, m.subject)), offset: 0, users: 0 };
      this.indexes.set(filter, x);
      this.targets.clear();
    }
    return x;
  }

  /** A durable stopped reading through `x` (deleted, or consuming with another filter). */
  release(x: FilterIndex): void {
    if (--x.users > 0 || this.indexes.get(x.filter) !== x) return;
    this.indexes.delete(x.filter);
    this.targets.clear();
  }

  /**
   * Drops what every durable acknowledged, in chunks (each copy is paid for by the messages it
   * drops); the indexes drop the same messages, so they never hold one the stream has not.
   */
  trim(): void {
    let floor = Number.POSITIVE_INFINITY;
    for (const d of this.durables.values()) floor = Math.min(floor, d.ackFloor);
    const k = firstAfter(this.msgs, floor);
    if (k < 4096 || k * 4 < this.msgs.length - k) return;
    this.msgs = this.msgs.slice(k);
    for (const x of this.indexes.values()) {
      const n = firstAfter(x.msgs, floor);
      x.msgs = x.msgs.slice(n);
      x.offset += n;
    }
  }

  private remember(msgId: string, seq: number): void {
    const at = this.now?.() ?? 0;
    const window = this.spec.duplicateWindowMs;
    // When even the latest-stored entry has left the window (a backtest's clock jumps a bar
    // ahead), the whole log goes at once instead of entry by entry.
    const n = this.logIds.length;
    if (this.now !== undefined && n > this.logHead && this.logLatestAt + window <= at) {
      this.ids.clear();
      this.logBase += n;
      this.logIds = [];
      this.logAt = [];
      this.logSeq = [];
      this.logHead = 0;
      this.logLatestAt = Number.NEGATIVE_INFINITY;
    }
    this.ids.set(msgId, this.logBase + this.logIds.length);
    this.logIds.push(msgId);
    this.logAt.push(at);
    if (at > this.logLatestAt) this.logLatestAt = at;
    this.logSeq.push(seq);
    // Without a clock nothing expires: the window is the life of the process.
    if (this.now === undefined) return;
    while (this.logHead < this.logIds.length && (this.logAt[this.logHead] as number) + window <= at) {
      const id = this.logIds[this.logHead] as string;
      // Stored again since: the newer entry keeps it.
      if (this.ids.get(id) === this.logBase + this.logHead) this.ids.delete(id);
      this.logHead++;
    }
    if (this.logHead > 1024 && this.logHead * 2 > this.logIds.length) {
      this.logIds = this.logIds.slice(this.logHead);
      this.logAt = this.logAt.slice(this.logHead);
      this.logSeq = this.logSeq.slice(this.logHead);
      this.logBase += this.logHead;
      this.logHead = 0;
    }
  }
}

/** Index of the first message after stream sequence `seq` (messages are in sequence order). */
export function firstAfter(msgs: readonly StoredMessage[], seq: number): number {
  let lo = 0;
  let hi = msgs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((msgs[mid] as StoredMessage).streamSeq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
