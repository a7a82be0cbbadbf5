import { Match, headers } from '@nats-io/nats-core';
import type { MsgHdrs } from '@nats-io/nats-core';
import { utf8 } from './codec.js';

const MSG_ID = 'Nats-Msg-Id';

/**
 * The one header of a JetStream publish (`Nats-Msg-Id`), written straight in its wire form. The
 * client's `headers()` builds a map, canonicalises and validates the key and joins the lines on
 * every publish: 0.4–0.6 of the 4.3–4.6 µs a publish costs the client here (`npm run
 * bench:publish`, bench/README.md), and a map and strings per message. The client reads a
 * publish's headers only through `encode()` (not public API, like `nats-write-coalescing.ts`;
 * `test/streams/nats-msg-id-header.test.ts` holds the bytes equal to the client's own and checks
 * deduplication on a real server). Read-only: a publish header is not changed after it is built.
 */
class MsgIdHeader implements MsgHdrs {
  readonly hasError = false;
  readonly status = '';
  readonly code = 0;
  readonly description = '';

  constructor(private readonly id: string) {}

  /** What the client sends: `NATS/1.0`, the header line, an empty line. */
  encode(): Uint8Array {
    return utf8(`NATS/1.0\r\n${MSG_ID}: ${this.id}\r\n\r\n`);
  }

  private matches(k: string, match: Match = Match.Exact): boolean {
    return match === Match.Exact ? k === MSG_ID : k.toLowerCase() === MSG_ID.toLowerCase();
  }

  get(k: string, match?: Match): string {
    return this.matches(k, match) ? this.id : '';
  }
  last(k: string, match?: Match): string {
    return this.get(k, match);
  }
  has(k: string, match?: Match): boolean {
    return this.matches(k, match);
  }
  values(k: string, match?: Match): string[] {
    return this.matches(k, match) ? [this.id] : [];
  }
  keys(): string[] {
    return [MSG_ID];
  }
  set(): void {
    throw new TypeError('a Nats-Msg-Id publish header is read-only');
  }
  append(): void {
    throw new TypeError('a Nats-Msg-Id publish header is read-only');
  }
  delete(): void {
    throw new TypeError('a Nats-Msg-Id publish header is read-only');
  }
  *[Symbol.iterator](): Iterator<[string, string[]]> {
    yield [MSG_ID, [this.id]];
  }
}

/**
 * Headers carrying `msgId` for JetStream's duplicate window. An id the client would change or
 * refuse (surrounding whitespace is trimmed, CR or LF refused) goes through the client's own
 * `headers()`, which does exactly that.
 */
export function msgIdHeader(msgId: string): MsgHdrs {
  if (msgId.includes('\r') || msgId.includes('\n') || msgId.trim() !== msgId) {
    const h = headers();
    h.set(MSG_ID, msgId);
    return h;
  }
  return new MsgIdHeader(msgId);
}
