import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runRegimeSuite } from '../../cli/commands/backtest-suite.js';
import type { SuiteRow } from '../../cli/commands/backtest-suite.js';
import type { RetrainVsFrozenReport } from '../../cli/commands/experiment.js';
import type { BacktestReport } from '../../gateways/report/backtest-report.js';
import type { WalkForwardReport } from '../../gateways/report/walk-forward-report.js';
import { testDataDir } from '../support/data-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'sextant-run-warnings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The live engine's venue, not the data's (binance): every backtest of these runs warns of it, in the same words. */
const krakenConfig = join(dir, 'kraken.yaml');
writeFileSync(krakenConfig, 'venue: kraken\n');
const VENUE = "venue kraken (the config's `venue:`) is not the data's";

function sextant(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [resolve(ROOT, 'bin/sextant.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 280_000 });
}

const warningLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('warning: '));

/** One browser for the file's reports (launched when first needed), each opened in a page of its own. */
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
});

/** The text of each `ul.warnings` item of an HTML report, as a browser shows it (opened from disk). */
async function shownWarnings(html: string): Promise<string[]> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage();
  try {
    await page.goto(pathToFileURL(html).href);
    return await page.locator('ul.warnings li').allInnerTexts();
  } finally {
    await page.close();
  }
}

// Walk-forward, the regime suite and the experiment ran each backtest with no progress stream:
// what a single backtest warns of (its report's warnings, data ending inside its window) stayed in
// each segment's or window's own report.json, or was never computed (an experiment's arms), and the
// user at the terminal saw none of it.
describe('what the backtests of a run warn of reaches its user, once per warning, naming where', () => {
  it('sextant backtest --walk-forward: on stderr, in walk-forward.json (per segment) and at the top of walk-forward.html', async () => {
    const out = join(dir, 'wf');
    // BTC/USDT's 1h data ends 2026-06-20 09:00: inside the second segment.
    const r = sextant(['-c', krakenConfig, 'backtest', '--data', testDataDir(), '--symbols', 'BTC/USDT', '--from', '2026-06-10', '--to', '2026-06-24', '--walk-forward', '7', '--report', out]);
    expect(r.status, r.stderr).toBe(0);
    const lines = warningLines(r.stderr);
    // The venue warning both segments give, said once naming both; the data's end once, naming the second.
    expect(lines.filter((l) => l.includes(VENUE))).toEqual([expect.stringMatching(/^warning: segments 1, 2: venue kraken \(the config's `venue:`\) is not the data's: /)]);
    expect(lines.filter((l) => l.includes('data ends inside'))).toEqual([expect.stringMatching(/^warning: segment 2: BTC\/USDT: its 1h data ends inside the window: last bar 2026-06-20T09:00:00\.000Z/)]);
    const wf = JSON.parse(readFileSync(join(out, 'walk-forward.json'), 'utf8')) as WalkForwardReport;
    const own = (i: number): BacktestReport => JSON.parse(readFileSync(join(out, `segment-${i}`, 'report.json'), 'utf8')) as BacktestReport;
    // Each segment carries its report.json's warnings, then what a single backtest says on stderr only.
    expect(wf.segments[0]?.warnings).toEqual(own(1).warnings);
    expect(wf.segments[1]?.warnings).toEqual([...own(2).warnings, expect.stringContaining('BTC/USDT: its 1h data ends inside the window')]);
    expect(own(1).warnings).toEqual([expect.stringContaining(VENUE)]);
    const shown = await shownWarnings(join(out, 'walk-forward.html'));
    expect(shown.map((w) => w.slice(0, w.indexOf(':')))).toEqual(['segments 1, 2', 'segment 2']);
  }, 300_000);

  // In process, over three short windows (the first before PEPE's listing), not `--suite regimes`
  // over its five: the same runRegimeSuite the command runs, with models trained on a few months
  // of bars rather than years (26 s of this file's 53 s went to the regime windows).
  it('a regime suite: on stderr after the windows ran, in suite.json (per window) and at the top of index.html', async () => {
    // A data folder of PEPE's 1h bars only (linked, not copied): windows 2 and 3 run on it, each warning of the venue.
    const data = join(dir, 'pepe');
    mkdirSync(join(data, 'ohlcv', 'binance_spot_1h'), { recursive: true });
    symlinkSync(join(testDataDir(), 'ohlcv', 'binance_spot_1h', 'PEPE_USDT_1h.csv'), join(data, 'ohlcv', 'binance_spot_1h', 'PEPE_USDT_1h.csv'));
    const out = join(dir, 'suite');
    const windows = [
      { name: 'before PEPE', from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 0, 4) },
      { name: 'PEPE July', from: Date.UTC(2023, 6, 10), to: Date.UTC(2023, 6, 13) },
      { name: 'PEPE August', from: Date.UTC(2023, 7, 10), to: Date.UTC(2023, 7, 13) },
    ];
    let stderr = '';
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    });
    let rows: SuiteRow[];
    try {
      rows = await runRegimeSuite({ configFile: krakenConfig, data, reportDir: out, windows, symbols: ['PEPE/USDT'], progress: true });
    } finally {
      write.mockRestore();
    }
    const venue = warningLines(stderr).filter((l) => l.includes(VENUE));
    expect(venue, stderr).toEqual([expect.stringMatching(/^warning: windows 2 \(PEPE July\), 3 \(PEPE August\): venue kraken/)]);
    // Said after the windows ran.
    expect(stderr.indexOf(venue[0] as string)).toBeGreaterThan(stderr.indexOf('[3] '));
    expect(JSON.parse(readFileSync(join(out, 'suite.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(rows)));
    expect(rows[0]?.warnings).toEqual([]); // no symbol had data: nothing ran
    for (const row of rows.slice(1)) expect(row.warnings).toEqual(row.report?.warnings);
    expect(rows[1]?.warnings).toEqual([expect.stringContaining(VENUE)]);
    const shown = await shownWarnings(join(out, 'index.html'));
    expect(shown).toEqual([expect.stringMatching(/^windows 2 \(PEPE July\), 3 \(PEPE August\): venue kraken/)]);
  }, 300_000);

  it('sextant experiment retrain-vs-frozen: each arm warns as a backtest would; on stderr, in report.json (per arm) and report.md', () => {
    // A latency no order outlives: none fills, in either arm; a capital the positions hardly use and
    // the config's venue over binance bars: the same words in both.
    const config = join(dir, 'late.yaml');
    writeFileSync(config, 'venue: kraken\npaperVenue:\n  latencyMs: 7200000\n');
    const out = join(dir, 'rvf');
    const r = sextant(['-c', config, 'experiment', 'retrain-vs-frozen', '--windows', '3', '--symbols', 'BTC/USDT', '--arms', 'frozen,online', '--train-years', '1', '--epochs', '2', '--capital', '1000000000', '--data', testDataDir(), '--report', out]);
    expect(r.status, r.stderr).toBe(0);
    const lines = warningLines(r.stderr);
    expect(lines.filter((l) => l.includes('capital 1,000,000,000 is hardly used'))).toEqual([expect.stringMatching(/^warning: 2024-08 crash month \(frozen and online arms\): capital 1,000,000,000 is hardly used/)]);
    expect(lines.filter((l) => l.includes(VENUE))).toEqual([expect.stringMatching(/^warning: 2024-08 crash month \(frozen and online arms\): venue kraken \(the config's `venue:`\) is not the data's: /)]);
    // One line for both arms, though their counts may differ (each differing count lists both arms', in order).
    const count = String.raw`(\d+|\{\d+, \d+\})`;
    expect(lines.filter((l) => l.includes('none of the')), r.stderr).toEqual([
      expect.stringMatching(new RegExp(String.raw`^warning: 2024-08 crash month \(frozen and online arms\): none of the ${count} orders filled \(${count} expired unfilled\): costs\.latencyMs \(7200000 ms\) is at or past the orders' time-to-live`)),
    ]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RetrainVsFrozenReport;
    for (const arm of ['frozen', 'online'] as const) {
      const warnings = report.windows[0]?.arms[arm]?.warnings ?? [];
      expect(warnings).toEqual([expect.stringContaining('capital 1,000,000,000 is hardly used'), expect.stringContaining(VENUE), expect.stringMatching(/^none of the \d+ orders filled/)]);
    }
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Warnings');
    expect(md).toMatch(/^- 2024-08 crash month \(frozen and online arms\): capital 1,000,000,000 is hardly used/m);
  }, 300_000);
});
