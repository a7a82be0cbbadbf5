import type { DurablePublisher, PublishAck, PublishOptions } from '../../streams/bus.js';

export type PublishCall = Readonly<{ subject: string; data: Uint8Array; msgId: string | undefined }>;

/**
 * A DurablePublisher fake that behaves like one JetStream stream on one connection: it stores
 * in call order, drops a `msgId` it already holds (ack.duplicate), and acknowledges after
 * `ackDelayMs(callIndex)` so acks can come back out of order. `failAt` makes that call reject.
 */
export function recordingPublisher(opts: Readonly<{ ackDelayMs?: (i: number) => number; failAt?: number }> = {}) {
  const calls: PublishCall[] = [];
  const stored: PublishCall[] = [];
  const ids = new Set<string>();
  let inFlight = 0;
  let maxInFlight = 0;
  const publisher: DurablePublisher = {
    publish(subject: string, data: Uint8Array, o?: PublishOptions): Promise<PublishAck> {
      const i = calls.length;
      const call = { subject, data, msgId: o?.msgId };
      calls.push(call);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const duplicate = call.msgId !== undefined && ids.has(call.msgId);
      if (!duplicate && i !== opts.failAt) {
        stored.push(call);
        if (call.msgId !== undefined) ids.add(call.msgId);
      }
      const seq = stored.length;
      const delay = opts.ackDelayMs?.(i) ?? 0;
      return new Promise((resolve, reject) => {
        setTimeout(() => {
          inFlight--;
          if (i === opts.failAt) reject(new Error(`publish ${i} refused`));
          else resolve({ stream: 'MD', seq, duplicate });
        }, delay);
      });
    },
  };
  return { publisher, calls, stored, inFlight: () => inFlight, maxInFlight: () => maxInFlight };
}
