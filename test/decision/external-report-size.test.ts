import { describe, expect, it } from 'vitest';
import { consumeExternalExpiries } from '../../cli/external-expiries.js';
import { consumeExternalFills } from '../../cli/external-fills.js';
import { createLogger } from '../../cli/logger.js';
import { ConfigSchema } from '../../config/schema.js';
import { createSimulatedClock } from '../../state/clocks/simulated-clock.js';
import { decodeText, encode, utf8 } from '../../streams/codec.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import type { Expiry } from '../../streams/messages/expiry.js';
import type { Fill } from '../../streams/messages/fill.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { liveFill } from '../support/live-engine.js';
import { isolatedConfig } from './engine-run.js';

const T = Date.UTC(2024, 0, 2);

/** The same JSON with `pad` spaces after its `{`: valid, of the schema, and `pad` bytes larger. */
const padded = (msg: object, pad: number): Uint8Array => utf8(JSON.stringify(msg).replace('{', `{${' '.repeat(pad)}`));

describe('fills and expiries over validation.maxReportBytes (paper venue off)', () => {
  it('refuses a 20 KB fill and expiry as OVERSIZE to sx.dlq.decisions, naming the bound, and applies the next', async () => {
    const cfg = isolatedConfig(['BTC/USDT'], (c) => ({ ...c, paperVenue: { ...c.paperVenue, enabled: false } }));
    expect(cfg.validation.maxReportBytes).toBe(8192);
    const subjects = subjectsFor(cfg.prefix);
    const bus = createMemoryBus();
    await bus.ensureStreams(streamSpecs(cfg));
    const deps = { bus, subjects, clock: createSimulatedClock(T) };
    const fills: Fill[] = [];
    const expiries: Expiry[] = [];
    const log = createLogger('silent');
    const fc = consumeExternalFills(deps, cfg, { onExternalFill: (f) => Promise.resolve(void fills.push(f)) }, log);
    const ec = consumeExternalExpiries(deps, cfg, { onExternalExpiry: (e) => Promise.resolve(void expiries.push(e)) }, log);
    try {
      const fill = liveFill(cfg, T);
      const expiry: Expiry = { type: 'exec.expired', v: 1, id: 'e:o:live', ts: T, orderId: 'o:live', strategy: cfg.strategy.name, venue: cfg.venue, symbol: 'BTC/USDT', filledQty: 0, remainingQty: 0.01, reason: 'venue' };
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), padded(fill, 20_000), { msgId: 'big-fill' });
      await bus.publish(subjects.expired(cfg.venue, 'BTC/USDT'), padded(expiry, 20_000), { msgId: 'big-expiry' });
      await bus.publish(subjects.fill(cfg.venue, 'BTC/USDT'), padded(fill, 8192 - encode(fill).byteLength), { msgId: fill.id }); // at the bound: taken
      await bus.publish(subjects.expired(cfg.venue, 'BTC/USDT'), encode(expiry), { msgId: expiry.id });
      const deadline = performance.now() + 5_000;
      const dead = async () => (await bus.readFrom(streamName(cfg, 'DLQ'), subjects.dlq('decisions'))).messages.map((m) => DlqEntrySchema.parse(JSON.parse(decodeText(m.data))));
      while (((await dead()).length < 2 || fills.length + expiries.length < 2) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(fills).toEqual([fill]);
      expect(expiries).toEqual([expiry]);
      expect((await dead()).map((e) => [e.reason, e.detail]).sort()).toEqual([
        ['OVERSIZE', `expiry of ${padded(expiry, 20_000).byteLength} bytes is over validation.maxReportBytes (8192)`],
        ['OVERSIZE', `fill of ${padded(fill, 20_000).byteLength} bytes is over validation.maxReportBytes (8192)`],
      ]);
    } finally {
      await fc.stop();
      await ec.stop();
      await bus.close();
    }
  });

  it('is a config setting of at least 1024 bytes', () => {
    const cfg = isolatedConfig(['BTC/USDT']);
    expect(ConfigSchema.safeParse({ ...cfg, validation: { ...cfg.validation, maxReportBytes: 100 } }).error?.issues).toMatchObject([{ path: ['validation', 'maxReportBytes'] }]);
    expect(ConfigSchema.parse({ ...cfg, validation: { ...cfg.validation, maxReportBytes: 4096 } }).validation.maxReportBytes).toBe(4096);
  });
});
