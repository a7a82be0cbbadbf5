import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { createNatsBus } from '../../streams/nats-bus.js';
import { streamName, streamSpecs } from '../../streams/provision.js';
import { subjectsFor } from '../../streams/subjects.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const BARS = 400;
const bar = (i: number): string => `${T0 + i * H},x,100,101,99,100.5,3,M`;

/**
 * Ctrl-C during `sextant replay` (real JetStream; fails, never skips, without NATS): it used to
 * kill the process without a word (exit 130, no summary, the progress bar's cursor left hidden).
 */
describe('sextant replay interrupted by SIGINT', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-replay-interrupt-'));
  const tag = Math.random().toString(36).slice(2, 8);
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, `prefix: ri${tag}\nstreamNamePrefix: RI${tag}_\nnats:\n  url: ${NATS_URL}\n`);
  const cfg = loadConfig({ file: configFile });
  const subject = subjectsFor(cfg.prefix).bar('binance', 'BTC/USDT', '1h');
  const csv = join(dir, 'BTC_USDT_1h.csv');
  writeFileSync(csv, ['timestamp,datetime,open,high,low,close,volume,src', ...Array.from({ length: BARS }, (_, i) => bar(i))].join('\n') + '\n');
  afterAll(async () => {
    const bus = await createNatsBus({ url: NATS_URL, name: 'replay-interrupt-cleanup', connectTimeoutMs: 3000 });
    await bus.deleteStreams(streamSpecs(cfg).map((s) => s.name));
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops publishing, prints its summary (interrupted) and a note on resuming, exit 130; run again it resumes', async () => {
    // 36,000×: a bar every 100 ms, 40 s for the file; interrupted after its first bars are stored.
    const child = spawn(process.execPath, [resolve(ROOT, 'bin/sextant.js'), '-c', configFile, 'replay', '--data', csv, '--speed', '36000'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const bus = await createNatsBus({ url: NATS_URL, name: 'replay-interrupt-check', connectTimeoutMs: 3000 });
    try {
      let stored = 0;
      for (let i = 0; i < 300 && stored < 3; i++) {
        await sleep(100);
        stored = await bus.countMessages(streamName(cfg, 'MD'), subject).catch(() => 0);
      }
      expect(stored, err).toBeGreaterThanOrEqual(3);
      child.kill('SIGINT');
      expect(await exited, err).toBe(130);
      const summary = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
      expect(summary['interrupted']).toBe('SIGINT');
      const published = summary['published'] as number;
      expect(published).toBeGreaterThanOrEqual(3);
      expect(published).toBeLessThan(BARS);
      // Everything it counted was acknowledged, so stored: the stream holds exactly that.
      expect(await bus.countMessages(streamName(cfg, 'MD'), subject)).toBe(published);
      expect(err).toContain(`note: interrupted by SIGINT after ${published} message(s)`);
      expect(err).toContain('run the same replay again to resume');
      expect(err).not.toMatch(/\n\s+at /);

      const again = spawn(process.execPath, [resolve(ROOT, 'bin/sextant.js'), '-c', configFile, 'replay', '--data', csv, '--speed', 'max'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out2 = '';
      again.stdout.on('data', (d: Buffer) => (out2 += d.toString()));
      expect(await new Promise<number | null>((r) => again.once('exit', (code) => r(code)))).toBe(0);
      expect(JSON.parse(out2.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ published: BARS - published, skipped: published });
      expect(await bus.countMessages(streamName(cfg, 'MD'), subject)).toBe(BARS);
    } finally {
      child.kill('SIGKILL');
      await bus.close();
    }
  }, 90_000);
});
