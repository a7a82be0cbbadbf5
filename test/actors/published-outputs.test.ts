import { describe, expect, it } from 'vitest';
import { createPublishedOutputs } from '../../actors/published-outputs.js';
import { silentLogger } from '../../state/logger.js';

const ack = (seq: number, stream = 'SIGNALS') => ({ stream, seq, duplicate: false });

describe('createPublishedOutputs', () => {
  it('holds back the outputs read back, and marks the restored sequence until the redecision passes them', () => {
    const p = createPublishedOutputs({ stream: 'SIGNALS', restored: true, from: 10, last: 14, ids: new Set(['p:a', 'o:a']), newest: 100 }, silentLogger);
    expect(p.stored('p:a', 100)).toBe(true);
    expect(p.stored('o:a', 100)).toBe(true);
    // Not among them and not newer than all of them (a publication the stopped engine never made): published, ids kept.
    expect(p.stored('x:a', 100)).toBe(false);
    p.acked(ack(15));
    // Outputs held back are stored at 11..14: a write now must not mark past them.
    expect(p.mark()).toEqual(['SIGNALS', 10]);
    // The first output newer than everything read back: the ids are let go.
    expect(p.stored('p:b', 101)).toBe(false);
    expect(p.stored('p:a', 100)).toBe(false);
    expect(p.mark()).toEqual(['SIGNALS', 15]);
    p.acked(ack(40, 'OTHER'));
    p.acked(ack(12)); // a duplicate's acknowledgement names the first copy's sequence
    expect(p.mark()).toEqual(['SIGNALS', 15]);
  });

  it('with nothing read back, publishes everything and marks the stream end at start, then each acknowledgement', () => {
    const p = createPublishedOutputs({ stream: 'SIGNALS', restored: false, from: 7, last: 7, ids: new Set(), newest: Number.NEGATIVE_INFINITY }, silentLogger);
    expect(p.stored('p:a', 1)).toBe(false);
    expect(p.mark()).toEqual(['SIGNALS', 7]);
    p.acked(ack(8));
    expect(p.mark()).toEqual(['SIGNALS', 8]);
  });
});
