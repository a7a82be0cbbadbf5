/**
 * Decodes one LZ4 frame (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md): what
 * pyarrow compresses each buffer of a Feather v2 file with (pandas' `to_feather`, which freqtrade
 * calls with `compression="lz4"`). apache-arrow reads compressed IPC only with a codec given to
 * it, and ships none. Checksums are skipped, not verified; dictionary ids and linked blocks are
 * handled (the output so far is the window either way). Throws a RangeError on a malformed frame.
 */
export function decodeLz4Frame(input: Uint8Array): Uint8Array {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  if (input.length < 7 || view.getUint32(0, true) !== 0x184d2204) throw new RangeError('not an LZ4 frame (bad magic number)');
  const flg = input[4]!;
  if (flg >> 6 !== 1) throw new RangeError(`unsupported LZ4 frame version ${flg >> 6}`);
  const blockChecksum = (flg & 0x10) !== 0;
  const hasSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const hasDict = (flg & 0x01) !== 0;
  let pos = 6 + (hasSize ? 8 : 0) + (hasDict ? 4 : 0) + 1;
  const size = hasSize ? Number(view.getBigUint64(6, true)) : undefined;
  let out = new Uint8Array(size ?? Math.max(64, input.length * 4));
  let n = 0;
  const ensure = (more: number): void => {
    if (n + more <= out.length) return;
    const bigger = new Uint8Array(Math.max(out.length * 2, n + more));
    bigger.set(out.subarray(0, n));
    out = bigger;
  };
  for (;;) {
    if (pos + 4 > input.length) throw new RangeError('truncated LZ4 frame (no end mark)');
    const word = view.getUint32(pos, true);
    pos += 4;
    if (word === 0) break;
    const length = word & 0x7fffffff;
    if (pos + length > input.length) throw new RangeError('truncated LZ4 block');
    if ((word & 0x80000000) !== 0) {
      ensure(length);
      out.set(input.subarray(pos, pos + length), n);
      n += length;
    } else {
      n = decodeBlock(input, pos, pos + length, (m) => ensure(m), () => out, n);
    }
    pos += length + (blockChecksum ? 4 : 0);
  }
  if (contentChecksum) pos += 4;
  if (size !== undefined && n !== size) throw new RangeError(`LZ4 frame holds ${n} bytes, its header says ${size}`);
  return out.subarray(0, n);
}

/** One LZ4 block's sequences, appended at `n`; returns the new length. */
function decodeBlock(src: Uint8Array, start: number, end: number, ensure: (more: number) => void, buf: () => Uint8Array, n: number): number {
  let p = start;
  const length = (base: number): number => {
    let len = base;
    if (base === 15) {
      let b: number;
      do {
        if (p >= end) throw new RangeError('truncated LZ4 sequence');
        b = src[p++]!;
        len += b;
      } while (b === 255);
    }
    return len;
  };
  while (p < end) {
    const token = src[p++]!;
    const literals = length(token >> 4);
    if (p + literals > end) throw new RangeError('LZ4 literals run past the block');
    ensure(literals);
    buf().set(src.subarray(p, p + literals), n);
    n += literals;
    p += literals;
    if (p >= end) break; // the last sequence has literals only
    if (p + 2 > end) throw new RangeError('truncated LZ4 match offset');
    const offset = src[p]! | (src[p + 1]! << 8);
    p += 2;
    if (offset === 0 || offset > n) throw new RangeError(`bad LZ4 match offset ${offset}`);
    const match = length(token & 15) + 4;
    ensure(match);
    const out = buf();
    // Byte by byte: a match may overlap the bytes it copies (offset < length repeats them).
    for (let i = 0; i < match; i++, n++) out[n] = out[n - offset]!;
  }
  return n;
}
