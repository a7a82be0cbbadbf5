import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { testDataDir } from '../support/data-dir.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

describe('backtest report in a browser (headless Chromium)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens report.html from disk, without a server, with the equity, drawdown and position charts drawn', async () => {
    // A tight drawdown limit, so that the report has a halt to mark on its charts.
    const configFile = join(dir, 'tight-risk.yaml');
    writeFileSync(configFile, 'risk:\n  limits:\n    maxDrawdown: 50\n');
    const report = await runBacktest({ configFile, data: testDataDir(), symbols: ['ETH/USDT'], timeframe: '1h', from: Date.UTC(2023, 3, 1), to: Date.UTC(2023, 5, 1), report: dir, capital: 10_000 });
    expect(report.risk.finalState).toBe('HALTED');
    // The shipped config flattens first: the breach (REDUCING) and the halt once flat, each marked.
    expect(report.risk.transitions.map((t) => t.state)).toEqual(['REDUCING', 'HALTED']);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(join(dir, 'report.html')).href);
      const charts = await page.$$eval('svg.chart', (svgs) => svgs.map((s) => ({ label: s.getAttribute('aria-label'), width: s.getBoundingClientRect().width, height: s.getBoundingClientRect().height })));
      expect(charts.map((c) => c.label)).toEqual(['Equity (strategy and baselines, same data and costs)', 'Drawdown of the strategy', 'Position value per symbol (net quantity × fill price, after each fill)']);
      for (const c of charts) expect(c.width * c.height).toBeGreaterThan(10_000);
      // Three equity lines, each drawn across the chart with many points.
      const lines = await page.$$eval('svg.chart polyline.series', (ps) =>
        ps.map((p) => ({ series: p.getAttribute('data-series'), points: (p.getAttribute('points') ?? '').trim().split(' ').length, width: (p as unknown as { getBBox(): { width: number } }).getBBox().width })),
      );
      expect(lines.map((l) => l.series)).toEqual(['strategy', 'buy and hold', 'grid', 'strategy drawdown', 'ETH/USDT']);
      for (const l of lines.slice(0, 4)) {
        expect(l.points).toBeGreaterThan(500);
        expect(l.width).toBeGreaterThan(500);
      }
      // The position line, a step: two points per fill (the value held up to it, the value after), and the window's start and end.
      expect(lines[4]?.points).toBe(2 * Number(report.counts['fills']) + 2);
      expect(lines[4]?.width).toBeGreaterThan(500);
      expect(await page.locator('text=max drawdown duration').count()).toBe(1);
      expect(await page.locator('table.positions tbody tr').count()).toBe(report.positions.length);
      expect(await page.locator('table.metrics tbody tr').count()).toBeGreaterThan(10);
      // The breach and the halt: a dashed line each across each chart's plot, inside it.
      const marks = await page.$$eval('svg.chart g.marker line', (ls) => ls.map((l) => {
        const b = (l as unknown as { getBBox(): { x: number; height: number } }).getBBox();
        return { x: b.x, height: b.height }; // plain numbers: an SVGRect's are getters and do not cross over
      }));
      expect(marks).toHaveLength(3 * 2);
      for (const m of marks) {
        expect(m.height).toBeGreaterThan(200);
        expect(m.x).toBeGreaterThan(70);
        expect(m.x).toBeLessThan(944);
      }
      expect(await page.locator('table.risk tbody tr').count()).toBe(report.risk.transitions.length);
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
