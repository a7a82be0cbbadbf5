import type { z } from 'zod';
import type { Refusal } from '../../streams/validation/refusal.js';
import { refuse, schemaIssues } from '../../streams/validation/refusal.js';
import { decodeText } from '../../streams/codec.js';

/** Schemas an actor accepts, keyed by the message's `type` tag. */
export type SchemaTable = Readonly<Record<string, z.ZodType>>;

export type Decoded<T> = Readonly<{ ok: true; msg: T }> | Refusal;

const MAX_BYTES = 64 * 1024;

/**
 * Decodes one inbound message of the decision path (prediction, fill, reject, order, market
 * data, feature vector) by its `type` tag, without throwing: a refusal carries the reason for the
 * dead-letter queue. The caller names the union `T` its table produces.
 */
export function decodeInput<T>(data: Uint8Array, schemas: SchemaTable): Decoded<T> {
  if (data.byteLength > MAX_BYTES) return refuse('OVERSIZE', `${data.byteLength} bytes > ${MAX_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(decodeText(data));
  } catch (e) {
    return refuse('MALFORMED_JSON', String(e));
  }
  const tag = typeof json === 'object' && json !== null && 'type' in json ? (json as { type: unknown }).type : undefined;
  const schema = typeof tag === 'string' && Object.hasOwn(schemas, tag) ? schemas[tag] : undefined;
  if (schema === undefined) return refuse('SCHEMA', `unexpected message type ${JSON.stringify(tag)}`);
  const r = schema.safeParse(json);
  if (!r.success) return refuse('SCHEMA', schemaIssues(r.error.issues));
  return { ok: true, msg: r.data as T };
}
