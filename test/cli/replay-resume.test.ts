import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runReplay } from '../../cli/commands/replay.js';
import { loadConfig } from '../../config/load.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';
import { dataPath } from '../gateways/data.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
/** The MD stream's duplicate window in this test: short, so a test can outlive it. */
const DUP_WINDOW_MS = 1_000;
const bar = (i: number): string => `${T0 + i * H},x,100,101,99,100.5,3,M`;

type Summary = Readonly<{ published: number; duplicates: number; stored: number; skipped: number }>;

/** Runs `sextant replay` and returns the summary line it prints. */
async function replayed(opts: Parameters<typeof runReplay>[0]): Promise<Summary> {
  const out: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await runReplay(opts);
  } finally {
    write.mockRestore();
  }
  return JSON.parse(out.join('').trim().split('\n').at(-1) ?? '{}') as Summary;
}

/**
 * A replay interrupted and started again later: the stream's msgId duplicate window (two minutes
 * by default) has long passed, and it used to store everything the first run had published a
 * second time (each asset actor then met its history again, behind what it had seen).
 */
describe('sextant replay started again after an interruption (real JetStream; fails, never skips, without NATS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-replay-resume-'));
  const tag = Math.random().toString(36).slice(2, 8);
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, `prefix: rr${tag}\nstreamNamePrefix: RR${tag}_\nnats:\n  url: ${NATS_URL}\nstreams:\n  MD: { duplicateWindowMs: ${DUP_WINDOW_MS} }\n`);
  const cfg = loadConfig({ file: configFile });
  const subjects = subjectsFor(cfg.prefix);
  afterAll(async () => {
    const bus = await createNatsBus({ url: NATS_URL, name: 'replay-resume-cleanup', connectTimeoutMs: 3000 });
    await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async (subject: string): Promise<number> => {
    const bus = await createNatsBus({ url: NATS_URL, name: 'replay-resume-check', connectTimeoutMs: 3000 });
    try {
      return await bus.countMessages(streamName(cfg, 'MD'), subject);
    } finally {
      await bus.close();
    }
  };

  it('publishes only the bars after those the stream holds, past the duplicate window', async () => {
    const csv = join(dir, 'BTC_USDT_1h.csv');
    writeFileSync(csv, ['timestamp,datetime,open,high,low,close,volume,src', ...Array.from({ length: 10 }, (_, i) => bar(i))].join('\n') + '\n');
    // The first run stops after hour 5 (as an interruption would), then the duplicate window passes.
    expect(await replayed({ configFile, data: csv, timeframe: '1h', to: T0 + 6 * H, speed: 'max' })).toMatchObject({ published: 6, stored: 6, skipped: 0 });
    await sleep(DUP_WINDOW_MS + 500);
    expect(await replayed({ configFile, data: csv, timeframe: '1h', speed: 'max' })).toMatchObject({ published: 4, duplicates: 0, stored: 4, skipped: 6 });
    expect(await count(subjects.bar(cfg.venue, 'BTC/USDT', '1h'))).toBe(10);
  }, 60_000);

  it('says on stderr why a window older than what the stream holds is skipped, and how to publish it', async () => {
    const csv = join(dir, 'ETH_USDT_1h.csv');
    writeFileSync(csv, ['timestamp,datetime,open,high,low,close,volume,src', ...Array.from({ length: 10 }, (_, i) => bar(i))].join('\n') + '\n');
    expect(await replayed({ configFile, data: csv, speed: 'max' })).toMatchObject({ published: 10, skipped: 0 });
    const err: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
    try {
      expect(await replayed({ configFile, data: csv, from: T0, to: T0 + 3 * H, speed: 'max' })).toMatchObject({ published: 0, skipped: 3 });
    } finally {
      write.mockRestore();
    }
    expect(err.join('')).toContain(`note: skipped 3 message(s) at or before the newest of their subject that stream ${streamName(cfg, 'MD')} holds`);
    expect(err.join('')).toContain('replay into empty streams (another SEXTANT__prefix and SEXTANT__streamNamePrefix)');
  }, 60_000);

  it('says on stderr that a window the file holds no row of published nothing', async () => {
    const csv = join(dir, 'SOL_USDT_1h.csv');
    writeFileSync(csv, ['timestamp,datetime,open,high,low,close,volume,src', ...Array.from({ length: 3 }, (_, i) => bar(i))].join('\n') + '\n');
    const err: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
    try {
      expect(await replayed({ configFile, data: csv, from: T0 + 100 * H, speed: 'max' })).toMatchObject({ published: 0, skipped: 0 });
    } finally {
      write.mockRestore();
    }
    expect(err.join('')).toContain(`note: nothing published: no row of the 1 file(s) read from ${csv} falls in the window ${new Date(T0 + 100 * H).toISOString()} to open: pick a window the files cover`);
  }, 60_000);

  it('resumes inside a millisecond that several real trades share, storing each trade once', async () => {
    // Binance BTCUSDT trades: rows 9-14 share one millisecond; the first run stops after row 11.
    const lines = readFileSync(dataPath('ticks/binance_BTCUSDT_spot_trades_2021-01-08_46s.csv'), 'utf8').split('\n');
    const [t9, t11, t14] = [9, 11, 14].map((r) => lines[r]!.split(',')[0]);
    expect(t9).toBe(t11);
    expect(t11).toBe(t14);
    const part = join(dir, 'BTC_USDT_trades_part.csv');
    const whole = join(dir, 'BTC_USDT_trades_whole.csv');
    writeFileSync(part, lines.slice(0, 12).join('\n') + '\n');
    writeFileSync(whole, lines.slice(0, 41).join('\n') + '\n');
    expect(await replayed({ configFile, data: part, timeframe: '1h', speed: 'max' })).toMatchObject({ published: 11, skipped: 0 });
    await sleep(DUP_WINDOW_MS + 500);
    expect(await replayed({ configFile, data: whole, timeframe: '1h', speed: 'max' })).toMatchObject({ published: 29, duplicates: 0, skipped: 11 });
    expect(await count(subjects.trade(cfg.venue, 'BTC/USDT'))).toBe(40);
  }, 60_000);
});
