import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runReplay } from '../../cli/commands/replay.js';
import { loadConfig } from '../../config/load.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamSpecs } from '../../streams/provision.js';
import { dataPath } from '../gateways/data.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/**
 * `--symbols BTC/USDT,SOL/USDT` over a July 2020 day (real data; real JetStream, fails, never
 * skips, without NATS): BTC's 24 bars were published and nothing said that SOL's file has no row
 * in the window (it starts on 2020-08-11); the "nothing published" note came only at a total of 0.
 */
describe('sextant replay of a symbol whose file has no row in the window', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-replay-no-rows-'));
  const tag = Math.random().toString(36).slice(2, 8);
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, `prefix: rn${tag}\nstreamNamePrefix: RN${tag}_\nnats:\n  url: ${NATS_URL}\n`);
  const cfg = loadConfig({ file: configFile });
  afterAll(async () => {
    const bus = await createNatsBus({ url: NATS_URL, name: 'replay-no-rows-cleanup', connectTimeoutMs: 3000 });
    await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the symbol, in the summary line and on stderr, with where its data starts and ends', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => out.push(String(c)) > 0);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => err.push(String(c)) > 0);
    try {
      await runReplay({ configFile, data: dataPath(''), symbols: ['BTC/USDT', 'SOL/USDT'], timeframe: '1h', from: Date.UTC(2020, 6, 1), to: Date.UTC(2020, 6, 2), speed: 'max' });
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const summary = JSON.parse(out.join('').trim().split('\n').at(-1) ?? '{}') as { published: number; noRows?: { symbol: string; file: string; firstTs?: number; lastTs?: number }[] };
    expect(summary.published).toBe(24);
    const sol = dataPath('ohlcv/binance_spot_1h/SOL_USDT_1h.csv');
    expect(summary.noRows).toHaveLength(1);
    expect(summary.noRows?.[0]).toMatchObject({ symbol: 'SOL/USDT', file: sol, firstTs: Date.UTC(2020, 7, 11, 6) });
    const lastTs = summary.noRows?.[0]?.lastTs ?? 0;
    expect(lastTs).toBeGreaterThan(Date.UTC(2020, 7, 11, 6));
    expect(err.join('')).toContain(
      `note: SOL/USDT: nothing published: SOL_USDT_1h.csv has no row in the window 2020-07-01T00:00:00.000Z to 2020-07-02T00:00:00.000Z; it holds 2020-08-11T06:00:00.000Z to ${new Date(lastTs).toISOString()}\n`,
    );
    expect(err.join('')).not.toContain('BTC/USDT: nothing published');
  }, 60_000);
});
