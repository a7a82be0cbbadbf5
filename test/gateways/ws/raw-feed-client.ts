import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { rawUpgrade } from './gateway-harness.js';

/** A client text frame (clients must mask, RFC 6455 §5.3). */
export function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  const len = payload.length;
  const header = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([header, mask, masked]);
}

export type RawFrame = Readonly<{ opcode: number; payload: Buffer }>;

/** Splits unmasked server frames off the front of `buf`; returns the frames and what is left. */
export function parseServerFrames(buf: Buffer): { frames: RawFrame[]; rest: Buffer } {
  const frames: RawFrame[] = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    const b0 = buf[off] as number;
    let len = (buf[off + 1] as number) & 0x7f;
    let head = 2;
    if (len === 126) {
      if (buf.length - off < 4) break;
      len = buf.readUInt16BE(off + 2);
      head = 4;
    } else if (len === 127) {
      if (buf.length - off < 10) break;
      len = Number(buf.readBigUInt64BE(off + 2));
      head = 10;
    }
    if (buf.length - off < head + len) break;
    frames.push({ opcode: b0 & 0x0f, payload: buf.subarray(off + head, off + head + len) });
    off += head + len;
  }
  return { frames, rest: buf.subarray(off) };
}

/**
 * A feed client on a bare TCP socket, so a test can stop reading (`pause`) exactly like a client
 * whose network or main thread stalls: the server's writes back up in the kernel, then in `ws`.
 */
export type RawFeedClient = Readonly<{
  socket: Socket;
  send(obj: unknown): void;
  pause(): void;
  resume(): void;
  /** Text messages parsed so far (only while reading). */
  messages: unknown[];
  /** Close code the server sent, once read. */
  closeCode(): number | undefined;
  ended: Promise<void>;
}>;

export async function connectRaw(url: string, token: string): Promise<RawFeedClient> {
  const r = await rawUpgrade(`${url}?token=${token}`);
  if (!r.upgraded) throw new Error(`upgrade refused: ${r.status}`);
  const { socket } = r;
  const messages: unknown[] = [];
  let closeCode: number | undefined;
  let pending: Buffer = r.head;
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.on('data', (d: Buffer) => {
    const { frames, rest } = parseServerFrames(Buffer.concat([pending, d]));
    pending = rest;
    for (const f of frames) {
      if (f.opcode === 0x1) messages.push(JSON.parse(f.payload.toString('utf8')));
      else if (f.opcode === 0x8) closeCode = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
    }
  });
  return {
    socket,
    send: (obj) => socket.write(clientTextFrame(JSON.stringify(obj))),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    messages,
    closeCode: () => closeCode,
    ended,
  };
}
