import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../cli/commands/replay.js';
import { loadConfig } from '../../config/load.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { DlqEntrySchema } from '../../streams/messages/dlq-entry.js';
import { subjectsFor } from '../../streams/subjects.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const row = (i: number, close = '100.5'): string => `${T0 + i * H},x,100,101,99,${close},3,M`;

describe('sextant replay with bad rows in the file (real JetStream; fails, never skips, without NATS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-replay-bad-'));
  const tag = Math.random().toString(36).slice(2, 8);
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, `prefix: rb${tag}\nstreamNamePrefix: RB${tag}_\nnats:\n  url: ${NATS_URL}\n`);
  const cfg = loadConfig({ file: configFile });
  afterAll(async () => {
    const bus = await createNatsBus({ url: NATS_URL, name: 'replay-bad-cleanup', connectTimeoutMs: 3000 });
    await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('dead-letters each bad row with its file, line and reason (a repeated bar as DUPLICATE), and publishes every good row around it', async () => {
    const csv = join(dir, 'BTC_USDT_1h.csv');
    // Line 4: a close that is not a number; line 6: a bar before the one above it; line 8: a repeat of line 7's bar.
    writeFileSync(csv, ['timestamp,datetime,open,high,low,close,volume,src', row(0), row(1), row(2, 'n/a'), row(3), row(1), row(4), row(4)].join('\n') + '\n');
    await runReplay({ configFile, data: csv, timeframe: '1h', speed: 'max' });
    const bus = await createNatsBus({ url: NATS_URL, name: 'replay-bad-check', connectTimeoutMs: 3000 });
    try {
      expect(await bus.countMessages(streamName(cfg, 'MD'))).toBe(4); // hours 0, 1, 3, 4
      const subjects = subjectsFor(cfg.prefix);
      const dlq: ReturnType<typeof DlqEntrySchema.parse>[] = [];
      const c = bus.consume({ stream: streamName(cfg, 'DLQ'), durable: 'check', filterSubject: subjects.dlq('replay') }, (batch) => {
        for (const d of batch) dlq.push(DlqEntrySchema.parse(JSON.parse(new TextDecoder().decode(d.data))));
      });
      await expect.poll(() => dlq.length, { timeout: 5_000 }).toBe(3);
      await c.stop();
      expect(dlq.map((e) => [e.source, e.reason, e.subject])).toEqual([
        ['replay', 'SCHEMA', subjects.bar(cfg.venue, 'BTC/USDT', '1h')],
        ['replay', 'OUT_OF_ORDER', subjects.bar(cfg.venue, 'BTC/USDT', '1h')],
        ['replay', 'DUPLICATE', subjects.bar(cfg.venue, 'BTC/USDT', '1h')],
      ]);
      expect(dlq[0]?.detail).toContain(`${csv}:4:`);
      expect(dlq[1]?.detail).toContain(`${csv}:6:`);
      // The payload is the refused row itself, where it came from beside it.
      expect(dlq.map((e) => JSON.parse(e.payload) as unknown)).toEqual([
        { file: csv, line: 4, row: row(2, 'n/a') },
        { file: csv, line: 6, row: row(1) },
        { file: csv, line: 8, row: row(4) },
      ]);
    } finally {
      await bus.close();
    }
  }, 60_000);

  it('dead-letters a row dated in the future and publishes the real rows after it', async () => {
    const csv = join(dir, 'ETH_USDT_1h.csv');
    // Line 3: a typo for 2100; it used to be published, and every row after it refused as out of order.
    writeFileSync(csv, ['timestamp,datetime,open,high,low,close,volume,src', row(0), `${Date.UTC(2100, 0, 1)},x,100,101,99,100.5,3,M`, row(1), row(2)].join('\n') + '\n');
    await runReplay({ configFile, data: csv, speed: 'max' });
    const bus = await createNatsBus({ url: NATS_URL, name: 'replay-bad-future-check', connectTimeoutMs: 3000 });
    try {
      const subjects = subjectsFor(cfg.prefix);
      expect(await bus.countMessages(streamName(cfg, 'MD'), subjects.bar(cfg.venue, 'ETH/USDT', '1h'))).toBe(3);
      const dlq: ReturnType<typeof DlqEntrySchema.parse>[] = [];
      const c = bus.consume({ stream: streamName(cfg, 'DLQ'), durable: 'check-future', filterSubject: subjects.dlq('replay') }, (batch) => {
        for (const d of batch) {
          const e = DlqEntrySchema.parse(JSON.parse(new TextDecoder().decode(d.data)));
          if (e.detail.includes(csv)) dlq.push(e);
        }
      });
      await expect.poll(() => dlq.length, { timeout: 5_000 }).toBe(1);
      await c.stop();
      expect(dlq.map((e) => [e.reason, e.subject])).toEqual([['SCHEMA', subjects.bar(cfg.venue, 'ETH/USDT', '1h')]]);
      expect(dlq[0]?.detail).toContain(`${csv}:3: timestamp ${Date.UTC(2100, 0, 1)} (2100-01-01T00:00:00.000Z) is in the future`);
    } finally {
      await bus.close();
    }
  }, 60_000);

  it('dead-letters a bad row of a trades file on the trade subject, not a bar subject', async () => {
    const csv = join(dir, 'BTC_USDT_trades.csv');
    // Line 3: a price that is not a number.
    const trade = (i: number, price = '42000.5'): string => `${T0 + i},${1000 + i},${price},0.01,False`;
    writeFileSync(csv, ['timestamp,trade_id,price,quantity,buyer_maker', trade(0), trade(1, 'n/a'), trade(2)].join('\n') + '\n');
    await runReplay({ configFile, data: csv, timeframe: '1h', speed: 'max' });
    const bus = await createNatsBus({ url: NATS_URL, name: 'replay-bad-trades-check', connectTimeoutMs: 3000 });
    try {
      const subjects = subjectsFor(cfg.prefix);
      expect(await bus.countMessages(streamName(cfg, 'MD'), subjects.trade(cfg.venue, 'BTC/USDT'))).toBe(2);
      const dlq: ReturnType<typeof DlqEntrySchema.parse>[] = [];
      const c = bus.consume({ stream: streamName(cfg, 'DLQ'), durable: 'check-trades', filterSubject: subjects.dlq('replay') }, (batch) => {
        for (const d of batch) {
          const e = DlqEntrySchema.parse(JSON.parse(new TextDecoder().decode(d.data)));
          if (e.detail.includes(csv)) dlq.push(e);
        }
      });
      await expect.poll(() => dlq.length, { timeout: 5_000 }).toBe(1);
      await c.stop();
      expect(dlq.map((e) => [e.reason, e.subject])).toEqual([['SCHEMA', subjects.trade(cfg.venue, 'BTC/USDT')]]);
      expect(dlq[0]?.detail).toContain(`${csv}:3:`);
    } finally {
      await bus.close();
    }
  }, 60_000);
});
