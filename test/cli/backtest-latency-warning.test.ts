import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../gateways/report/backtest-report.js';
import { testDataDir } from '../support/data-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'sextant-latency-warning-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config whose paper venue's latency (two hours) outlives every default TWAP child (one 1h bar). */
const lateConfig = join(dir, 'late.yaml');
writeFileSync(lateConfig, 'paperVenue:\n  latencyMs: 7200000\n');

const EARLY = "warning: costs.latencyMs (7200000 ms) is at or past the orders' time-to-live (3600000 ms: execution.policy twap over the model's 14400000 ms horizon): every order will expire before it can fill; give a latency under 3600000 ms";
const count = (text: string, part: string): number => text.split(part).length - 1;

/** Runs `sextant …` as a user does, to its end (4 minutes at most). */
const sextant = (args: readonly string[]) => spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });

/**
 * Runs `sextant …` as a user does until `enough(stderr)` holds, then stops it (SIGTERM): the
 * warning is said before anything is trained, so a suite or an experiment need not run to its end.
 */
function sextantUntil(args: readonly string[], enough: (stderr: string) => boolean): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(ROOT, 'bin/sextant.js'), ...args], { cwd: ROOT, env: { ...process.env } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.stdout.on('data', (b: Buffer) => void (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
      if (enough(stderr)) child.kill('SIGTERM');
    });
    child.on('error', fail);
    child.on('close', () => {
      clearTimeout(timer);
      done({ stdout, stderr });
    });
  });
}

describe('every command that runs backtests says before the work that the latency outlives the orders', () => {
  // Only a single backtest said it; --walk-forward, --suite regimes and sextant experiment ran to
  // a report of zero trades without a word before it.
  it('sextant backtest --walk-forward: once, before the first segment, and each segment says why none filled', () => {
    const out = join(dir, 'wf');
    // No embargo: segment 1's model is trained on the bars before 2024-03-01, the one the single
    // backtests below serve, so they read it from the training cache instead of training it again.
    const r = sextant(['-c', lateConfig, 'backtest', '--data', testDataDir(), '--symbols', 'BTC/USDT', '--from', '2024-03-01', '--to', '2024-03-15', '--walk-forward', '7', '--embargo', '0', '--report', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(count(r.stderr, EARLY), r.stderr).toBe(1);
    expect(r.stderr.indexOf(EARLY)).toBe(0); // before anything else it says
    for (const seg of ['segment-1', 'segment-2']) {
      const report = JSON.parse(readFileSync(join(out, seg, 'report.json'), 'utf8')) as BacktestReport;
      expect(report.counts['fills']).toBe(0);
      // The end-of-run warning names the cause and what to change, not "check … against …".
      expect(report.warnings.filter((w) => w.startsWith('none of the'))).toEqual([
        expect.stringMatching(
          /^none of the \d+ orders filled \(\d+ expired unfilled\): costs\.latencyMs \(7200000 ms\) is at or past the orders' time-to-live \(3600000 ms: execution\.policy twap over the model's 14400000 ms horizon\), so each expired before it could reach the market; give costs\.latencyMs \(--latency-ms, or paperVenue\.latencyMs in the config\) under 3600000 ms$/,
        ),
      ]);
    }
  }, 300_000);

  it('sextant backtest --suite regimes: once, before the first window is trained', async () => {
    const r = await sextantUntil(['-c', lateConfig, 'backtest', '--suite', 'regimes', '--data', testDataDir(), '--report', join(dir, 'suite')], (e) => e.includes('[1] '));
    expect(count(r.stderr, EARLY), r.stderr).toBe(1);
    expect(r.stderr.indexOf(EARLY), r.stderr).toBe(0);
    expect(r.stderr.indexOf(EARLY)).toBeLessThan(r.stderr.indexOf('[1] ')); // the first window's line
  }, 200_000);

  it('sextant experiment retrain-vs-frozen: once, before the first window is trained', async () => {
    const r = await sextantUntil(['-c', lateConfig, 'experiment', 'retrain-vs-frozen', '--windows', '3', '--symbols', 'BTC/USDT', '--arms', 'frozen', '--data', testDataDir()], (e) => /^\S.*: BTC\/USDT$/m.test(e));
    expect(count(r.stderr, EARLY), r.stderr).toBe(1);
    const firstWindow = r.stderr.search(/^\S.*: BTC\/USDT$/m);
    expect(firstWindow, r.stderr).toBeGreaterThan(0);
    expect(r.stderr.indexOf(EARLY)).toBeLessThan(firstWindow);
  }, 200_000);

  it('a single backtest says it before the model is trained, not only before the replay', () => {
    const r = sextant(['backtest', '--data', testDataDir(), '--symbols', 'BTC/USDT', '--from', '2024-03-01', '--to', '2024-03-08', '--latency-ms', '7200000', '--report', join(dir, 'single')]);
    expect(r.status, r.stderr).toBe(0);
    expect(count(r.stderr, EARLY), r.stderr).toBe(1);
    expect(r.stderr.indexOf(EARLY), r.stderr).toBe(0); // before the training lines
  }, 300_000);
});

describe('on bars alone, with no latency, an order decided at a bar\'s close fills on the next bar', () => {
  // Checked for issue 3 ("an order arriving mid-bar gets nothing"): an order decided on a bar
  // reaches the venue at the bar's close, the next bar's open, and that bar lends it all its volume,
  // even when the order lives far less than a bar (policy immediate: 60 s). Only an order stamped
  // after its symbol's last close reaches the venue inside a bar; it meets the next bar, and one
  // that expires first is counted as expired and named by the "none filled" warning.
  it('policy immediate (orders live 60 s, less than a 1h bar): every order fills, none expires, no warning', () => {
    const config = join(dir, 'immediate.yaml');
    writeFileSync(config, 'execution:\n  policy: immediate\n');
    const out = join(dir, 'immediate');
    const r = sextant(['-c', config, 'backtest', '--data', testDataDir(), '--symbols', 'BTC/USDT', '--from', '2024-03-01', '--to', '2024-03-15', '--latency-ms', '0', '--report', out]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as BacktestReport;
    expect(report.execution.policy).toBe('immediate');
    expect(report.counts['orders']).toBeGreaterThan(0);
    expect(report.counts['ordersFilled']).toBe(report.counts['orders']);
    expect(report.counts['expired']).toBe(0);
    expect(r.stderr).not.toMatch(/warning: (costs\.latencyMs|none of the)/);
  }, 300_000);
});
