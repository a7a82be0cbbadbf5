import { utf8 } from '../streams/codec.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';

/**
 * The compact form of a feature vector in the Redis history: JSON would spend most of the ingest
 * path's time formatting ~25 doubles per bar as decimal text (and transcoding that text again on
 * the socket); this writes the doubles as they are, bit-exact, and the feature names as one
 * cached block per distinct name list.
 *
 * Layout (little endian): `0xFE 0x01` (magic, version), u16 id length, id (UTF-8), u16 source
 * length, source (UTF-8), u32 names length, names (UTF-8, `\n`-joined), u16 count, f64 ts, then
 * `count` f64 values in the names' order, NaN for a feature still warming up (null).
 * Venue and symbol are not stored: the list key names them.
 */
const MAGIC = 0xfe;
const VERSION = 1;

const decoder = new TextDecoder();

/**
 * The encoded name block of the last name list seen: a running engine's vectors all share one
 * list, and comparing the (interned) keys is far cheaper than joining and encoding them again.
 */
let lastNames: readonly string[] = [];
let lastBlock: Uint8Array = new Uint8Array(0);

function namesBlock(names: readonly string[]): Uint8Array {
  if (names.length === lastNames.length && names.every((n, i) => n === lastNames[i])) return lastBlock;
  lastNames = names;
  lastBlock = utf8(names.join('\n'));
  return lastBlock;
}

export class FeatureVectorBinaryError extends Error {
  override name = 'FeatureVectorBinaryError';
}

export function encodeFeatureVector(v: FeatureVector): Buffer {
  const names = Object.keys(v.values);
  const names8 = namesBlock(names);
  const id8 = utf8(v.id);
  const source8 = utf8(v.source);
  if (id8.length > 0xffff || source8.length > 0xffff || names.length > 0xffff) throw new FeatureVectorBinaryError(`feature vector ${v.id} too large to encode`);
  const head = 2 + 2 + id8.length + 2 + source8.length + 4 + names8.length + 2;
  const buf = Buffer.allocUnsafe(head + 8 + 8 * names.length);
  let o = 0;
  buf[o++] = MAGIC;
  buf[o++] = VERSION;
  o = buf.writeUInt16LE(id8.length, o);
  buf.set(id8, o);
  o += id8.length;
  o = buf.writeUInt16LE(source8.length, o);
  buf.set(source8, o);
  o += source8.length;
  o = buf.writeUInt32LE(names8.length, o);
  buf.set(names8, o);
  o += names8.length;
  o = buf.writeUInt16LE(names.length, o);
  o = buf.writeDoubleLE(v.ts, o);
  for (const name of names) {
    const x = v.values[name];
    o = buf.writeDoubleLE(x === null || x === undefined ? Number.NaN : x, o);
  }
  return buf;
}

/** True when `entry` is in the binary form (older entries are JSON text, starting with `{`). */
export const isBinaryFeatureVector = (entry: Uint8Array): boolean => entry.length >= 2 && entry[0] === MAGIC;

export function decodeFeatureVector(entry: Buffer, venue: string, symbol: string): FeatureVector {
  if (!isBinaryFeatureVector(entry) || entry[1] !== VERSION) throw new FeatureVectorBinaryError('not a version 1 binary feature vector');
  try {
    let o = 2;
    const idLen = entry.readUInt16LE(o);
    o += 2;
    const id = decoder.decode(entry.subarray(o, o + idLen));
    o += idLen;
    const sourceLen = entry.readUInt16LE(o);
    o += 2;
    const source = decoder.decode(entry.subarray(o, o + sourceLen));
    o += sourceLen;
    const namesLen = entry.readUInt32LE(o);
    o += 4;
    const namesText = decoder.decode(entry.subarray(o, o + namesLen));
    o += namesLen;
    const count = entry.readUInt16LE(o);
    o += 2;
    const ts = entry.readDoubleLE(o);
    o += 8;
    const names = count === 0 ? [] : namesText.split('\n');
    if (names.length !== count || o + 8 * count !== entry.length) throw new FeatureVectorBinaryError('length mismatch');
    const values: Record<string, number | null> = {};
    for (const name of names) {
      const x = entry.readDoubleLE(o);
      o += 8;
      values[name] = Number.isNaN(x) ? null : x;
    }
    return { type: 'feat.vector', v: 1, id, venue, symbol, ts, source, values };
  } catch (e) {
    if (e instanceof FeatureVectorBinaryError) throw e;
    throw new FeatureVectorBinaryError(`truncated binary feature vector: ${(e as Error).message}`, { cause: e });
  }
}
