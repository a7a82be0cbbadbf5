/**
 * What a JetStream publish costs the publishing thread in the NATS client, with the `Nats-Msg-Id`
 * header built by the client's `headers()` (the baseline) and in wire form
 * (`streams/nats-msg-id-header.ts`, what the engine uses), alternating rounds in one process.
 * Core publishes with a reply subject, as `streams/nats-publisher.ts` sends them, to a subject no
 * stream captures: the broker's storage is not measured, only the client's side of a publish
 * (header, protocol line, buffers, the coalesced socket writes).
 *
 *   npx tsx bench/nats-publish.bench.ts [--n 100000] [--rounds 4] [--bytes 800]
 *
 * Needs NATS on its default local port (NATS_URL to change it).
 */
import { parseArgs } from 'node:util';
import { headers } from '@nats-io/nats-core';
import type { MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { msgIdHeader } from '../streams/nats-msg-id-header.js';
import { coalesceWrites } from '../streams/nats-write-coalescing.js';

const { values: args } = parseArgs({ options: { n: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '4' }, bytes: { type: 'string', default: '800' } } });
const N = Number(args.n);
const ROUNDS = Number(args.rounds);
const BYTES = Number(args.bytes);
for (const [k, v] of [['n', N], ['rounds', ROUNDS], ['bytes', BYTES]] as const) if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer`);

const clientHeader = (id: string): MsgHdrs => {
  const h = headers();
  h.set('Nats-Msg-Id', id);
  return h;
};

/** µs per publish over `N` publishes, flushed to the server every 256 (the engine's turns hold a few hundred at most). */
async function run(nc: NatsConnection, subject: string, data: Uint8Array, header: (id: string) => MsgHdrs): Promise<number> {
  await nc.flush();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const id = `p:dirmlp:f:b:binance:BTC/USDT:1h:${1_700_000_000_000 + i * 3_600_000}`;
    nc.publish(subject, data, { reply: `_INBOX.bench.${i}`, headers: header(id) });
    if ((i & 255) === 255) await nc.flush();
  }
  await nc.flush();
  return ((performance.now() - t0) * 1000) / N;
}

const nc = await connect({ servers: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222', name: 'bench-publish' });
coalesceWrites(nc);
try {
  const subject = `sxbench.publish.${process.pid}`;
  const data = new TextEncoder().encode('x'.repeat(BYTES));
  await run(nc, subject, data, clientHeader); // warm-up, both paths
  await run(nc, subject, data, msgIdHeader);
  const base: number[] = [];
  const wire: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(await run(nc, subject, data, clientHeader));
    wire.push(await run(nc, subject, data, msgIdHeader));
    console.log(`round ${r + 1}: client headers() ${base[r]?.toFixed(2)} µs/publish, wire-form header ${wire[r]?.toFixed(2)} µs/publish`);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const b = median(base);
  const w = median(wire);
  console.log(`median of ${ROUNDS} rounds × ${N} publishes of ${BYTES} B: client headers() ${b.toFixed(2)} µs, wire form ${w.toFixed(2)} µs → ${(w / b).toFixed(2)}× the baseline (${(b - w).toFixed(2)} µs less per publish)`);
} finally {
  await nc.close();
}
