/**
 * A ring of doubles in a snapshot, packed: the values oldest first as little-endian IEEE 754
 * doubles, base64. Bit-exact (-0, NaN and the last bit of every value survive, which JSON text
 * only manages with a replacer) and several times cheaper to write and read than the decimal
 * text of a few hundred doubles, which an asset actor's snapshot holds and which is written once
 * per consumed batch. The same values give the same text on every machine.
 */
export type PackedDoubles = string;

/** Whether this machine stores doubles little-endian (every platform Node ships for), so typed arrays can be copied as they are. */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** Packs `n` values of `ring`, oldest first, starting at index `head` and wrapping at `ring.length`. */
export function packRing(ring: Float64Array, head: number, n: number): PackedDoubles {
  if (LITTLE_ENDIAN) {
    // The doubles' own bytes are the packed form: copy the ring's two runs, no per-value work.
    const out = new Float64Array(n);
    const first = Math.min(n, ring.length - head);
    out.set(ring.subarray(head, head + first));
    if (first < n) out.set(ring.subarray(0, n - first), first);
    return Buffer.from(out.buffer, 0, n * 8).toString('base64');
  }
  const bytes = new Uint8Array(n * 8);
  const view = new DataView(bytes.buffer);
  for (let j = 0, i = head; j < n; j++) {
    view.setFloat64(j * 8, ring[i] as number, true);
    if (++i === ring.length) i = 0;
  }
  return Buffer.from(bytes.buffer, 0, bytes.length).toString('base64');
}

/**
 * The values of a ring as a snapshot holds them: packed (current snapshots) or a JSON array
 * (snapshots written before packing, still read). Throws on text that is not whole doubles.
 */
export function unpackDoubles(s: PackedDoubles | readonly number[], what: string): readonly number[] | Float64Array {
  if (typeof s !== 'string') return s;
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length % 8 !== 0 || bytes.toString('base64') !== s) throw new RangeError(`${what}: not a packed array of doubles`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.length / 8);
  for (let j = 0; j < out.length; j++) out[j] = view.getFloat64(j * 8, true);
  return out;
}
