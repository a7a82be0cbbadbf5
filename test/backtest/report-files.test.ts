import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../cli/commands/backtest.js';
import { checkReportDir, ReportDirError, writeReportFiles } from '../../gateways/report/report-files.js';
import { testDataDir } from '../support/data-dir.js';
import { emptyTrainingCache } from '../support/empty-training-cache.js';

describe('report folders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-report-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));


  it('refuses a --report that is a file, or lies under one, and creates nothing for a new one', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(() => checkReportDir(file)).toThrow(`--report ${file}: is a file, not a folder`);
    expect(() => checkReportDir(join(file, 'out'))).toThrow(`--report ${join(file, 'out')}: ${file} is a file, not a folder`);
    checkReportDir(join(dir, 'new', 'deeper'));
    expect(existsSync(join(dir, 'new'))).toBe(false);
  });

  it('refuses an unusable --report before training (it failed with EEXIST after the whole run)', async () => {
    const file = join(dir, 'report-is-a-file');
    writeFileSync(file, 'x');
    const { configFile, trained } = emptyTrainingCache(dir, 'report-is-a-file');
    await expect(
      runBacktest({ configFile, data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 3), capital: 10_000, report: file }),
    ).rejects.toThrow(`--report ${file}: is a file, not a folder`);
    expect(trained()).toEqual([]); // nothing trained
  });

  it('refuses a --report where no folder can be made though permissions allow it (/proc/x as root hung for ever after the replay)', async () => {
    // Under /proc root passes the permission check, yet mkdir answers ENOENT.
    expect(() => checkReportDir('/proc/sextant-report')).toThrow(ReportDirError);
    expect(() => checkReportDir('/proc/sextant-report')).toThrow(/^--report \/proc\/sextant-report: cannot create it: \/proc is not writable/);
    const { configFile, trained } = emptyTrainingCache(dir, 'proc');
    await expect(
      runBacktest({ configFile, data: testDataDir(), symbols: ['BTC/USDT'], timeframe: '1h', from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 3), capital: 10_000, report: '/proc/sextant-report' }),
    ).rejects.toThrow(ReportDirError);
    expect(trained()).toEqual([]); // nothing trained
  });

  it('a report write where mkdir answers ENOENT throws it instead of looping (Node 20 recursive mkdir spun at 80 % CPU)', () => {
    // In a child: a loop would hang this worker; the child is killed at the timeout instead.
    const mod = resolve(import.meta.dirname, '../../gateways/report/report-files.ts');
    const code = `import { writeReportFiles } from ${JSON.stringify(mod)}; try { writeReportFiles('/proc/sextant-report/deeper', [{ name: 'report.json', content: '{}' }]); console.log('written'); } catch (e) { console.log('threw ' + e.code); }`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 15_000 });
    expect(r.signal).toBeNull();
    expect(r.stdout.trim()).toMatch(/^threw E[A-Z]+$/);
  });

  it('replaces a report whole: a failed write leaves the previous files as they were and no temporary file', () => {
    const out = join(dir, 'report');
    writeReportFiles(out, [
      { name: 'report.json', content: 'old json' },
      { name: 'report.html', content: 'old html' },
    ]);
    // The HTML's temporary name is taken by a folder: its write fails after the JSON's.
    mkdirSync(join(out, `.report.html.${process.pid}.tmp`));
    expect(() => writeReportFiles(out, [{ name: 'report.json', content: 'new json' }, { name: 'report.html', content: 'new html' }])).toThrow();
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe('old json');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toBe('old html');
    rmSync(join(out, `.report.html.${process.pid}.tmp`), { recursive: true });
    expect(readdirSync(out).sort()).toEqual(['report.html', 'report.json']);
    expect(writeReportFiles(out, [{ name: 'report.json', content: 'new json' }])).toEqual([join(out, 'report.json')]);
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe('new json');
  });
});
