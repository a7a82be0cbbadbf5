import { describe, expect, it } from 'vitest';
import type { DurablePublisher, PublishAck, PublishOptions } from '../../streams/bus.js';
import { BusClosedError, BusError, BusTimeoutError } from '../../streams/errors.js';
import { retryingPublish } from '../../streams/retrying-publish.js';

/** A publisher that fails its first publishes with the given errors, then acknowledges. */
function scripted(failures: readonly Error[]): DurablePublisher & { calls: { subject: string; msgId: string | undefined }[] } {
  const calls: { subject: string; msgId: string | undefined }[] = [];
  return {
    calls,
    publish: (subject: string, _data: Uint8Array, opts?: PublishOptions): Promise<PublishAck> => {
      calls.push({ subject, msgId: opts?.msgId });
      const e = failures[calls.length - 1];
      return e === undefined ? Promise.resolve({ stream: 'S', seq: calls.length, duplicate: false }) : Promise.reject(e);
    },
  };
}

const data = new Uint8Array([1]);

describe('retryingPublish', () => {
  it('publishes again with the same message id after retryable failures', async () => {
    const bus = scripted([new BusTimeoutError('no ack'), new BusError('connection lost', true)]);
    await expect(retryingPublish(bus, 3)('sx.pred.a', data, 'id-1')).resolves.toEqual({ stream: 'S', seq: 3, duplicate: false });
    expect(bus.calls).toEqual([1, 2, 3].map(() => ({ subject: 'sx.pred.a', msgId: 'id-1' })));
  });

  it('gives up after the last attempt with its error', async () => {
    const last = new BusTimeoutError('third');
    const bus = scripted([new BusTimeoutError('first'), new BusTimeoutError('second'), last]);
    await expect(retryingPublish(bus, 3)('s', data, 'id')).rejects.toBe(last);
    expect(bus.calls).toHaveLength(3);
  });

  it('does not retry what a retry cannot cure', async () => {
    for (const e of [new BusClosedError(), new BusError('no stream captures subject s', false), new Error('bug')]) {
      const bus = scripted([e]);
      await expect(retryingPublish(bus, 5)('s', data, 'id')).rejects.toBe(e);
      expect(bus.calls).toHaveLength(1);
    }
  });

  it('refuses a count of attempts that is not a positive integer', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => retryingPublish(scripted([]), n)).toThrow(RangeError);
  });
});
