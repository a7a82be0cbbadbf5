import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { BusError } from '../../streams/errors.js';
import { createMemoryBus } from '../../streams/memory-bus.js';
import { STREAM_NAMES, streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';

const cfg = loadConfig({ env: {} });

describe('stream provisioning specs', () => {
  it('builds MD, SIGNALS, OUTCOMES and DLQ from the config', () => {
    const specs = streamSpecs(cfg);
    expect(specs.map((s) => s.name)).toEqual(STREAM_NAMES.map((n) => `${cfg.streamNamePrefix}${n}`));
    const byName = new Map(specs.map((s) => [s.name, s]));
    const sx = subjectsFor(cfg.prefix).streamSubjects;
    for (const n of STREAM_NAMES) {
      const s = byName.get(streamName(cfg, n));
      expect(s?.subjects).toEqual(sx[n]);
      expect(s).toMatchObject({
        maxAgeMs: cfg.streams[n].maxAgeMs,
        duplicateWindowMs: cfg.streams[n].duplicateWindowMs,
        storage: cfg.streams[n].storage,
      });
    }
    expect(byName.get('DLQ')?.maxAgeMs).toBe(604_800_000);
  });

  it('isolates a test on a shared server by name prefix, subject prefix and storage', () => {
    const specs = streamSpecs(cfg, { namePrefix: 'T123_', subjectPrefix: 't123', storage: 'memory' });
    expect(specs.map((s) => s.name)).toEqual(['T123_MD', 'T123_SIGNALS', 'T123_OUTCOMES', 'T123_DLQ']);
    expect(specs.flatMap((s) => s.subjects)).toEqual(['t123.md.>', 't123.pred.>', 't123.exec.>', 't123.outcome.>', 't123.label.>', 't123.model.>', 't123.dlq.>']);
    expect(specs.every((s) => s.storage === 'memory')).toBe(true);
    expect(streamName(cfg, 'SIGNALS', { namePrefix: 'T123_' })).toBe('T123_SIGNALS');
  });

  it('carries optional size and replica limits through', () => {
    const limited = { ...cfg, streams: { ...cfg.streams, MD: { ...cfg.streams.MD, maxBytes: 1 << 30, replicas: 3 } } };
    const md = streamSpecs(limited).find((s) => s.name.endsWith('MD'));
    expect(md).toMatchObject({ maxBytes: 1 << 30, replicas: 3 });
    expect(streamSpecs(cfg).find((s) => s.name.endsWith('MD'))).not.toHaveProperty('maxBytes');
  });

  it('refuses prefixes that would make invalid stream names or subjects', () => {
    expect(() => streamSpecs(cfg, { namePrefix: 'a.b' })).toThrow(BusError);
    expect(() => streamSpecs(cfg, { subjectPrefix: 'a.b' })).toThrow(BusError);
    expect(() => streamSpecs(cfg, { subjectPrefix: '' })).toThrow(BusError);
  });

  it('provisions side by side with the default streams without subject overlaps', async () => {
    const bus = createMemoryBus();
    const id = randomUUID().replaceAll('-', '').slice(0, 8);
    await bus.ensureStreams(streamSpecs(cfg));
    await bus.ensureStreams(streamSpecs(cfg, { namePrefix: `T${id}_`, subjectPrefix: `t${id}` }));
    const ack = await bus.publish(subjectsFor(`t${id}`).trade('binance', 'BTC/USDT'), new Uint8Array([1]));
    expect(ack.stream).toBe(`T${id}_MD`);
    await bus.close();
  });
});
