import type { DurablePublisher } from '../../streams/bus.js';
import { encode } from '../../streams/codec.js';
import type { Bar } from '../../streams/messages/bar.js';
import { barId } from '../../streams/messages/bar.js';
import type { Subjects } from '../../streams/subjects.js';

const text = new TextEncoder();

/**
 * Publishes one bad message per refusal reason after the replayed window, so a demo run shows
 * the edge refusing them to the dead-letter subject while the actors keep running. Each is
 * built from a real bar of the window and labelled `demo-fault` in its id.
 */
export async function injectFaults(bus: DurablePublisher, subjects: Subjects, bar: Bar, lastBar: Bar): Promise<number> {
  const lastTs = lastBar.ts;
  const subject = subjects.bar(bar.venue, bar.symbol, bar.tf);
  const json = (b: Record<string, unknown>): Uint8Array => encode(b);
  const faults: ReadonlyArray<readonly [string, Uint8Array]> = [
    ['malformed-json', text.encode('{"type":"md.bar","v":1,"id":')],
    ['zero-price', json({ ...bar, id: `${bar.id}:demo-fault:zero`, ts: lastTs + 1, low: 0 })],
    ['non-finite', text.encode(JSON.stringify({ ...bar, id: `${bar.id}:demo-fault:inf`, ts: lastTs + 2 }).replace(/"high":[^,]+/, '"high":1e999'))],
    ['unknown-symbol', json({ ...bar, id: `${bar.id}:demo-fault:unknown`, symbol: 'NOPE/USDT' })],
    ['oversize', json({ ...bar, id: `${bar.id}:demo-fault:big`, pad: 'x'.repeat(16_384) })],
    // A real bar again under another message id: JetStream stores it, the actor's gate refuses it.
    ['duplicate', json({ ...lastBar })],
    // A bar from before everything the actor has seen, with a fresh id.
    ['out-of-order', json({ ...bar, id: barId(bar.venue, bar.symbol, bar.tf, bar.ts - 3_600_000 * 24 * 365), ts: bar.ts - 3_600_000 * 24 * 365 })],
  ];
  for (const [name, data] of faults) await bus.publish(subject, data, { msgId: `demo-fault:${name}:${bar.id}` });
  return faults.length;
}
