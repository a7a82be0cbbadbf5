import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { experimentCommand, failedWindows } from '../../cli/commands/experiment.js';
import { formatComparison } from '../../models/experiments/comparison-table.js';
import type { WindowResult } from '../../models/experiments/comparison-table.js';
import { testDataDir } from '../support/data-dir.js';

/**
 * `sextant experiment retrain-vs-frozen --windows 3 --arms frozen --train-years 0.01` failed its
 * only window ("only 0 labelled rows") and still exited 0, its summary read "log loss: , tie 0",
 * and report.json pooled a "loop" arm (scored 0) and an "online" arm that were never run.
 */
describe('sextant experiment retrain-vs-frozen: failed windows', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sx-rvf-failed-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('names the failed windows, or nothing when none failed', () => {
    const w = (window: string, error: string | null): WindowResult => ({ window, from: '', to: '', symbols: [], skipped: [], arms: {}, error });
    expect(failedWindows([w('a', null)])).toBeUndefined();
    expect(failedWindows([w('a', null), w('b', 'boom')])).toBe('1 of 2 windows failed: b: boom');
    expect(formatComparison([w('b', 'boom')])).toContain('no arm ran in any window: nothing to pool or compare');
    expect(formatComparison([w('b', 'boom')])).not.toContain(', tie');
  });

  it('refuses a --report that is a file before running any window (it failed at the end with a bare EEXIST)', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'keep me');
    const progress: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => progress.push(String(s)) > 0);
    const run = (report: string): Promise<unknown> =>
      experimentCommand(() => undefined).parseAsync(['retrain-vs-frozen', '--data', testDataDir(), '--windows', '3', '--symbols', 'BTC/USDT', '--arms', 'frozen', '--epochs', '1', '--report', report], { from: 'user' });
    await expect(run(file)).rejects.toThrow(`--report ${file}: cannot make the folder (EEXIST: a file is in the way); give another folder`);
    await expect(run(join(file, 'sub'))).rejects.toThrow('(ENOTDIR: a file is in the way)');
    expect(progress.join('')).not.toMatch(/crash month/); // no window ran
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });

  it('exits 1 and says so on stderr when a window failed; report.json pools only the arms asked for', async () => {
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => err.push(String(s)) > 0);
    const report = join(root, 'rvf');
    await experimentCommand(() => undefined).parseAsync(
      ['retrain-vs-frozen', '--data', testDataDir(), '--windows', '3', '--symbols', 'BTC/USDT', '--arms', 'frozen', '--epochs', '1', '--train-years', '0.01', '--report', report],
      { from: 'user' },
    );
    expect(process.exitCode).toBe(1);
    expect(err.join('')).toMatch(/^sextant: 1 of 1 window failed: 2024-08 crash month: .*labelled rows/m);
    const json = JSON.parse(await readFile(join(report, 'report.json'), 'utf8')) as { pooled: Record<string, unknown> };
    expect(Object.keys(json.pooled)).toEqual(['frozen']);
  }, 120_000);
});
