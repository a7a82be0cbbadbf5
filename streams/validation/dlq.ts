import { createHash } from 'node:crypto';
import type { DlqEntry } from '../messages/dlq-entry.js';
import type { Refusal } from './refusal.js';

const MAX_PAYLOAD_CHARS = 2048;
const decoder = new TextDecoder();

/**
 * A dead-letter entry for a refused message, to publish on `subjects.dlq(source)` with
 * `Nats-Msg-Id` = id. The id is derived from source, subject, payload and reason — not the time —
 * so a redelivered refusal dedups in the DLQ stream instead of being stored twice. `streamSeq`,
 * for a message read from a stream: where it is stored, also in the id, so the same bytes
 * published twice (a feed re-sending a tick) are two entries, as they are two refusals in the
 * counters, while a redelivery (the same sequence) is still one. The payload is
 * kept as text (invalid UTF-8 shows as U+FFFD), cut to 2,048 characters with a marker that gives
 * the original size.
 */
export function toDlqEntry(args: Readonly<{ source: string; subject: string; data: Uint8Array; refusal: Refusal; ts: number; streamSeq?: number }>): DlqEntry {
  const hash = createHash('sha1').update(args.subject).update('\0').update(args.data).update('\0').update(args.refusal.reason);
  // Without a sequence the id is what it always was.
  const digest = (args.streamSeq === undefined ? hash : hash.update(`\0${args.streamSeq}`)).digest('hex');
  // 4 bytes per character at most, so this prefix always holds the first MAX_PAYLOAD_CHARS.
  const text = decoder.decode(args.data.byteLength > MAX_PAYLOAD_CHARS * 4 ? args.data.subarray(0, MAX_PAYLOAD_CHARS * 4) : args.data);
  const payload = text.length > MAX_PAYLOAD_CHARS ? `${text.slice(0, cutAt(text, MAX_PAYLOAD_CHARS))}…[truncated ${args.data.byteLength} bytes]` : text;
  return {
    type: 'dlq.entry',
    v: 1,
    id: `dlq:${args.source}:${digest}`,
    source: args.source,
    reason: args.refusal.reason,
    detail: args.refusal.detail,
    subject: args.subject,
    payload,
    ts: args.ts,
  };
}

/** `n`, or one less where `n` would split a surrogate pair (a lone half is not valid text). */
function cutAt(text: string, n: number): number {
  const c = text.charCodeAt(n - 1);
  return c >= 0xd800 && c <= 0xdbff ? n - 1 : n;
}
