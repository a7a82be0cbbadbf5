import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { coalesceWrites } from '../../streams/nats-write-coalescing.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** Write syscalls this process made so far (all threads), from /proc/self/io. */
const writes = (): number => Number(/syscw:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);

/** Publishes `n` messages, each from a promise continuation of its own within one turn (as the engine's outputs and acks are), and counts the writes it took. */
async function publishFromContinuations(nc: NatsConnection, subject: string, n: number): Promise<number> {
  await nc.flush();
  const before = writes();
  const hops: Promise<void>[] = [];
  let chain = Promise.resolve();
  for (let i = 0; i < n; i++) {
    chain = chain.then(() => nc.publish(subject, new TextEncoder().encode(String(i))));
    hops.push(chain);
  }
  await Promise.all(hops);
  await new Promise((r) => setImmediate(r));
  const after = writes();
  await nc.flush();
  return after - before;
}

describe('NATS write coalescing (real nats-server)', () => {
  it('sends what one turn publishes from many promise continuations in a few writes instead of one each, every message delivered in order', async () => {
    const [plain, coalesced, reader] = await Promise.all([0, 1, 2].map(() => connect({ servers: NATS_URL })));
    if (plain === undefined || coalesced === undefined || reader === undefined) throw new Error('no connections');
    try {
      expect(coalesceWrites(coalesced)).toBe(true); // the client still has the shape this relies on
      const subject = `sxt.coalesce.${process.pid}`;
      const got: string[] = [];
      const sub = reader.subscribe(subject, { callback: (_e, m) => void got.push(m.string()) });
      await reader.flush();
      const n = 200;
      const plainWrites = await publishFromContinuations(plain, subject, n);
      const coalescedWrites = await publishFromContinuations(coalesced, subject, n);
      expect(plainWrites).toBeGreaterThanOrEqual(n * 0.9);
      expect(coalescedWrites).toBeLessThan(n / 10);
      const deadline = performance.now() + 5_000;
      while (got.length < 2 * n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const expected = Array.from({ length: n }, (_, i) => String(i));
      expect(got).toEqual([...expected, ...expected]);
      sub.unsubscribe();
      // Request/reply and flush (a PING answered by a PONG) go on working through the deferred flush.
      const echo = reader.subscribe(`${subject}.echo`, { callback: (_e, m) => void m.respond(m.data) });
      await reader.flush();
      const reply = await coalesced.request(`${subject}.echo`, new TextEncoder().encode('ping'), { timeout: 2_000 });
      expect(reply.string()).toBe('ping');
      echo.unsubscribe();
    } finally {
      await Promise.all([plain.close(), coalesced.close(), reader.close()]);
    }
  });

  it('changes nothing where the client lacks the shape it relies on', () => {
    expect(coalesceWrites({} as NatsConnection)).toBe(false);
  });
});
